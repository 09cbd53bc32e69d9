// fd exhaustion, for real: a child process lowers its RLIMIT_NOFILE soft limit to its lowest
// free fd number, so that no new fd can be made, while an echo server in it has clients. The
// server keeps serving them; a connection waiting in the backlog makes accept4 fail with
// EMFILE, reported as kSocketResource and retried on the accept backoff (10 ms doubling to
// 1 s), not in a spin; a client made in the exhausted process gets kSocketResource; once fds
// are freed, the waiting connection is accepted within twice the longest backoff. The child
// reports what it saw through a pipe; the test checks it.
//
// (The single EMFILE of one accept, and its first retry, are covered by local_server_test's
// AcceptEmfileBacksOffAndRecovers.)
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/hardening/echo_server.h"
#include "ipc/hardening/report_pipe.h"
#include "ipc/local_socket.h"
#include "ipc/posix_os_calls.h"
#include "testing/child_process.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAreArray;
using Clock = std::chrono::steady_clock;

// The server's accept backoff after a failure: 10 ms, doubling up to 1 s.
constexpr int64_t kFirstBackoffMs = 10;
constexpr int64_t kMaxBackoffMs = 1000;
// Failed accepts to see before freeing an fd: the 8th backoff is the first of 1 s, the 9th
// failure shows the cap held.
constexpr int kFailures = 9;
// Slack on top of a backoff before a retry counts as late (a loaded machine, a sanitizer).
constexpr int64_t kLateMs = 1000;

// The backoff that follows failure number `n` (from 1).
int64_t BackoffAfterFailure(int n) {
  int64_t backoff = kFirstBackoffMs;
  for (int i = 1; i < n && backoff < kMaxBackoffMs; ++i) backoff *= 2;
  return std::min(backoff, kMaxBackoffMs);
}

// The real system calls; accept4 calls are also logged (time and result) while recording.
class AcceptLog : public PosixOsCalls {
 public:
  struct Call {
    Clock::time_point at;
    SysResult result;
  };

  void StartRecording() { recording_ = true; }
  const std::vector<Call>& calls() const { return calls_; }
  int failures() const {
    return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                          [](const Call& call) { return call.result.rc < 0; }));
  }

  SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) override {
    const Clock::time_point at = Clock::now();
    const SysResult result = PosixOsCalls::Accept4(fd, addr, addr_len, flags);
    if (recording_) calls_.push_back(Call{at, result});
    return result;
  }

 private:
  bool recording_ = false;
  std::vector<Call> calls_;
};

int64_t MillisecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

// A blocking raw client socket (not connected yet), close-on-exec.
int RawSocket() { return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }

