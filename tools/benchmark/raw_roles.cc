// The raw baseline's server and client processes (see raw_roles.h).
#include "tools/benchmark/raw_roles.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "tools/benchmark/fd_io.h"
#include "tools/benchmark/role_logic.h"
#include "tools/benchmark/unix_fds.h"

namespace bench {
namespace {

// Accepts one connection; -1 on failure.
int Accept(int listen_fd, FdSet& fds) {
  int fd = -1;
  do {
    fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fds.Add(fd);
}

// Stream server: reads `chunk`-byte reads until the whole stream arrived, then acks.
int ServeStream(const SocketRun& run, const ParentLink& link, int listen_fd, FdSet& fds) {
  link.Send("ready");
  const int fd = Accept(listen_fd, fds);
  if (fd < 0) return link.Fail(ErrnoText("accept"));
  StreamReceiver receiver(run);
  std::vector<char> buffer(run.chunk);
  while (!receiver.done()) {
    const ssize_t n = ReadSome(fd, buffer.data(), buffer.size());
    if (n <= 0) return link.Fail(n == 0 ? "read: early EOF" : ErrnoText("read"));
    if (!receiver.Consume(std::string_view(buffer.data(), static_cast<size_t>(n)))) {
      return link.Fail("stream pattern mismatch near byte " + std::to_string(receiver.position()));
    }
  }
  if (!WriteAll(fd, "k")) return link.Fail(ErrnoText("write"));
  link.SendResult(receiver.Result());
  return 0;
}

// Pingpong server: echoes what it reads until the client closes.
int ServePingpong(const SocketRun& run, const ParentLink& link, int listen_fd, FdSet& fds) {
  link.Send("ready");
  const int fd = Accept(listen_fd, fds);
  if (fd < 0) return link.Fail(ErrnoText("accept"));
  EchoCounter counter(run);
  bool reported = false;
  std::vector<char> buffer(size_t{64} * 1024);
  while (true) {
    const ssize_t n = ReadSome(fd, buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) return link.Fail(ErrnoText("read"));
    if (!WriteAll(fd, std::string_view(buffer.data(), static_cast<size_t>(n)))) {
      return link.Fail(ErrnoText("write"));
    }
    if (counter.Add(static_cast<uint64_t>(n))) {
      link.SendResult(counter.Result());
      reported = true;
    }
  }
  return reported ? 0 : link.Fail("the client closed early");
}

// Connections server: accepts each connection, echoes its message once, keeps its fd.
int ServeConnections(const SocketRun& run, const ParentLink& link, int listen_fd, FdSet& fds) {
  ConnectionsServerStats stats(run);
  stats.OnListening();
  link.Send("ready");
  char message[kMessageSize];
  for (uint64_t i = 0; i < run.connections; ++i) {
    const int fd = Accept(listen_fd, fds);
    if (fd < 0) return link.Fail(ErrnoText("accept"));
    if (!ReadFull(fd, message, sizeof(message))) return link.Fail(ErrnoText("read"));
    if (!WriteAll(fd, std::string_view(message, sizeof(message)))) {
      return link.Fail(ErrnoText("write"));
    }
    if (stats.OnEchoed()) link.SendResult(stats.Result());
  }
  return 0;
}

// Stream client: writes the chunks, then waits for the ack.
int SendStream(const SocketRun& run, const ParentLink& link, int fd) {
  StreamSender sender(run);
  while (!sender.finished()) {
    if (!WriteAll(fd, sender.Next())) return link.Fail(ErrnoText("write"));
  }
  char ack = 0;
  if (!ReadFull(fd, &ack, 1)) return link.Fail(ErrnoText("read ack"));
  link.SendResult(sender.AckResult());
  return 0;
}

// Pingpong client: one request, its echo, and again.
int PlayPingpong(const SocketRun& run, const ParentLink& link, int fd) {
  RoundTrips trips(run, link);
  char echo[kMessageSize];
  while (!trips.done()) {
    if (!WriteAll(fd, trips.NextRequest())) return link.Fail(ErrnoText("write"));
    if (!ReadFull(fd, echo, sizeof(echo))) return link.Fail(ErrnoText("read"));
    if (!trips.OnEcho(std::string_view(echo, sizeof(echo)))) return link.Fail("wrong echo");
  }
  link.SendResult(trips.Result());
  return 0;
}

// Connections client: connects and writes for every connection, then reads every echo.
int OpenConnections(const SocketRun& run, const ParentLink& link, FdSet& fds) {
  ConnectionsClientStats stats(run);
  std::vector<int> connections;
  connections.reserve(run.connections);
  stats.Start();
  for (uint64_t i = 0; i < run.connections; ++i) {
    const int fd = ConnectUnix(run.path, 0, fds);
    if (fd < 0) return link.Fail(ErrnoText("connect #" + std::to_string(i)));
    if (!WriteAll(fd, IndexedMessage(i))) return link.Fail(ErrnoText("write"));
    connections.push_back(fd);
  }
  char echo[kMessageSize];
  for (uint64_t i = 0; i < run.connections; ++i) {
    if (!ReadFull(connections[i], echo, sizeof(echo))) return link.Fail(ErrnoText("read"));
    if (!stats.OnEcho(i, std::string_view(echo, sizeof(echo)))) return link.Fail("wrong echo");
  }
  link.SendResult(stats.Result());
  return 0;
}

}  // namespace

int RunRawServer(const SocketRun& run, const ParentLink& link) {
  FdSet fds;
  const int listen_fd = ListenUnix(run.path, 0, fds);
  if (listen_fd < 0) return link.Fail(ErrnoText("listen on " + run.path));
  int status = 1;
  switch (run.family) {
    case Family::kStream:
      status = ServeStream(run, link, listen_fd, fds);
      break;
    case Family::kPingpong:
      status = ServePingpong(run, link, listen_fd, fds);
      break;
    case Family::kConnections:
      status = ServeConnections(run, link, listen_fd, fds);
      break;
    default:
      status = link.Fail("not a socket workload");
      break;
  }
  unlink(run.path.c_str());
  // Connections stay open until the main process ends the run.
  while (status == 0 && link.WaitForCommand()) {
  }
  return status;
}

int RunRawClient(const SocketRun& run, const ParentLink& link) {
  FdSet fds;
  if (run.family == Family::kConnections) return OpenConnections(run, link, fds);
  const int fd = ConnectUnix(run.path, 0, fds);
  if (fd < 0) return link.Fail(ErrnoText("connect to " + run.path));
  if (run.family == Family::kStream) return SendStream(run, link, fd);
  return PlayPingpong(run, link, fd);
}

}  // namespace bench
