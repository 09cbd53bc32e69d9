// The minimal epoll pair (see epoll_roles.h).
#include "tools/benchmark/epoll_roles.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "tools/benchmark/role_logic.h"
#include "tools/benchmark/unix_fds.h"

namespace bench {
namespace {

// Events taken per epoll_wait.
constexpr int kMaxEvents = 256;

// Watches `fd` for input, with `data` as its tag; false (errno set) on failure.
bool WatchInput(int epoll_fd, int fd, uint64_t data) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = data;
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0;
}

// Waits for events; the count, or -1 (errno set) on failure other than EINTR.
int WaitForEvents(int epoll_fd, epoll_event* events) {
  int count = -1;
  do {
    count = epoll_wait(epoll_fd, events, kMaxEvents, -1);
  } while (count < 0 && errno == EINTR);
  return count;
}

// Pingpong server: accepts the client, then echoes what it reads until the client closes.
int ServePingpong(const SocketRun& run, const ParentLink& link, int listen_fd, FdSet& fds) {
  const int epoll_fd = fds.Add(epoll_create1(EPOLL_CLOEXEC));
  if (epoll_fd < 0 || !WatchInput(epoll_fd, listen_fd, 0)) return link.Fail(ErrnoText("epoll"));
  link.Send("ready");
  EchoCounter counter(run);
  bool reported = false;
  int fd = -1;
  char buffer[kMessageSize];
  epoll_event events[kMaxEvents];
  while (true) {
    const int count = WaitForEvents(epoll_fd, events);
    if (count < 0) return link.Fail(ErrnoText("epoll_wait"));
    for (int i = 0; i < count; ++i) {
      if (events[i].data.u64 == 0) {
        fd = fds.Add(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (fd < 0 && errno != EAGAIN && errno != EINTR) return link.Fail(ErrnoText("accept"));
        if (fd >= 0 && !WatchInput(epoll_fd, fd, 1)) return link.Fail(ErrnoText("epoll"));
        continue;
      }
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return link.Fail(ErrnoText("read"));
      if (n == 0) return reported ? 0 : link.Fail("the client closed early");
      // One request is in flight at a time, so the send buffer takes its echo at once.
      if (write(fd, buffer, static_cast<size_t>(n)) != n) return link.Fail(ErrnoText("write"));
      if (counter.Add(static_cast<uint64_t>(n))) {
        link.SendResult(counter.Result());
        reported = true;
      }
    }
  }
}

// The server's side of one connection.
struct ServerConnection {
  int fd = -1;
  size_t echoed = 0;
};

// Serves until every connection's message is echoed; the exit status.
int ServeConnections(const SocketRun& run, const ParentLink& link, int listen_fd, FdSet& fds) {
  const int epoll_fd = fds.Add(epoll_create1(EPOLL_CLOEXEC));
  // Tag 0 is the listening socket; connection i has tag i + 1.
  if (epoll_fd < 0 || !WatchInput(epoll_fd, listen_fd, 0)) return link.Fail(ErrnoText("epoll"));
  ConnectionsServerStats stats(run);
  std::vector<ServerConnection> connections;
  connections.reserve(run.connections);
  stats.OnListening();
  link.Send("ready");
  char buffer[kMessageSize];
  epoll_event events[kMaxEvents];
  bool all_echoed = false;
  while (!all_echoed) {
    const int count = WaitForEvents(epoll_fd, events);
    if (count < 0) return link.Fail(ErrnoText("epoll_wait"));
    for (int i = 0; i < count; ++i) {
      if (events[i].data.u64 == 0) {
        while (true) {
          const int fd =
              fds.Add(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
          if (fd < 0) break;
          if (connections.size() == run.connections) return link.Fail("too many connections");
          connections.push_back(ServerConnection{fd});
          if (!WatchInput(epoll_fd, fd, connections.size())) return link.Fail(ErrnoText("epoll"));
        }
        if (errno != EAGAIN && errno != EINTR) return link.Fail(ErrnoText("accept"));
        continue;
      }
      ServerConnection& connection = connections[events[i].data.u64 - 1];
      const ssize_t n = read(connection.fd, buffer, sizeof(buffer) - connection.echoed);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return link.Fail(n == 0 ? "read: early EOF" : ErrnoText("read"));
      // A fresh socket's send buffer takes 64 bytes at once.
      if (write(connection.fd, buffer, static_cast<size_t>(n)) != n) {
        return link.Fail(ErrnoText("write"));
      }
      connection.echoed += static_cast<size_t>(n);
      if (connection.echoed == kMessageSize && stats.OnEchoed()) {
        link.SendResult(stats.Result());
        all_echoed = true;
      }
    }
  }
  return 0;
}

// The client's side of one connection.
struct ClientConnection {
  int fd = -1;
  size_t got = 0;
  char echo[kMessageSize] = {};
};

// Opens connection `index` and sends its message; false (errno set) on failure.
bool StartConnection(const SocketRun& run, int epoll_fd, uint64_t index, FdSet& fds,
                     std::vector<ClientConnection>& connections) {
  const int fd = ConnectUnix(run.path, SOCK_NONBLOCK, fds);
  if (fd < 0 || !WatchInput(epoll_fd, fd, index)) return false;
  connections.push_back(ClientConnection{fd});
  const std::string message = IndexedMessage(index);
  // A fresh socket's send buffer takes 64 bytes at once.
  return write(fd, message.data(), message.size()) == static_cast<ssize_t>(message.size());
}

// Pingpong client: one request, its echo, and again.
int PlayPingpong(const SocketRun& run, const ParentLink& link) {
  FdSet fds;
  const int epoll_fd = fds.Add(epoll_create1(EPOLL_CLOEXEC));
  const int fd = ConnectUnix(run.path, SOCK_NONBLOCK, fds);
  if (epoll_fd < 0 || fd < 0 || !WatchInput(epoll_fd, fd, 0)) {
    return link.Fail(ErrnoText("connect to " + run.path));
  }
  RoundTrips trips(run, link);
  char echo[kMessageSize];
  epoll_event events[kMaxEvents];
  while (!trips.done()) {
    const std::string_view request = trips.NextRequest();
    // One request is in flight at a time, so the send buffer takes it at once.
    if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      return link.Fail(ErrnoText("write"));
    }
    size_t got = 0;
    while (got < sizeof(echo)) {
      if (WaitForEvents(epoll_fd, events) < 0) return link.Fail(ErrnoText("epoll_wait"));
      const ssize_t n = read(fd, echo + got, sizeof(echo) - got);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return link.Fail(n == 0 ? "read: early EOF" : ErrnoText("read"));
      got += static_cast<size_t>(n);
    }
    if (!trips.OnEcho(std::string_view(echo, sizeof(echo)))) return link.Fail("wrong echo");
  }
  link.SendResult(trips.Result());
  return 0;
}

// The refusal of the stream workloads.
constexpr std::string_view kOnlyPingpongAndConnections =
    "the epoll pair runs pingpong and connections only";

}  // namespace

int RunEpollServer(const SocketRun& run, const ParentLink& link) {
  if (run.family == Family::kStream) return link.Fail(kOnlyPingpongAndConnections);
  FdSet fds;
  const int listen_fd = ListenUnix(run.path, SOCK_NONBLOCK, fds);
  if (listen_fd < 0) return link.Fail(ErrnoText("listen on " + run.path));
  const int status = run.family == Family::kPingpong ? ServePingpong(run, link, listen_fd, fds)
                                                     : ServeConnections(run, link, listen_fd, fds);
  unlink(run.path.c_str());
  // Connections stay open until the main process ends the run.
  while (status == 0 && link.WaitForCommand()) {
  }
  return status;
}

int RunEpollClient(const SocketRun& run, const ParentLink& link) {
  if (run.family == Family::kStream) return link.Fail(kOnlyPingpongAndConnections);
  if (run.family == Family::kPingpong) return PlayPingpong(run, link);
  FdSet fds;
  const int epoll_fd = fds.Add(epoll_create1(EPOLL_CLOEXEC));
  if (epoll_fd < 0) return link.Fail(ErrnoText("epoll_create1"));
  ConnectionsClientStats stats(run);
  std::vector<ClientConnection> connections;
  connections.reserve(run.connections);
  stats.Start();
  const uint64_t initial = std::min(run.in_flight, run.connections);
  for (uint64_t index = 0; index < initial; ++index) {
    if (!StartConnection(run, epoll_fd, index, fds, connections)) {
      return link.Fail(ErrnoText("connection #" + std::to_string(index)));
    }
  }
  epoll_event events[kMaxEvents];
  while (!stats.done()) {
    const int count = WaitForEvents(epoll_fd, events);
    if (count < 0) return link.Fail(ErrnoText("epoll_wait"));
    for (int i = 0; i < count; ++i) {
      const uint64_t index = events[i].data.u64;
      ClientConnection& connection = connections[index];
      const ssize_t n =
          read(connection.fd, connection.echo + connection.got, kMessageSize - connection.got);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return link.Fail(n == 0 ? "read: early EOF" : ErrnoText("read"));
      connection.got += static_cast<size_t>(n);
      if (connection.got < kMessageSize) continue;
      if (!stats.OnEcho(index, std::string_view(connection.echo, kMessageSize))) {
        return link.Fail("wrong echo");
      }
      const uint64_t next = connections.size();
      if (next < run.connections && !StartConnection(run, epoll_fd, next, fds, connections)) {
        return link.Fail(ErrnoText("connection #" + std::to_string(next)));
      }
    }
  }
  link.SendResult(stats.Result());
  return 0;
}

}  // namespace bench
