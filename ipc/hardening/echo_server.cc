#include "ipc/hardening/echo_server.h"

#include <sstream>
#include <utility>

namespace ipc {
namespace test {
namespace {

std::string Describe(LocalSocket::Error error, const std::string& text) {
  std::ostringstream out;
  out << error << " " << text;
  return out.str();
}

}  // namespace

EchoServer::EchoServer(eventloop::EventLoop& loop, OsCalls& os) : server_(loop, os) {
  server_.new_connection.Connect([this] { OnNewConnection(); });
  server_.error_occurred.Connect([this](LocalSocket::Error error) {
    server_errors_.push_back(Describe(error, server_.error_string()));
  });
}

bool EchoServer::Listen(std::string_view name) { return server_.Listen(name); }

void EchoServer::OnNewConnection() {
  while (std::unique_ptr<LocalSocket> socket = server_.NextPendingConnection()) {
    ++accepted_;
    LocalSocket* raw = socket.get();
    const auto it = connections_.insert(connections_.end(), std::move(socket));
    raw->ready_read.Connect([this, raw] { Echo(*raw); });
    raw->error_occurred.Connect([this, raw](LocalSocket::Error error) {
      if (error != LocalSocket::Error::kPeerClosed) {
        connection_errors_.push_back(Describe(error, raw->error_string()));
      }
    });
    // Destroys the socket from its own slot (allowed: the socket then touches nothing).
    raw->disconnected.Connect([this, it] { connections_.erase(it); });
  }
}

void EchoServer::Echo(LocalSocket& socket) {
  // Read and Write through a fixed buffer: no allocation per message beyond the socket's own.
  char buffer[64 * 1024];
  for (;;) {
    const int64_t n = socket.Read(buffer, sizeof(buffer));
    if (n <= 0) return;
    bytes_echoed_ += static_cast<uint64_t>(n);
    socket.Write(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

}  // namespace test
}  // namespace ipc
