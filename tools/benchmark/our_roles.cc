// Our server and client processes (see our_roles.h).
#include "tools/benchmark/our_roles.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "tools/benchmark/role_logic.h"

namespace bench {
namespace {

using ipc::LocalServer;
using ipc::LocalSocket;

// The largest read of the echo servers.
constexpr size_t kEchoBuffer = size_t{64} * 1024;

// What every role on the loop shares: the loop, the run, and the first error.
class LoopRole {
 public:
  LoopRole(const SocketRun& run, const ParentLink& link) : run_(run), link_(link) {}

 protected:
  // Ends the loop with an error (the first one is kept).
  void Fail(const std::string& message) {
    if (error_.empty()) error_ = message;
    loop_.Quit();
  }
  // The exit status after the loop ended: the error reported, or the result.
  int Report(const Metrics& result) const {
    if (!error_.empty()) return link_.Fail(error_);
    link_.SendResult(result);
    return 0;
  }
  // Connects `socket` to the run's server, waiting if the kernel did not answer at once.
  bool Connect(LocalSocket& socket) {
    socket.ConnectToServer(run_.path);
    if (socket.state() == LocalSocket::State::kConnected || socket.WaitForConnected(10000)) {
      return true;
    }
    Fail("connect: " + socket.error_string());
    return false;
  }

  const SocketRun& run_;
  const ParentLink& link_;
  eventloop::LibeventLoop loop_;  // In the base: outlives the derived roles' sockets.
  std::string error_;
};

// The server of every socket workload.
class OurServer : public LoopRole {
 public:
  using LoopRole::LoopRole;

  // Listens, reports "ready", serves until the command pipe ends; the exit status.
  int Run() {
    server_.SetListenBacklogSize(kListenBacklog);
    if (!server_.Listen(run_.path)) return link_.Fail("Listen: " + server_.error_string());
    if (run_.family == Family::kStream) receiver_ = std::make_unique<StreamReceiver>(run_);
    server_.new_connection.Connect([this] { Accept(); });
    // The end of the command pipe ends the run.
    exit_watch_ = loop_.WatchFd(link_.command_fd(), eventloop::kReadable,
                                [this](uint32_t /*ready*/) { loop_.Quit(); });
    if (run_.family == Family::kConnections) connections_.OnListening();
    link_.Send("ready");
    loop_.Run();
    if (!error_.empty()) return link_.Fail(error_);
    return 0;
  }

 private:
  // A connection and the bytes echoed on it.
  struct Peer {
    std::unique_ptr<LocalSocket> socket;
    uint64_t echoed = 0;
  };

  // Takes every pending connection and connects its signals.
  void Accept() {
    while (std::unique_ptr<LocalSocket> socket = server_.NextPendingConnection()) {
      peers_.push_back(Peer{std::move(socket)});
      Peer* peer = &peers_.back();
      peer->socket->ready_read.Connect([this, peer] { OnReadyRead(*peer); });
      peer->socket->error_occurred.Connect([this, peer](LocalSocket::Error /*error*/) {
        if (!reported_) Fail("server socket: " + peer->socket->error_string());
      });
    }
  }

  // New data on a connection: the stream check, or the echo.
  void OnReadyRead(Peer& peer) {
    if (run_.family == Family::kStream) {
      ReadStream(*peer.socket);
    } else {
      Echo(peer);
    }
  }

  // Checks the stream with Read, or in place with PeekBuffered + Skip; acks at its end.
  void ReadStream(LocalSocket& socket) {
    while (!receiver_->done()) {
      std::string_view data;
      if (run_.zero_copy) {
        data = socket.PeekBuffered();
      } else {
        const int64_t n = socket.Read(buffer_.data(), static_cast<int64_t>(run_.chunk));
        data = std::string_view(buffer_.data(), static_cast<size_t>(std::max<int64_t>(n, 0)));
      }
      if (data.empty()) return;
      if (!receiver_->Consume(data)) {
        Fail("stream pattern mismatch near byte " + std::to_string(receiver_->position()));
        return;
      }
      if (run_.zero_copy) socket.Skip(static_cast<int64_t>(data.size()));
    }
    if (reported_) return;
    socket.Write("k");
    link_.SendResult(receiver_->Result());
    reported_ = true;
  }

  // Echoes what is buffered: Read(buf, n) + Write(string_view).
  void Echo(Peer& peer) {
    int64_t n = 0;
    while ((n = peer.socket->Read(buffer_.data(), static_cast<int64_t>(buffer_.size()))) > 0) {
      peer.socket->Write(std::string_view(buffer_.data(), static_cast<size_t>(n)));
      peer.echoed += static_cast<uint64_t>(n);
      const bool all_done = run_.family == Family::kPingpong
                                ? echo_counter_.Add(static_cast<uint64_t>(n))
                                : peer.echoed == kMessageSize && connections_.OnEchoed();
      if (all_done) {
        link_.SendResult(run_.family == Family::kPingpong ? echo_counter_.Result()
                                                          : connections_.Result());
        reported_ = true;
      }
    }
  }

  LocalServer server_{loop_};
  std::unique_ptr<StreamReceiver> receiver_;  // kStream only.
  EchoCounter echo_counter_{run_};
  ConnectionsServerStats connections_{run_};
  std::vector<char> buffer_ = std::vector<char>(std::max(kEchoBuffer, run_.chunk));
  // A deque: stable addresses, and about no allocation of ours per connection.
  std::deque<Peer> peers_;
  std::unique_ptr<eventloop::FdWatcher> exit_watch_;
  bool reported_ = false;
};

// The stream client: keeps the write buffer topped up to a window as bytes_written reports
// progress, then waits for the ack.
class OurStreamClient : public LoopRole {
 public:
  using LoopRole::LoopRole;

