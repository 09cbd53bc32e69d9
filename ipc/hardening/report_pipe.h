// ReportPipe: how a forked child tells the test what it saw, as lines of text through a pipe
// (gtest assertions in a child do not reach the parent).
#ifndef LOCALSOCKET_IPC_HARDENING_REPORT_PIPE_H_
#define LOCALSOCKET_IPC_HARDENING_REPORT_PIPE_H_

#include <string>
#include <vector>

namespace ipc {
namespace test {

// Create it before forking. The child Add()s lines and Send()s them (or just exits: the
// parent then gets what was sent so far); the parent Receive()s them. Both ends are
// close-on-exec and closed by the destructor. Not thread-safe.
class ReportPipe {
 public:
  ReportPipe();
  ~ReportPipe();
  ReportPipe(const ReportPipe&) = delete;
  ReportPipe& operator=(const ReportPipe&) = delete;

  // False if the pipe could not be made.
  bool ok() const { return read_fd_ >= 0; }

  // Child side: buffers one line (without its newline).
  void Add(const std::string& line);
  // Child side: writes the buffered lines and closes the write end. False on a write error.
  bool Send();

  // Parent side: closes the parent's write end, reads until every write end is closed (the
  // child called Send() or exited) and returns the lines.
  std::vector<std::string> Receive();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::string buffered_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_HARDENING_REPORT_PIPE_H_
