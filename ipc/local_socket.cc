// LocalSocket: the public facade. Every call forwards to LocalSocket::Impl
// (ipc/local_socket_impl.h); the waits go through SocketWaits (ipc/socket_waits.h).
#include "ipc/local_socket.h"

#include "ipc/local_socket_impl.h"
#include "ipc/socket_waits.h"
#include "ipc/unix_socket_check.h"

// Debug builds: aborts unless called on the socket's thread (see eventloop/event_loop.h).
#define CHECK_THREAD(call) LOCALSOCKET_DCHECK_ON_BOUND_THREAD(impl_->thread_binding_, call)
// Debug builds: a wait binds the socket to its thread, unless its loop is bound already.
#define BIND_THREAD(call) LOCALSOCKET_BIND_TO_CURRENT_THREAD(impl_->thread_binding_, call)

namespace ipc {

LocalSocket::LocalSocket(eventloop::EventLoop& loop, OsCalls& os)
    : impl_(std::make_unique<Impl>(*this, loop, os)) {}

LocalSocket::~LocalSocket() = default;

void LocalSocket::SetServerName(std::string_view name) {
  CHECK_THREAD("LocalSocket::SetServerName");
  if (state() == State::kUnconnected) impl_->server_name_ = internal::SharedName::Intern(name);
}
const std::string& LocalSocket::server_name() const {
  CHECK_THREAD("LocalSocket::server_name");
  return impl_->server_name_.get();
}
const std::string& LocalSocket::full_server_name() const {
  CHECK_THREAD("LocalSocket::full_server_name");
  return impl_->full_server_name_.get();
}

void LocalSocket::SetSocketOptions(uint32_t options) {
  CHECK_THREAD("LocalSocket::SetSocketOptions");
  if ((options & ~static_cast<uint32_t>(kAbstractNamespace)) == 0) impl_->options_ = options;
}
uint32_t LocalSocket::socket_options() const {
  CHECK_THREAD("LocalSocket::socket_options");
  return impl_->options_;
}

void LocalSocket::SetConnectTimeout(int msecs) {
  CHECK_THREAD("LocalSocket::SetConnectTimeout");
  if (msecs >= -1) impl_->connect_timeout_ms_ = msecs;
}
int LocalSocket::connect_timeout() const {
  CHECK_THREAD("LocalSocket::connect_timeout");
  return impl_->connect_timeout_ms_;
}

void LocalSocket::ConnectToServer(uint32_t open_mode) {
  CHECK_THREAD("LocalSocket::ConnectToServer");
  impl_->ConnectToServer(open_mode);
}
void LocalSocket::ConnectToServer(std::string_view name, uint32_t open_mode) {
  CHECK_THREAD("LocalSocket::ConnectToServer");
  SetServerName(name);
  impl_->ConnectToServer(open_mode);
}
void LocalSocket::DisconnectFromServer() {
  CHECK_THREAD("LocalSocket::DisconnectFromServer");
  impl_->DisconnectFromServer();
}
void LocalSocket::ShutdownWrite() {
  CHECK_THREAD("LocalSocket::ShutdownWrite");
  impl_->ShutdownWrite();
}
void LocalSocket::Abort() {
  CHECK_THREAD("LocalSocket::Abort");
  impl_->Abort();
}
void LocalSocket::Close() {
  CHECK_THREAD("LocalSocket::Close");
  impl_->Close();
}
bool LocalSocket::SetSocketDescriptor(int fd, State state, uint32_t open_mode) {
  CHECK_THREAD("LocalSocket::SetSocketDescriptor");
  return impl_->SetSocketDescriptor(fd, state, open_mode);
}
void LocalSocket::AdoptAccepted(int fd, const internal::SharedName& server_name,
                                const internal::SharedName& full_name, uint32_t options) {
  CHECK_THREAD("LocalSocket::AdoptAccepted");
  impl_->AdoptAccepted(fd, server_name, full_name, options);
}

int LocalSocket::socket_descriptor() const {
  CHECK_THREAD("LocalSocket::socket_descriptor");
  return IsValid() ? impl_->channel_.fd() : -1;
}

std::optional<PeerCredentials> LocalSocket::peer_credentials() const {
  CHECK_THREAD("LocalSocket::peer_credentials");
  if (!IsValid()) return std::nullopt;
  return internal::PeerCredentialsOf(impl_->os(), impl_->channel_.fd());
}

LocalSocket::State LocalSocket::state() const {
  CHECK_THREAD("LocalSocket::state");
  return impl_->state();
}
LocalSocket::Error LocalSocket::error() const {
  CHECK_THREAD("LocalSocket::error");
  return impl_->error_;
}
const std::string& LocalSocket::error_string() const {
  CHECK_THREAD("LocalSocket::error_string");
  return impl_->error_string();
}
bool LocalSocket::IsValid() const {
  CHECK_THREAD("LocalSocket::IsValid");
  return impl_->IsValid();
}
bool LocalSocket::IsOpen() const {
  CHECK_THREAD("LocalSocket::IsOpen");
  return impl_->IsOpen();
}
uint32_t LocalSocket::open_mode() const {
  CHECK_THREAD("LocalSocket::open_mode");
  return impl_->open_mode_;
}

int64_t LocalSocket::Write(std::string_view data) {
  CHECK_THREAD("LocalSocket::Write");
  return impl_->Write(data);
}
int64_t LocalSocket::WriteShared(std::string_view data,
                                 const std::shared_ptr<const void>& keep_alive) {
  CHECK_THREAD("LocalSocket::WriteShared");
  return impl_->WriteShared(data, keep_alive);
}
int64_t LocalSocket::WriteWithFds(std::string_view data, const std::vector<int>& fds) {
  CHECK_THREAD("LocalSocket::WriteWithFds");
  return impl_->WriteWithFds(data, fds);
}
std::vector<UniqueFd> LocalSocket::TakeReceivedFds() {
  CHECK_THREAD("LocalSocket::TakeReceivedFds");
  return impl_->TakeReceivedFds();
}
int64_t LocalSocket::Read(char* data, int64_t max_size) {
  CHECK_THREAD("LocalSocket::Read");
  return impl_->Read(data, max_size);
}
std::string LocalSocket::Read(int64_t max_size) {
  CHECK_THREAD("LocalSocket::Read");
  return impl_->Read(max_size);
}
std::string LocalSocket::ReadAll() {
  CHECK_THREAD("LocalSocket::ReadAll");
  return impl_->ReadAll();
}
std::string LocalSocket::ReadLine(int64_t max_size) {
  CHECK_THREAD("LocalSocket::ReadLine");
  return impl_->ReadLine(max_size);
}
std::string LocalSocket::Peek(int64_t max_size) const {
  CHECK_THREAD("LocalSocket::Peek");
  return impl_->Peek(max_size);
}
int64_t LocalSocket::Skip(int64_t max_size) {
  CHECK_THREAD("LocalSocket::Skip");
  return impl_->Skip(max_size);
}
std::string_view LocalSocket::PeekBuffered() const {
  CHECK_THREAD("LocalSocket::PeekBuffered");
  return impl_->PeekBuffered();
}
int64_t LocalSocket::BytesAvailable() const {
  CHECK_THREAD("LocalSocket::BytesAvailable");
  return static_cast<int64_t>(impl_->channel_.read_buffer().size());
}
int64_t LocalSocket::BytesToWrite() const {
  CHECK_THREAD("LocalSocket::BytesToWrite");
  return static_cast<int64_t>(impl_->channel_.write_buffer().size());
}
bool LocalSocket::CanReadLine() const {
  CHECK_THREAD("LocalSocket::CanReadLine");
  const internal::ByteBuffer& buffer = impl_->channel_.read_buffer();
  return buffer.Find('\n', buffer.size()) != internal::ByteBuffer::npos;
}
bool LocalSocket::AtEnd() const {
  CHECK_THREAD("LocalSocket::AtEnd");
  return impl_->channel_.read_buffer().empty();
}
bool LocalSocket::Flush() {
  CHECK_THREAD("LocalSocket::Flush");
  return impl_->Flush();
}
int64_t LocalSocket::read_buffer_size() const {
  CHECK_THREAD("LocalSocket::read_buffer_size");
  return impl_->channel_.read_limit();
}
void LocalSocket::SetReadBufferSize(int64_t size) {
  CHECK_THREAD("LocalSocket::SetReadBufferSize");
  impl_->SetReadBufferSize(size);
}
void LocalSocket::SetWriteBufferLimit(int64_t bytes) {
  CHECK_THREAD("LocalSocket::SetWriteBufferLimit");
  if (bytes >= 0) impl_->channel_.set_write_limit(bytes);
}
int64_t LocalSocket::write_buffer_limit() const {
  CHECK_THREAD("LocalSocket::write_buffer_limit");
  return impl_->channel_.write_limit();
}

bool LocalSocket::WaitForConnected(int msecs) {
  BIND_THREAD("LocalSocket::WaitForConnected");
  return internal::SocketWaits(*impl_).ForConnected(msecs);
}
bool LocalSocket::WaitForReadyRead(int msecs) {
  BIND_THREAD("LocalSocket::WaitForReadyRead");
  return internal::SocketWaits(*impl_).ForReadyRead(msecs);
}
bool LocalSocket::WaitForBytesWritten(int msecs) {
  BIND_THREAD("LocalSocket::WaitForBytesWritten");
  return internal::SocketWaits(*impl_).ForBytesWritten(msecs);
}
bool LocalSocket::WaitForDisconnected(int msecs) {
  BIND_THREAD("LocalSocket::WaitForDisconnected");
  return internal::SocketWaits(*impl_).ForDisconnected(msecs);
}

}  // namespace ipc

#undef CHECK_THREAD
#undef BIND_THREAD
