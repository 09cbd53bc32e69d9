// LocalServer::ListenInherited end to end: each case runs in a forked child started the way a
// service manager starts a socket-activated daemon (the sockets at fds 3, 4, ...; LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES in the environment), because the variables are read once per
// process.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/child_process.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace {

using Error = LocalSocket::Error;

// The checks a child makes; what failed is sent back to the test.
class Report {
 public:
  void Expect(bool ok, const std::string& what) {
    if (!ok) failures_ += what + "\n";
  }
  template <typename T>
  void ExpectEq(const T& actual, const T& expected, const std::string& what) {
    if (!(actual == expected)) failures_ += what + ": got " + Str(actual) + "\n";
  }
  const std::string& failures() const { return failures_; }

 private:
  static std::string Str(const std::string& s) { return "\"" + s + "\""; }
  template <typename T>
  static std::string Str(const T& value) {
    return std::to_string(static_cast<long long>(value));
  }
  std::string failures_;
};

// The names of the protocol variables, and LISTEN_PID set to the child's own pid unless
// `listen_pid` is given.
struct Environment {
  const char* listen_fds = nullptr;
  const char* listen_fdnames = nullptr;
  const char* listen_pid = nullptr;  // nullptr: the child's pid (when listen_fds is set).
};

// Runs `body` in a child whose fds 3, 4, ... are copies of `passed`, with `environment` set.
// Returns the failed checks ("" = all passed), or why the child did not report.
std::string RunActivated(const std::vector<int>& passed, const Environment& environment,
                         const std::function<void(Report&)>& body) {
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0) return "pipe failed";
  test::ChildProcess child([&] {
    // Move everything involved above the target range first, so no dup2 clobbers a source.
    const int report_fd = fcntl(report_pipe[1], F_DUPFD_CLOEXEC, 100);
    std::vector<int> high;
    for (const int fd : passed) high.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 100));
    for (size_t i = 0; i < high.size(); ++i) {
      dup2(high[i], 3 + static_cast<int>(i));  // Inherited fds come without FD_CLOEXEC.
      close(high[i]);
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (environment.listen_fds != nullptr) {
      setenv("LISTEN_FDS", environment.listen_fds, 1);
      const std::string pid =
          environment.listen_pid != nullptr ? environment.listen_pid : std::to_string(getpid());
      setenv("LISTEN_PID", pid.c_str(), 1);
    }
    if (environment.listen_fdnames != nullptr) {
      setenv("LISTEN_FDNAMES", environment.listen_fdnames, 1);
    }
    Report report;
    body(report);
    const std::string& text = report.failures();
    return write(report_fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 1;
  });
  close(report_pipe[1]);
  const int status = child.Wait();
  std::string failures = test::ReadUntilEof(report_pipe[0]);
  close(report_pipe[0]);
  if (status != 0) failures += "the child exited with status " + std::to_string(status) + "\n";
  return failures;
}

