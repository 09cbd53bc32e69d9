// Internal: helpers shared by the files that implement LocalSocket.
#ifndef LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_
#define LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>

#include "eventloop/event_loop.h"
#include "ipc/local_socket.h"

namespace ipc {

// Tracks whether a signal sequence may go on: the socket is alive and no slot started a new
// operation (Abort, Close, DisconnectFromServer, ConnectToServer, SetSocketDescriptor) since
// the guard was made.
class LocalSocket::SequenceGuard {
 public:
  explicit SequenceGuard(const LocalSocket* socket)
      : socket_(socket), life_(socket->life_), operation_(socket->operation_) {}
  bool Alive() const { return life_->alive; }
  bool Continues() const { return life_->alive && socket_->operation_ == operation_; }

 private:
  const LocalSocket* socket_;
  const std::shared_ptr<Life> life_;
  const uint64_t operation_;
};

// A wait's end, measured on the loop's clock; `msecs` -1 means none.
class LocalSocket::Deadline {
 public:
  Deadline(const eventloop::EventLoop& loop, int msecs)
      : loop_(loop),
        unlimited_(msecs < 0),
        end_(loop.Now() + std::chrono::milliseconds(msecs < 0 ? 0 : msecs)) {}
  bool Expired() const { return !unlimited_ && loop_.Now() >= end_; }
  // The poll() timeout until the end: -1 for none, else milliseconds rounded up.
  int PollTimeoutMs(eventloop::TimePoint until = eventloop::TimePoint::max()) const {
    if (unlimited_ && until == eventloop::TimePoint::max()) return -1;
    const eventloop::TimePoint end = unlimited_ ? until : std::min(until, end_);
    const eventloop::Duration left = end - loop_.Now();
    if (left <= eventloop::Duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

 private:
  const eventloop::EventLoop& loop_;
  const bool unlimited_;
  const eventloop::TimePoint end_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_
