// The demo behind tools/demo: a LocalServer and three LocalSocket clients talking over a
// Unix-domain socket in one process, on one LibeventLoop. It prints connections, state changes
// and every byte exchanged, and ends by itself once every client has said goodbye (Ctrl-C
// ends it earlier).
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"

namespace {

using ipc::LocalServer;
using ipc::LocalSocket;
using std::chrono::milliseconds;

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <typename T>
std::string Str(T value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

class Demo {
 public:
  Demo() : start_(loop_.Now()), server_(loop_) {}

  int Run() {
    char directory[] = "/tmp/localsocket-demo-XXXXXX";
    if (mkdtemp(directory) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    const std::string path = std::string(directory) + "/demo.sock";

    server_.SetSocketOptions(LocalServer::kUserAccess);
    server_.new_connection.Connect([this] { OnNewConnection(); });
    if (!server_.Listen(path)) {
      std::fprintf(stderr, "listen failed: %s\n", server_.error_string().c_str());
      return 1;
    }
    struct stat st {};
    lstat(path.c_str(), &st);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    Log("server", "listening on " + server_.full_server_name() + " (file mode " + mode + ")");

    auto sigint = loop_.WatchSignal(SIGINT, [this] {
      Log("demo", "SIGINT: quitting");
      loop_.Quit();
    });
    for (int i = 1; i <= 3; ++i) {
      loop_.PostDelayed(milliseconds(20 * i), [this, i, path] { StartClient(i, path); });
    }
    loop_.Run();

    server_.Close();
    struct stat after {};
    const bool removed = lstat(path.c_str(), &after) != 0;
    rmdir(directory);
    Log("demo", "done: " + std::to_string(bytes_echoed_) + " bytes echoed for " +
                    std::to_string(clients_done_) + " clients; socket file " +
                    (removed ? "removed by Close()" : "still there"));
    return clients_done_ == 3 ? 0 : 1;
  }

 private:
  // Server side: echo every line back in upper case.
  void OnNewConnection() {
    while (std::unique_ptr<LocalSocket> socket = server_.NextPendingConnection()) {
      LocalSocket* peer = socket.get();
      const std::string who = "server#" + std::to_string(++accepted_);
      Log(who, "accepted a connection (fd " + std::to_string(peer->socket_descriptor()) + ")");
      peer->ready_read.Connect([this, peer, who] {
        while (peer->CanReadLine()) {
          const std::string line = peer->ReadLine();
          std::string reply = line;
          std::transform(reply.begin(), reply.end(), reply.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
          Log(who, "read " + Quoted(line) + ", replying " + Quoted(reply));
          peer->Write(reply);
          bytes_echoed_ += static_cast<int>(reply.size());
        }
      });
      peer->disconnected.Connect([this, peer, who] {
        Log(who, "peer closed the connection");
        // Destroying the socket from inside its own signal is allowed.
        peers_.erase(std::remove_if(peers_.begin(), peers_.end(),
                                    [peer](const auto& p) { return p.get() == peer; }),
                     peers_.end());
      });
      peers_.push_back(std::move(socket));
    }
  }

  // Client side: connect, send two lines at once and a third one later, disconnect after the
  // third reply.
  void StartClient(int id, const std::string& path) {
    auto client = std::make_unique<LocalSocket>(loop_);
    LocalSocket* socket = client.get();
    const std::string who = "client" + std::to_string(id);
    socket->state_changed.Connect(
        [this, who](LocalSocket::State state) { Log(who, "state -> " + Str(state)); });
    auto second_line = std::shared_ptr<eventloop::Timer>(loop_.CreateTimer([this, socket, who] {
      socket->Write("how are you?\n");
      Log(who, "wrote " + Quoted("how are you?\n"));
    }));
    socket->connected.Connect([this, socket, who, id, second_line] {
      Log(who, "connected to " + socket->full_server_name());
      socket->Write("hello from client " + std::to_string(id) + "\n");
      socket->Write("nice to meet you\n");
      Log(who, "wrote 2 lines (" + std::to_string(socket->BytesToWrite()) +
                   " bytes; they leave in one sendmsg before the loop blocks)");
      second_line->Start(milliseconds(60));
    });
    socket->bytes_written.Connect(
        [this, who](int64_t n) { Log(who, "bytes_written(" + std::to_string(n) + ")"); });
    auto replies = std::make_shared<int>(0);
    socket->ready_read.Connect([this, socket, who, replies] {
      while (socket->CanReadLine()) {
        Log(who, "received " + Quoted(socket->ReadLine()));
        if (++*replies == 3) socket->DisconnectFromServer();
      }
    });
    socket->error_occurred.Connect([this, socket, who](LocalSocket::Error error) {
      Log(who, "error " + Str(error) + ": " + socket->error_string());
    });
    socket->disconnected.Connect([this, who] {
      Log(who, "disconnected");
      if (++clients_done_ == 3) loop_.Quit();
    });
    clients_.push_back(std::move(client));
    Log(who, "connecting to " + path);
    socket->ConnectToServer(path);  // Synchronous: connected before this returns.
  }

  void Log(const std::string& who, const std::string& what) {
    const auto elapsed = std::chrono::duration<double, std::milli>(loop_.Now() - start_);
    std::printf("[%7.2f ms] %-9s %s\n", elapsed.count(), who.c_str(), what.c_str());
    std::fflush(stdout);
  }

  eventloop::LibeventLoop loop_;
  const eventloop::TimePoint start_;
  LocalServer server_;
  std::vector<std::unique_ptr<LocalSocket>> peers_;
  std::vector<std::unique_ptr<LocalSocket>> clients_;
  int accepted_ = 0;
  int clients_done_ = 0;
  int bytes_echoed_ = 0;
};

}  // namespace

int main() { return Demo().Run(); }