bool IsCloseOnExec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }
bool IsOpenFd(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

class ListenInheritedTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(ListenInheritedTest, NamedSocketsAreTakenByNameAndServeClients) {
  const std::string web_path = dir_.File("web"), admin_path = dir_.File("admin");
  auto web = test::RawListener::Listen(web_path);
  auto admin = test::RawListener::Listen(admin_path);
  ASSERT_NE(web, nullptr);
  ASSERT_NE(admin, nullptr);
  const std::string failures =
      RunActivated({web->fd(), admin->fd()}, {"2", "web:admin"}, [&](Report& report) {
        eventloop::LibeventLoop loop;
        LocalServer unnamed(loop);
        report.Expect(!unnamed.ListenInherited(), "ListenInherited() with two fds succeeded");
        report.ExpectEq(unnamed.server_error(), Error::kServerNotFound, "unnamed: error");
        report.ExpectEq(unnamed.error_string(),
                        std::string("LocalServer::ListenInherited: 2 inherited sockets: name "
                                    "the one to take"),
                        "unnamed: error_string");
        report.Expect(getenv("LISTEN_PID") == nullptr && getenv("LISTEN_FDS") == nullptr &&
                          getenv("LISTEN_FDNAMES") == nullptr,
                      "the variables are still set after the first call");

        LocalServer admin_server(loop);
        report.Expect(admin_server.ListenInherited("admin"), "ListenInherited(admin) failed");
        report.ExpectEq(admin_server.socket_descriptor(), 4, "admin: fd");
        report.ExpectEq(admin_server.full_server_name(), admin_path, "admin: full name");
        report.ExpectEq(admin_server.server_name(), std::string("admin"), "admin: name");
        report.Expect(IsCloseOnExec(4), "admin: fd 4 is not close-on-exec");
        report.Expect(!IsCloseOnExec(3), "web: fd 3 changed before it was taken");

        LocalServer again(loop);
        report.Expect(!again.ListenInherited("admin"), "admin taken twice");
        report.ExpectEq(again.error_string(),
                        std::string("LocalServer::ListenInherited: the inherited socket "
                                    "\"admin\" was already taken"),
                        "again: error_string");
        report.Expect(!again.ListenInherited("metrics"), "metrics taken");
        report.ExpectEq(again.server_error(), Error::kServerNotFound, "metrics: error");
        report.ExpectEq(again.error_string(),
                        std::string("LocalServer::ListenInherited: no inherited socket named "
                                    "\"metrics\""),
                        "metrics: error_string");

        LocalServer web_server(loop);
        report.Expect(web_server.ListenInherited("web"), "ListenInherited(web) failed");
        report.ExpectEq(web_server.socket_descriptor(), 3, "web: fd");
        LocalSocket client(loop);
        client.ConnectToServer(web_path);
        report.ExpectEq(client.state(), LocalSocket::State::kConnected, "client: state");
        report.Expect(test::RunLoopUntil(loop, [&] { return web_server.HasPendingConnections(); }),
                      "web: no connection accepted");
        std::unique_ptr<LocalSocket> accepted = web_server.NextPendingConnection();
        report.Expect(accepted != nullptr, "web: no pending connection");
        web_server.Close();
        admin_server.Close();
        struct stat st {};
        report.Expect(lstat(web_path.c_str(), &st) == 0 && lstat(admin_path.c_str(), &st) == 0,
                      "Close() removed an inherited socket's file");
      });
  EXPECT_EQ(failures, "");
}

TEST_F(ListenInheritedTest, TheOnlySocketIsTakenWithoutAName) {
  auto listener = test::RawListener::ListenAbstract(test::UniqueAbstractName("activated"));
  ASSERT_NE(listener, nullptr);
  const std::string failures = RunActivated({listener->fd()}, {"1"}, [&](Report& report) {
    eventloop::LibeventLoop loop;
    LocalServer server(loop);
    report.Expect(server.ListenInherited(), "ListenInherited() failed");
    report.ExpectEq(server.socket_descriptor(), 3, "fd");
    report.Expect((server.socket_options() & LocalServer::kAbstractNamespace) != 0,
                  "abstract option not set");
    report.Expect((fcntl(3, F_GETFL) & O_NONBLOCK) != 0, "fd 3 is blocking");
    LocalServer second(loop);
    report.Expect(!second.ListenInherited(), "the only fd taken twice");
    report.ExpectEq(second.error_string(),
                    std::string("LocalServer::ListenInherited: the inherited socket was already "
                                "taken"),
                    "second: error_string");
    report.Expect(!server.ListenInherited(), "ListenInherited while listening succeeded");
    report.ExpectEq(server.server_error(), Error::kOperation, "while listening: error");
    report.ExpectEq(server.error_string(),
                    std::string("LocalServer::ListenInherited: already listening"),
                    "while listening: error_string");
    report.Expect(server.IsListening(), "a refused call stopped the server");
  });
  EXPECT_EQ(failures, "");
}

TEST_F(ListenInheritedTest, DescriptorsThatAreNotListeningSocketsAreRefusedAndLeftOpen) {
  int a_pipe[2], a_pair[2];
  ASSERT_EQ(pipe2(a_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a_pair), 0);
  const std::string failures =
      RunActivated({a_pipe[0], a_pair[0]}, {"2", "pipe:pair"}, [&](Report& report) {
        eventloop::LibeventLoop loop;
        LocalServer server(loop);
        report.Expect(!server.ListenInherited("pipe"), "a pipe was taken");
        report.ExpectEq(server.server_error(), Error::kUnsupportedSocketOperation, "pipe: error");
        report.ExpectEq(server.error_string(),
                        std::string("LocalServer::ListenInherited: not a socket"),
                        "pipe: error_string");
        report.Expect(!server.ListenInherited("pair"), "a connected socket was taken");
        report.ExpectEq(server.error_string(),
                        std::string("LocalServer::ListenInherited: not a listening socket"),
                        "pair: error_string");
        report.Expect(IsOpenFd(3) && IsOpenFd(4), "a refused fd was closed");
        report.Expect(!IsCloseOnExec(3) && !IsCloseOnExec(4), "a refused fd was changed");
        // A refused fd was not taken: the same refusal again, not "already taken".
        report.Expect(!server.ListenInherited("pipe"), "the pipe was taken the second time");
        report.ExpectEq(server.error_string(),
                        std::string("LocalServer::ListenInherited: not a socket"),
                        "pipe again: error_string");
      });
  EXPECT_EQ(failures, "");
  for (const int fd : {a_pipe[0], a_pipe[1], a_pair[0], a_pair[1]}) close(fd);
}

TEST_F(ListenInheritedTest, MissingOrForeignVariablesAreRefused) {
  std::string failures = RunActivated({}, {}, [&](Report& report) {
    eventloop::LibeventLoop loop;
    LocalServer server(loop);
    report.Expect(!server.ListenInherited(), "succeeded without variables");
    report.ExpectEq(server.server_error(), Error::kServerNotFound, "error");
    report.ExpectEq(server.error_string(),
                    std::string("LocalServer::ListenInherited: no sockets passed by a service "
                                "manager (LISTEN_PID or LISTEN_FDS unset)"),
                    "error_string");
  });
  EXPECT_EQ(failures, "");
  auto listener = test::RawListener::ListenAbstract(test::UniqueAbstractName("foreign"));
  ASSERT_NE(listener, nullptr);
  Environment foreign{"1", nullptr, "1"};  // LISTEN_PID 1: meant for another process.
  failures = RunActivated({listener->fd()}, foreign, [&](Report& report) {
    eventloop::LibeventLoop loop;
    LocalServer server(loop);
    report.Expect(!server.ListenInherited(), "took another process's socket");
    report.ExpectEq(server.server_error(), Error::kServerNotFound, "error");
    const std::string expected =
        "LocalServer::ListenInherited: the sockets were passed to another process (LISTEN_PID "
        "1, this process " +
        std::to_string(getpid()) + ")";
    report.ExpectEq(server.error_string(), expected, "error_string");
    report.Expect(getenv("LISTEN_PID") == nullptr && getenv("LISTEN_FDS") == nullptr,
                  "the variables are still set after a refused parse");
    report.Expect(IsOpenFd(3), "fd 3 was closed");
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace ipc
