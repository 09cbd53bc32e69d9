// Internal: helpers shared by the files that implement LocalSocket.
#ifndef LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_
#define LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_

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

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SOCKET_INTERNAL_H_
