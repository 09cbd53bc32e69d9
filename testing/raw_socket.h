// The other end of a socket under test, made with raw system calls: listening AF_UNIX stream
// sockets, a filled backlog, unique abstract names, and blocking reads and writes on plain fds.
#ifndef LOCALSOCKET_TESTING_RAW_SOCKET_H_
#define LOCALSOCKET_TESTING_RAW_SOCKET_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ipc {
namespace test {

// A listening AF_UNIX stream socket made with raw system calls: the server side of the tests.
// The listening fd is non-blocking and close-on-exec.
class RawListener {
 public:
  // Binds `path` (a filesystem path) and listens. nullptr on failure (errno is kept).
  static std::unique_ptr<RawListener> Listen(const std::string& path, int backlog = 16);
  // Binds the abstract name `name` (no trailing NUL in the address length) and listens.
  static std::unique_ptr<RawListener> ListenAbstract(std::string_view name, int backlog = 16);
  ~RawListener();  // Closes the fd and unlinks the path it bound (filesystem names only).
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  int fd() const { return fd_; }
  // Accepts one connection, waiting up to `timeout_ms` for it. The accepted fd is blocking and
  // close-on-exec; -1 on timeout or failure.
  int Accept(int timeout_ms = 5000);
  // Accepts one connection if one is queued right now; -1 if none.
  int AcceptNow() { return Accept(0); }
  // Closes the listening fd now (it stays bound); the destructor still unlinks the path.
  void CloseFd();

 private:
  RawListener(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;  // Empty for abstract names.
};

// A unique abstract socket name for this process and test ("ls-test-<pid>-<n>-<suffix>").
std::string UniqueAbstractName(std::string_view suffix = "");

// Fills a listener's backlog with raw non-blocking client connections until connect() says
// EAGAIN. Returns the client fds (the caller closes them); empty on an unexpected error.
std::vector<int> FillBacklog(const std::string& path);

// Writes/reads all of `data` on a blocking fd; false on error or EOF.
bool WriteAll(int fd, std::string_view data);
// Reads until EOF (or error) from a blocking fd.
std::string ReadUntilEof(int fd);
// Reads exactly `n` bytes (less on EOF) from a blocking fd.
std::string ReadExactly(int fd, size_t n);

// What `fd` sent that its peer has not read yet (SIOCOUTQ: kernel memory, not a byte count;
// 0 once the peer has read everything), or -1.
int UnreadByPeer(int fd);
// Bytes waiting in `fd`'s receive queue (SIOCINQ), or -1.
int QueuedForReading(int fd);
// Whether `fd` is open, and whether it has O_NONBLOCK.
bool IsOpenFd(int fd);
bool IsNonBlocking(int fd);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_RAW_SOCKET_H_