bool RawConnect(int fd, const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  memcpy(address.sun_path, path.data(), path.size());
  return connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

// The child's part. Reports "log <text>" lines, which the test compares exactly, and
// "value <name> <integer>" lines.
class ExhaustedServer {
 public:
  ExhaustedServer(ReportPipe& report, std::string path) : report_(report), path_(std::move(path)) {}

  int Run() {
    if (!server_.Listen(path_)) return Stop("listen failed: " + server_.server().error_string());
    Log("listening");
    for (auto& client : clients_) {
      client = std::make_unique<LocalSocket>(loop_);
      client->ConnectToServer(path_);
      if (client->state() != LocalSocket::State::kConnected) return Stop("client not connected");
    }
    if (!RunLoopUntil(loop_, [&] { return server_.open_connections() == clients_.size(); })) {
      return Stop("clients not accepted");
    }
    EchoRound("before the exhaustion");

    // Made before the exhaustion: two fds to free later (one for the waiting connection, one
    // so that the accept after it finds nothing rather than no fd: accept4 needs a free fd
    // even when nobody waits), and the socket of a client that will wait in the backlog.
    const int spares[2] = {open("/dev/null", O_RDONLY | O_CLOEXEC),
                           open("/dev/null", O_RDONLY | O_CLOEXEC)};
    const int waiting = RawSocket();
    if (spares[0] < 0 || spares[1] < 0 || waiting < 0) return Stop("no spare fds");
    const int lowest_free = fcntl(0, F_DUPFD_CLOEXEC, 0);
    if (lowest_free < 0) return Stop("no free fd");
    close(lowest_free);
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = static_cast<rlim_t>(lowest_free);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return Stop("setrlimit failed");
    Log("exhausted");

    // A client made in the exhausted process.
    LocalSocket late(loop_);
    EventRecorder late_events(late);
    late.ConnectToServer(path_);
    std::string events;
    for (const std::string& event : late_events.events()) events += " " + event;
    Log("new client:" + events);
    Log("new client error: " + late.error_string());

    // A client of another process, in effect: its socket exists, its connection needs an
    // accept, which needs an fd.
    os_.StartRecording();
    if (!RawConnect(waiting, path_)) return Stop("waiting client cannot connect");
    Log("waiting client in the backlog");
    if (!RunLoopUntil(loop_, [&] { return os_.failures() >= 4; })) return Stop("no retries");
    EchoRound("while exhausted");
    if (!RunLoopUntil(loop_, [&] { return os_.failures() >= kFailures; })) {
      return Stop("too few retries");
    }
    EchoRound("while exhausted, at the longest backoff");

    close(spares[0]);
    close(spares[1]);
    const Clock::time_point freed = Clock::now();
    Log("two fds freed");
    if (!RunLoopUntil(loop_, [&] { return server_.accepted() == 3; })) {
      return Stop("the waiting client was not accepted");
    }
    Log("waiting client accepted");
    const bool echoed = WriteAll(waiting, "after") && ReadFromLoop(waiting, 5) == "after";
    Log(std::string("waiting client echo: ") + (echoed ? "ok" : "wrong"));

    for (const AcceptLog::Call& call : os_.calls()) {
      std::ostringstream text;
      text << "accept4 ";
      if (call.result.rc >= 0) {
        text << "an fd";
      } else {
        text << call.result;
      }
      Log(text.str());
      Value("accept4_ms", MillisecondsBetween(os_.calls().front().at, call.at));
    }
    Value("freed_ms", MillisecondsBetween(os_.calls().front().at, freed));
    for (const std::string& error : server_.server_errors()) Log("server error: " + error);
    std::ostringstream server_error;
    server_error << server_.server().server_error();
    Log("server_error(): " + server_error.str());
    close(waiting);
    report_.Send();
    return 0;
  }

 private:
  void Log(const std::string& text) { report_.Add("log " + text); }
  void Value(const std::string& name, int64_t value) {
    report_.Add("value " + name + " " + std::to_string(value));
  }
  int Stop(const std::string& why) {
    Log("stopped: " + why);
    report_.Send();
    return 1;
  }

  // Each existing client sends a line and gets it back through the server.
  void EchoRound(const std::string& when) {
    bool ok = true;
    for (auto& client : clients_) {
      const std::string line = "ping " + when;
      std::string echo;
      auto connection = client->ready_read.Connect([&] { echo += client->ReadAll(); });
      client->Write(line);
      ok = ok && RunLoopUntil(loop_, [&] { return echo.size() >= line.size(); }) && echo == line;
      connection.Disconnect();
    }
    Log("existing clients served " + when + ": " + (ok ? "ok" : "wrong"));
  }

  // Runs the loop until `n` bytes can be read from the raw fd, then reads them.
  std::string ReadFromLoop(int fd, size_t n) {
    if (!RunLoopUntil(loop_, [&] { return QueuedForReading(fd) >= static_cast<int>(n); })) {
      return "";
    }
    return ReadExactly(fd, n);
  }

  ReportPipe& report_;
  const std::string path_;
  eventloop::LibeventLoop loop_;
  AcceptLog os_;
  EchoServer server_{loop_, os_};
  std::array<std::unique_ptr<LocalSocket>, 2> clients_;
};

TEST(FdExhaustionTest, ServesItsClientsBacksOffAndRecovers) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
  ReportPipe report;
  ASSERT_TRUE(report.ok());
  const std::string path = dir.File("srv");
  ChildProcess child([&] { return ExhaustedServer(report, path).Run(); });
  ASSERT_GT(child.pid(), 0);
  std::vector<std::string> log;
  std::map<std::string, std::vector<int64_t>> values;
  for (const std::string& line : report.Receive()) {
    if (line.rfind("log ", 0) == 0) {
      log.push_back(line.substr(4));
    } else {
      std::istringstream fields(line.substr(6));
      std::string name;
      int64_t value = 0;
      fields >> name >> value;
      values[name].push_back(value);
    }
  }
  EXPECT_EQ(child.Wait(), 0);

  const std::string resource_error =
      "kSocketResource LocalServer::Accept: out of resources: Too many open files";
  std::vector<std::string> expected = {
      "listening",
      "existing clients served before the exhaustion: ok",
      "exhausted",
      "new client: state:kConnecting error:kSocketResource state:kUnconnected",
      "new client error: LocalSocket::ConnectToServer: out of resources: Too many open files",
      "waiting client in the backlog",
      "existing clients served while exhausted: ok",
      "existing clients served while exhausted, at the longest backoff: ok",
      "two fds freed",
      "waiting client accepted",
      "waiting client echo: ok",
  };
  // Exactly kFailures failed accepts (no spin), then the accept, then "nothing more".
  for (int i = 0; i < kFailures; ++i) expected.push_back("accept4 {rc: -1, err: EMFILE}");
  expected.push_back("accept4 an fd");
  expected.push_back("accept4 {rc: -1, err: EAGAIN}");
  for (int i = 0; i < kFailures; ++i) expected.push_back("server error: " + resource_error);
  expected.push_back("server_error(): kSocketResource");
  ASSERT_THAT(log, ElementsAreArray(expected));

  // Each retry waited its backoff (never less; not much more either).
  const std::vector<int64_t>& at = values["accept4_ms"];
  ASSERT_EQ(at.size(), static_cast<size_t>(kFailures + 2));
  for (int n = 1; n <= kFailures; ++n) {
    const int64_t waited = at[static_cast<size_t>(n)] - at[static_cast<size_t>(n - 1)];
    EXPECT_GE(waited, BackoffAfterFailure(n)) << "after failure " << n;
    EXPECT_LE(waited, BackoffAfterFailure(n) + kLateMs) << "after failure " << n;
  }
  // Accepting again within twice the longest backoff of the freeing.
  ASSERT_EQ(values["freed_ms"].size(), 1u);
  const int64_t recovered = at[static_cast<size_t>(kFailures)] - values["freed_ms"][0];
  EXPECT_GE(recovered, 0);
  EXPECT_LE(recovered, 2 * kMaxBackoffMs);
}

}  // namespace
}  // namespace test
}  // namespace ipc
