// LocalServer: the public facade. Every call forwards to LocalServer::Impl
// (ipc/local_server_impl.h).
#include "ipc/local_server.h"

#include "ipc/local_server_impl.h"
#include "ipc/local_server_listening_socket.h"
#include "ipc/server_name.h"

// Debug builds: aborts unless called on the server's thread (see eventloop/event_loop.h).
#define CHECK_THREAD(call) LOCALSOCKET_DCHECK_ON_BOUND_THREAD(impl_->thread_binding_, call)
// Debug builds: a wait binds the server to its thread, unless its loop is bound already.
#define BIND_THREAD(call) LOCALSOCKET_BIND_TO_CURRENT_THREAD(impl_->thread_binding_, call)

namespace ipc {
namespace {

constexpr uint32_t kAllOptions = LocalServer::kWorldAccess | LocalServer::kAbstractNamespace;

}  // namespace

LocalServer::LocalServer(eventloop::EventLoop& loop, OsCalls& os)
    : impl_(std::make_unique<Impl>(*this, loop, os)) {}

LocalServer::~LocalServer() = default;

bool LocalServer::Listen(std::string_view name) {
  CHECK_THREAD("LocalServer::Listen");
  return impl_->Listen(name);
}
bool LocalServer::Listen(int socket_descriptor) {
  CHECK_THREAD("LocalServer::Listen");
  return impl_->Listen(socket_descriptor);
}
bool LocalServer::ListenInherited(std::string_view name) {
  CHECK_THREAD("LocalServer::ListenInherited");
  return impl_->ListenInherited(name);
}
void LocalServer::Close() {
  CHECK_THREAD("LocalServer::Close");
  impl_->Close();
}

bool LocalServer::IsListening() const {
  CHECK_THREAD("LocalServer::IsListening");
  return impl_->IsListening();
}
std::string LocalServer::server_name() const {
  CHECK_THREAD("LocalServer::server_name");
  return impl_->server_name_.get();
}
std::string LocalServer::full_server_name() const {
  CHECK_THREAD("LocalServer::full_server_name");
  return impl_->full_server_name_.get();
}
LocalSocket::Error LocalServer::server_error() const {
  CHECK_THREAD("LocalServer::server_error");
  return impl_->error_;
}
std::string LocalServer::error_string() const {
  CHECK_THREAD("LocalServer::error_string");
  return impl_->error_string_;
}

void LocalServer::SetSocketOptions(uint32_t options) {
  CHECK_THREAD("LocalServer::SetSocketOptions");

  if ((options & ~kAllOptions) == 0) impl_->options_ = options;
}
uint32_t LocalServer::socket_options() const {
  CHECK_THREAD("LocalServer::socket_options");
  return impl_->options_;
}

void LocalServer::SetMaxPendingConnections(int n) {
  CHECK_THREAD("LocalServer::SetMaxPendingConnections");

  if (n >= 0) impl_->acceptor_.SetMaxPending(n);
}
int LocalServer::max_pending_connections() const {
  CHECK_THREAD("LocalServer::max_pending_connections");
  return impl_->acceptor_.max_pending();
}

void LocalServer::SetPeerFilter(std::function<bool(const PeerCredentials&)> filter) {
  CHECK_THREAD("LocalServer::SetPeerFilter");
  impl_->SetPeerFilter(std::move(filter));
}

void LocalServer::SetListenBacklogSize(int n) {
  CHECK_THREAD("LocalServer::SetListenBacklogSize");

  if (n >= 0) impl_->backlog_ = n;
}
int LocalServer::listen_backlog_size() const {
  CHECK_THREAD("LocalServer::listen_backlog_size");
  return impl_->backlog_;
}

int LocalServer::socket_descriptor() const {
  CHECK_THREAD("LocalServer::socket_descriptor");
  return impl_->listening_.fd();
}
bool LocalServer::HasPendingConnections() const {
  CHECK_THREAD("LocalServer::HasPendingConnections");
  return impl_->acceptor_.HasPending();
}
std::unique_ptr<LocalSocket> LocalServer::NextPendingConnection() {
  CHECK_THREAD("LocalServer::NextPendingConnection");

  return impl_->acceptor_.Dequeue();
}

bool LocalServer::WaitForNewConnection(int msecs, bool* timed_out) {
  BIND_THREAD("LocalServer::WaitForNewConnection");

  return impl_->WaitForNewConnection(msecs, timed_out);
}

bool LocalServer::RemoveServer(std::string_view name) {
  internal::ResolvedName resolved;
  if (internal::ResolveServerName(name, /*abstract=*/false, &resolved) !=
      internal::NameError::kNone) {
    return false;
  }
  return internal::RemoveServerFiles(RealOsCalls(), resolved.full_name);
}

}  // namespace ipc

#undef CHECK_THREAD
#undef BIND_THREAD
