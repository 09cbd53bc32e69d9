// LocalSocket: the public facade. Every call forwards to LocalSocket::Impl
// (ipc/local_socket_impl.h); the waits go through SocketWaits (ipc/socket_waits.h).
#include "ipc/local_socket.h"

#include "ipc/local_socket_impl.h"
#include "ipc/socket_waits.h"

namespace ipc {

LocalSocket::LocalSocket(eventloop::EventLoop& loop, OsCalls& os)
    : impl_(std::make_unique<Impl>(*this, loop, os)) {}

LocalSocket::~LocalSocket() = default;

void LocalSocket::SetServerName(std::string_view name) {
  if (state() == State::kUnconnected) impl_->server_name_.assign(name);
}
const std::string& LocalSocket::server_name() const { return impl_->server_name_; }
const std::string& LocalSocket::full_server_name() const { return impl_->full_server_name_; }

void LocalSocket::SetSocketOptions(uint32_t options) {
  if ((options & ~static_cast<uint32_t>(kAbstractNamespace)) == 0) impl_->options_ = options;
}
uint32_t LocalSocket::socket_options() const { return impl_->options_; }

void LocalSocket::SetConnectTimeout(int msecs) {
  if (msecs >= -1) impl_->connect_timeout_ms_ = msecs;
}
int LocalSocket::connect_timeout() const { return impl_->connect_timeout_ms_; }

void LocalSocket::ConnectToServer(uint32_t open_mode) { impl_->ConnectToServer(open_mode); }
void LocalSocket::ConnectToServer(std::string_view name, uint32_t open_mode) {
  SetServerName(name);
  impl_->ConnectToServer(open_mode);
}
void LocalSocket::DisconnectFromServer() { impl_->DisconnectFromServer(); }
void LocalSocket::ShutdownWrite() { impl_->ShutdownWrite(); }
void LocalSocket::Abort() { impl_->Abort(); }
void LocalSocket::Close() { impl_->Close(); }
bool LocalSocket::SetSocketDescriptor(int fd, State state, uint32_t open_mode) {
  return impl_->SetSocketDescriptor(fd, state, open_mode);
}
void LocalSocket::SetAcceptedNames(const std::string& server_name, const std::string& full_name,
                                   uint32_t options) {
  impl_->SetAcceptedNames(server_name, full_name, options);
}

int LocalSocket::socket_descriptor() const { return IsValid() ? impl_->channel_.fd() : -1; }

LocalSocket::State LocalSocket::state() const { return impl_->state(); }
LocalSocket::Error LocalSocket::error() const { return impl_->error_; }
const std::string& LocalSocket::error_string() const { return impl_->error_string_; }
bool LocalSocket::IsValid() const { return impl_->IsValid(); }
bool LocalSocket::IsOpen() const { return impl_->IsOpen(); }
uint32_t LocalSocket::open_mode() const { return impl_->open_mode_; }

int64_t LocalSocket::Write(std::string_view data) { return impl_->Write(data); }
int64_t LocalSocket::Read(char* data, int64_t max_size) { return impl_->Read(data, max_size); }
std::string LocalSocket::Read(int64_t max_size) { return impl_->Read(max_size); }
std::string LocalSocket::ReadAll() { return impl_->ReadAll(); }
std::string LocalSocket::ReadLine(int64_t max_size) { return impl_->ReadLine(max_size); }
std::string LocalSocket::Peek(int64_t max_size) const { return impl_->Peek(max_size); }
int64_t LocalSocket::BytesAvailable() const {
  return static_cast<int64_t>(impl_->channel_.read_buffer().size());
}
int64_t LocalSocket::BytesToWrite() const {
  return static_cast<int64_t>(impl_->channel_.write_buffer().size());
}
bool LocalSocket::CanReadLine() const {
  const internal::ByteBuffer& buffer = impl_->channel_.read_buffer();
  return buffer.Find('\n', buffer.size()) != internal::ByteBuffer::npos;
}
bool LocalSocket::AtEnd() const { return impl_->channel_.read_buffer().empty(); }
bool LocalSocket::Flush() { return impl_->Flush(); }
int64_t LocalSocket::read_buffer_size() const { return impl_->channel_.read_limit(); }
void LocalSocket::SetReadBufferSize(int64_t size) { impl_->SetReadBufferSize(size); }

bool LocalSocket::WaitForConnected(int msecs) {
  return internal::SocketWaits(*impl_).ForConnected(msecs);
}
bool LocalSocket::WaitForReadyRead(int msecs) {
  return internal::SocketWaits(*impl_).ForReadyRead(msecs);
}
bool LocalSocket::WaitForBytesWritten(int msecs) {
  return internal::SocketWaits(*impl_).ForBytesWritten(msecs);
}
bool LocalSocket::WaitForDisconnected(int msecs) {
  return internal::SocketWaits(*impl_).ForDisconnected(msecs);
}

}  // namespace ipc