  // Connects, streams until the ack, reports; the exit status.
  int Run() {
    if (!Connect(socket_)) return link_.Fail(error_);
    socket_.bytes_written.Connect([this](int64_t /*bytes*/) { TopUp(); });
    socket_.ready_read.Connect([this] {
      char ack = 0;
      if (socket_.Read(&ack, 1) != 1) return;
      result_ = sender_.AckResult();
      loop_.Quit();
    });
    socket_.error_occurred.Connect(
        [this](LocalSocket::Error /*error*/) { Fail("client: " + socket_.error_string()); });
    TopUp();
    loop_.Run();
    return Report(result_);
  }

 private:
  // Writes chunks while fewer than window_ bytes wait to be sent. WriteShared: the chunks are
  // slices of the sender's pattern, which the socket keeps alive instead of copying them
  // (chunks under 16 KiB it copies, as Write).
  void TopUp() {
    while (!sender_.finished() && socket_.BytesToWrite() < window_) {
      socket_.WriteShared(sender_.Next(), sender_.pattern_owner());
    }
  }

  LocalSocket socket_{loop_};
  StreamSender sender_{run_};
  // Bytes kept buffered ahead of the kernel: a few chunks, at least 256 KiB.
  const int64_t window_ =
      static_cast<int64_t>(std::max<size_t>(4 * run_.chunk, size_t{256} * 1024));
  Metrics result_;
};

// The pingpong client: one request, its echo (Read until complete), the next request.
class OurPingpongClient : public LoopRole {
 public:
  using LoopRole::LoopRole;

  // Connects, plays every round trip, reports; the exit status.
  int Run() {
    if (!Connect(socket_)) return link_.Fail(error_);
    socket_.ready_read.Connect([this] { OnReadyRead(); });
    socket_.error_occurred.Connect(
        [this](LocalSocket::Error /*error*/) { Fail("client: " + socket_.error_string()); });
    socket_.Write(trips_.NextRequest());
    loop_.Run();
    return Report(trips_.Result());
  }

 private:
  // Collects the echo; once complete, checks it and sends the next request.
  void OnReadyRead() {
    int64_t n = 0;
    while ((n = socket_.Read(echo_ + got_, static_cast<int64_t>(kMessageSize - got_))) > 0) {
      got_ += static_cast<size_t>(n);
      if (got_ < kMessageSize) continue;
      got_ = 0;
      if (!trips_.OnEcho(std::string_view(echo_, kMessageSize))) return Fail("wrong echo");
      if (trips_.done()) return loop_.Quit();
      socket_.Write(trips_.NextRequest());
    }
  }

  LocalSocket socket_{loop_};
  RoundTrips trips_{run_, link_};
  char echo_[kMessageSize] = {};
  size_t got_ = 0;
};

// The connections client: LocalSocket clients, at most `in_flight` waiting for their echo; a
// new one starts as one is echoed. None is closed before the end.
class OurConnectionsClient : public LoopRole {
 public:
  using LoopRole::LoopRole;

  // Starts the first `in_flight` clients, runs until every echo arrived, reports; the exit
  // status.
  int Run() {
    clients_.reserve(run_.connections);
    stats_.Start();
    while (clients_.size() < std::min(run_.in_flight, run_.connections) && error_.empty()) {
      StartNext();
    }
    if (error_.empty()) loop_.Run();
    return Report(stats_.Result());
  }

 private:
  // A client and its echo so far.
  struct Client {
    explicit Client(eventloop::EventLoop& loop) : socket(loop) {}
    LocalSocket socket;
    uint64_t index = 0;
    char echo[kMessageSize] = {};
    size_t got = 0;
  };

  // Creates the next client; it writes its message once connected.
  void StartNext() {
    clients_.push_back(std::make_unique<Client>(loop_));
    Client* client = clients_.back().get();
    client->index = clients_.size() - 1;
    client->socket.connected.Connect(
        [client] { client->socket.Write(IndexedMessage(client->index)); });
    client->socket.ready_read.Connect([this, client] { OnReadyRead(*client); });
    client->socket.error_occurred.Connect([this, client](LocalSocket::Error /*error*/) {
      if (!stats_.done()) Fail("client: " + client->socket.error_string());
    });
    client->socket.ConnectToServer(run_.path);
  }

  // Collects a client's echo; once complete, checks it and starts the next client.
  void OnReadyRead(Client& client) {
    const int64_t n = client.socket.Read(client.echo + client.got,
                                         static_cast<int64_t>(kMessageSize - client.got));
    if (n <= 0) return;
    client.got += static_cast<size_t>(n);
    if (client.got < kMessageSize) return;
    if (!stats_.OnEcho(client.index, std::string_view(client.echo, kMessageSize))) {
      return Fail("wrong echo");
    }
    if (stats_.done()) return loop_.Quit();
    if (clients_.size() < run_.connections) StartNext();
  }

  ConnectionsClientStats stats_{run_};
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace

int RunOurServer(const SocketRun& run, const ParentLink& link) {
  return OurServer(run, link).Run();
}

int RunOurClient(const SocketRun& run, const ParentLink& link) {
  switch (run.family) {
    case Family::kStream:
      return OurStreamClient(run, link).Run();
    case Family::kPingpong:
      return OurPingpongClient(run, link).Run();
    default:
      return OurConnectionsClient(run, link).Run();
  }
}

}  // namespace bench
