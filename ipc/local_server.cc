// LocalServer: the public facade. Every call forwards to LocalServer::Impl
// (ipc/local_server_impl.h).
#include "ipc/local_server.h"

#include "ipc/local_server_impl.h"
#include "ipc/local_server_listening_socket.h"
#include "ipc/server_name.h"

namespace ipc {
namespace {

constexpr uint32_t kAllOptions = LocalServer::kWorldAccess | LocalServer::kAbstractNamespace;

}  // namespace

LocalServer::LocalServer(eventloop::EventLoop& loop, OsCalls& os)
    : impl_(std::make_unique<Impl>(*this, loop, os)) {}

LocalServer::~LocalServer() = default;

bool LocalServer::Listen(std::string_view name) { return impl_->Listen(name); }
bool LocalServer::Listen(int socket_descriptor) { return impl_->Listen(socket_descriptor); }
void LocalServer::Close() { impl_->Close(); }

bool LocalServer::IsListening() const { return impl_->IsListening(); }
std::string LocalServer::server_name() const { return impl_->server_name_; }
std::string LocalServer::full_server_name() const { return impl_->full_server_name_; }
LocalSocket::Error LocalServer::server_error() const { return impl_->error_; }
std::string LocalServer::error_string() const { return impl_->error_string_; }

void LocalServer::SetSocketOptions(uint32_t options) {
  if ((options & ~kAllOptions) == 0) impl_->options_ = options;
}
uint32_t LocalServer::socket_options() const { return impl_->options_; }

void LocalServer::SetMaxPendingConnections(int n) {
  if (n >= 0) impl_->acceptor_.SetMaxPending(n);
}
int LocalServer::max_pending_connections() const { return impl_->acceptor_.max_pending(); }

void LocalServer::SetListenBacklogSize(int n) {
  if (n >= 0) impl_->backlog_ = n;
}
int LocalServer::listen_backlog_size() const { return impl_->backlog_; }

int LocalServer::socket_descriptor() const { return impl_->listening_.fd(); }
bool LocalServer::HasPendingConnections() const { return impl_->acceptor_.HasPending(); }
std::unique_ptr<LocalSocket> LocalServer::NextPendingConnection() {
  return impl_->acceptor_.Dequeue();
}

bool LocalServer::WaitForNewConnection(int msecs, bool* timed_out) {
  return impl_->WaitForNewConnection(msecs, timed_out);
}

bool LocalServer::RemoveServer(std::string_view name) {
  internal::ResolvedName resolved;
  if (internal::ResolveServerName(name, /*abstract=*/false, &resolved) !=
      internal::NameError::kNone) {
    return false;
  }
  return internal::RemoveSocketFile(RealOsCalls(), resolved.full_name);
}

}  // namespace ipc
