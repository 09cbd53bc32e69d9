// EventRecorder: a LocalSocket's signals as strings, in emission order, for comparing whole
// signal sequences in one assertion.
#ifndef LOCALSOCKET_TESTING_SOCKET_EVENT_RECORDER_H_
#define LOCALSOCKET_TESTING_SOCKET_EVENT_RECORDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/local_socket.h"
#include "ipc/signal.h"

namespace ipc {
namespace test {

// A recorded signal sequence.
using Events = std::vector<std::string>;

// Records a LocalSocket's signals as strings, in emission order:
//   "state:kConnecting", "error:kPeerClosed", "ready_read", "bytes_written:6", "connected",
//   "disconnected", "about_to_close", "read_channel_finished".
// Connect it before the test's own slots, so that an event is recorded before a later slot
// acts on it (e.g. destroys the socket). Its slots never touch the socket. Disconnects on
// destruction (also safe after the socket is gone).
class EventRecorder {
 public:
  explicit EventRecorder(LocalSocket& socket);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  const std::vector<std::string>& events() const { return events_; }
  // Returns the events so far and forgets them.
  std::vector<std::string> Take();
  void Clear() { events_.clear(); }
  // Appends a marker (e.g. "returned") to tell synchronous from later events apart.
  void Mark(std::string marker) { events_.push_back(std::move(marker)); }
  int Count(std::string_view event) const;
  // The sum of all bytes_written arguments.
  int64_t BytesWritten() const { return bytes_written_; }
  // Called after each event is recorded.
  void SetHook(std::function<void(const std::string&)> hook) { hook_ = std::move(hook); }

 private:
  void Add(std::string event);

  std::vector<std::string> events_;
  int64_t bytes_written_ = 0;
  std::function<void(const std::string&)> hook_;
  std::vector<Connection> connections_;
};

// `events` with every "bytes_written:N" replaced by "bytes_written" and runs of equal
// "bytes_written"/"ready_read" entries collapsed into one, for transfers whose chunking is up
// to the kernel.
std::vector<std::string> Compact(const std::vector<std::string>& events);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_SOCKET_EVENT_RECORDER_H_
