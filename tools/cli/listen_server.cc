#include "tools/cli/listen_server.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ipc/unique_fd.h"
#include "tools/cli/failure.h"
#include "tools/cli/flow_control.h"
#include "tools/cli/write_all.h"

namespace cli {
namespace {

// Moves what `socket` received into its write buffer, while fewer than kMaxUnsentBytes wait
// there unsent (everything when `all`).
void EchoBuffered(ipc::LocalSocket& socket, bool all) {
  while (all || socket.BytesToWrite() < kMaxUnsentBytes) {
    const std::string_view view = socket.PeekBuffered();
    if (view.empty() || socket.Write(view) < 0) return;
    socket.Skip(static_cast<int64_t>(view.size()));
  }
}

// What /proc/self/fd shows for `fd`: a path, "pipe:[123]", "socket:[456]"...
std::string FdTarget(int fd) {
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[PATH_MAX];
  const ssize_t n = readlink(link.c_str(), target, sizeof(target));
  return n < 0 ? std::string("? (") + std::strerror(errno) + ")"
               : std::string(target, static_cast<size_t>(n));
}

}  // namespace

ListenServer::Client::Client(std::unique_ptr<ipc::LocalSocket> s, int number)
    : socket(std::move(s)), number(number), prefixer(number) {}

ListenServer::ListenServer(eventloop::EventLoop& loop, const Options& options)
    : loop_(loop), options_(options), server_(loop) {
  server_.new_connection.Connect([this] { TakePending(); });
  server_.error_occurred.Connect([this](ipc::LocalSocket::Error error) {
    ReportFailure(CauseOf(error, server_.error_string()) + " (still listening)");
  });
}

ListenServer::~ListenServer() = default;

bool ListenServer::Listen() {
  server_.SetSocketOptions(options_.abstract ? ipc::LocalServer::kAbstractNamespace
                                             : options_.access);
  if (options_.max_clients > 0) server_.SetMaxPendingConnections(options_.max_clients);
  if (server_.Listen(options_.name)) return true;
  ReportFailure("cannot listen on " + options_.name + ": " +
                CauseOf(server_.server_error(), server_.error_string()));
  return false;
}

void ListenServer::FinishOutput() {
  if (options_.output != ListenOutput::kPrefixed) return;
  for (Client& client : clients_) {
    scratch_.clear();
    client.prefixer.Finish(scratch_);
    Output(scratch_);
    FlushFdLines(client);
  }
}

void ListenServer::TakePending() {
  const auto max = static_cast<size_t>(options_.max_clients);
  while (max == 0 || clients_.size() < max) {
    std::unique_ptr<ipc::LocalSocket> socket = server_.NextPendingConnection();
    if (!socket) break;
    Serve(std::move(socket));
  }
  // The server accepts only as many as there are free places: the other clients wait in the
  // kernel's listen queue, untouched (an accepted socket would read, and close at its
  // client's end of input, before anyone serves it).
  if (max > 0) server_.SetMaxPendingConnections(static_cast<int>(max - clients_.size()));
}

void ListenServer::Serve(std::unique_ptr<ipc::LocalSocket> socket) {
  const auto it = clients_.emplace(clients_.end(), std::move(socket), next_number_++);
  Client& client = *it;
  ipc::LocalSocket& s = *client.socket;
  if (options_.peer_info) PrintPeer(client);
  if (options_.output == ListenOutput::kEcho) {
    s.SetReadBufferSize(kMaxUnsentBytes);
    s.ready_read.Connect([this, &client] {
      TakeFds(client);
      EchoBuffered(*client.socket, false);
    });
    s.bytes_written.Connect([&s](int64_t) { EchoBuffered(s, false); });
    // Reported while still connected: the last bytes can still be queued for sending.
    s.error_occurred.Connect([&s](ipc::LocalSocket::Error) { EchoBuffered(s, true); });
  } else {
    s.ready_read.Connect([this, &client] { Print(client); });
  }
  // A slot may destroy its own socket; the list iterator makes the removal O(1).
  s.disconnected.Connect([this, it] { Drop(it); });
}

void ListenServer::PrintPeer(const Client& client) {
  const int number = client.number;
  if (const std::optional<ipc::PeerCredentials> peer = client.socket->peer_credentials()) {
    std::fprintf(stderr, "localsocket: [%d] peer pid %d, uid %u, gid %u\n", number,
                 static_cast<int>(peer->pid), static_cast<unsigned>(peer->uid),
                 static_cast<unsigned>(peer->gid));
  } else {
    std::fprintf(stderr, "localsocket: [%d] peer unknown\n", number);
  }
}

void ListenServer::Print(Client& client) {
  ipc::LocalSocket& s = *client.socket;
  TakeFds(client);
  for (std::string_view view = s.PeekBuffered(); !view.empty(); view = s.PeekBuffered()) {
    if (options_.output == ListenOutput::kRaw) {
      Output(view);
    } else {
      FlushFdLines(client);
      if (!client.fd_lines.empty()) {  // Mid-line: print up to the end of this line first.
        const size_t newline = view.find('\n');
        if (newline != std::string_view::npos) view = view.substr(0, newline + 1);
      }
      scratch_.clear();
      client.prefixer.Feed(view, scratch_);
      Output(scratch_);
    }
    s.Skip(static_cast<int64_t>(view.size()));
  }
  if (options_.output == ListenOutput::kPrefixed) FlushFdLines(client);
}

void ListenServer::TakeFds(Client& client) {
  std::vector<ipc::UniqueFd> fds = client.socket->TakeReceivedFds();
  if (fds.empty()) return;
  std::string lines;
  for (const ipc::UniqueFd& fd : fds) {
    lines += "[" + std::to_string(client.number) + "] fd: " + FdTarget(fd.get()) + "\n";
  }
  fds.clear();  // Closed: the tool only names them.
  switch (options_.output) {
    case ListenOutput::kRaw:
      std::fputs(lines.c_str(), stderr);
      break;
    case ListenOutput::kEcho:
      Output(lines);
      break;
    case ListenOutput::kPrefixed:
      client.fd_lines += lines;
      FlushFdLines(client);
      break;
  }
}

void ListenServer::FlushFdLines(Client& client) {
  if (client.fd_lines.empty() || !client.prefixer.at_line_start()) return;
  Output(client.fd_lines);
  client.fd_lines.clear();
}

void ListenServer::Output(std::string_view bytes) {
  if (output_failed_ || WriteAll(1, bytes)) return;
  output_failed_ = true;
  ReportFailure(std::string("cannot write stdout: ") + std::strerror(errno));
  loop_.Quit();
}

void ListenServer::Drop(ClientList::iterator it) {
  if (options_.output != ListenOutput::kEcho) {
    Print(*it);
    scratch_.clear();
    it->prefixer.Finish(scratch_);
    if (options_.output == ListenOutput::kPrefixed) {
      Output(scratch_);
      FlushFdLines(*it);
    }
  } else {
    TakeFds(*it);
  }
  clients_.erase(it);
  TakePending();
}

}  // namespace cli
