// Reads an fd (stdin) in chunks on the loop, only while resumed, so that the reader sets the
// pace. Pipes, sockets and terminals are read when the loop reports them readable; fds the
// loop cannot watch (regular files, /dev/null) are always ready and are read from a zero-delay
// timer instead, one chunk per loop iteration, so the loop's other work still runs between
// chunks.
#ifndef LOCALSOCKET_TOOLS_CLI_INPUT_SOURCE_H_
#define LOCALSOCKET_TOOLS_CLI_INPUT_SOURCE_H_

#include <functional>
#include <memory>
#include <string_view>

#include "eventloop/event_loop.h"

namespace cli {

class InputSource {
 public:
  // Receives each chunk read; the view is valid during the call only.
  using DataCallback = std::function<void(std::string_view chunk)>;
  // Called once at the end of the input: `error` is 0 at end of file, else the read's errno.
  using EndCallback = std::function<void(int error)>;

  // Starts paused. Does not own `fd`. The callbacks may call Pause and Resume but must not
  // destroy the source.
  InputSource(eventloop::EventLoop& loop, int fd, DataCallback on_data, EndCallback on_end);
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;
  ~InputSource();

  // Reads chunks as they come until Pause() or the end.
  void Resume();
  // Stops reading; what the fd still holds stays there.
  void Pause();
  // True once the end was reported.
  bool ended() const { return ended_; }

 private:
  void ReadChunk();

  const int fd_;
  DataCallback on_data_;
  EndCallback on_end_;
  std::unique_ptr<eventloop::FdWatcher> watcher_;  // null when the loop cannot watch fd_
  std::unique_ptr<eventloop::Timer> timer_;        // drives reads when watcher_ is null
  bool resumed_ = false;
  bool ended_ = false;
};

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_INPUT_SOURCE_H_
