// Who may connect, decided by the socket file's mode: a client process that dropped to
// `nobody` (setgroups, setresgid, setresuid) gets kSocketAccess on 0700, 0070 and 0755
// sockets and connects to 0007 and 0777 ones. And every socket option under the umasks 0000,
// 0022 and 0077 gives exactly the documented mode: the option's own, or 0777 less the umask
// without one. The sockets live in a fresh 0711 directory under /tmp, which `nobody` may
// traverse ($TEST_TMPDIR sits under a 0700 home).
//
// Dropping to `nobody` needs root outside a user namespace: the target is tagged no-sandbox
// (Bazel's sandbox maps root into a user namespace, where setresuid fails). As root, a
// failing privilege drop fails the test; as another user those cases are skipped.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "ipc/hardening/report_pipe.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/child_process.h"
#include "testing/run_loop_until.h"

namespace ipc {
namespace test {
namespace {

using Error = LocalSocket::Error;

// The umask for one scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  const mode_t old_;
};

std::optional<mode_t> SocketMode(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return st.st_mode & 07777;
}

std::string Octal(mode_t mode) {
  std::ostringstream text;
  text << "0" << std::oct << mode;
  return text.str();
}

class PermissionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path_template = "/tmp/ls-perm.XXXXXX";
    ASSERT_NE(mkdtemp(path_template.data()), nullptr) << strerror(errno);
    dir_ = path_template;
    ASSERT_EQ(chmod(dir_.c_str(), 0711), 0) << strerror(errno);
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  eventloop::LibeventLoop loop_;
  std::string dir_;
};

// ---------------------------------------------------------------------------------------------
// Socket options x umask.

struct OptionCase {
  const char* name;
  uint32_t options;
  mode_t mode;  // With kNoOptions: 0777, less the umask.
};

const OptionCase kOptionCases[] = {
    {"none", LocalServer::kNoOptions, 0777},
    {"user", LocalServer::kUserAccess, 0700},
    {"group", LocalServer::kGroupAccess, 0070},
    {"other", LocalServer::kOtherAccess, 0007},
    {"world", LocalServer::kWorldAccess, 0777},
    {"user_group", LocalServer::kUserAccess | LocalServer::kGroupAccess, 0770},
    {"group_other", LocalServer::kGroupAccess | LocalServer::kOtherAccess, 0077},
    {"user_other", LocalServer::kUserAccess | LocalServer::kOtherAccess, 0707},
};

TEST_F(PermissionsTest, EachOptionUnderEachUmaskGivesTheDocumentedMode) {
  for (const mode_t mask : {mode_t{0000}, mode_t{0022}, mode_t{0077}}) {
    for (const OptionCase& c : kOptionCases) {
      SCOPED_TRACE(std::string(c.name) + " under umask " + Octal(mask));
      const mode_t expected = c.options == LocalServer::kNoOptions ? (c.mode & ~mask) : c.mode;
      LocalServer server(loop_);
      server.SetSocketOptions(c.options);
      {
        ScopedUmask umask_for_listen(mask);
        ASSERT_TRUE(server.Listen(Path(c.name))) << server.error_string();
      }
      const std::optional<mode_t> mode = SocketMode(Path(c.name));
      ASSERT_TRUE(mode.has_value()) << "no socket at " << Path(c.name);
      EXPECT_EQ(Octal(*mode), Octal(expected));
      server.Close();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A client running as nobody.

struct AccessCase {
  const char* name;
  uint32_t options;
  mode_t umask;  // For kNoOptions.
  mode_t mode;
  bool admitted;
};

const AccessCase kAccessCases[] = {
    {"user", LocalServer::kUserAccess, 0022, 0700, false},
    {"group", LocalServer::kGroupAccess, 0022, 0070, false},
    {"umask_022", LocalServer::kNoOptions, 0022, 0755, false},
    {"other", LocalServer::kOtherAccess, 0022, 0007, true},
    {"world", LocalServer::kWorldAccess, 0022, 0777, true},
};

// In the child: drops to `uid`/`gid` with no supplementary groups, connects to `path` and
// reports "<state> <error> <error_string>", or "drop failed: <why>".
int ConnectAs(uid_t uid, gid_t gid, const std::string& path, ReportPipe& report) {
  if (setgroups(0, nullptr) != 0) {
    report.Add(std::string("drop failed: setgroups: ") + strerror(errno));
  } else if (setresgid(gid, gid, gid) != 0) {
    report.Add(std::string("drop failed: setresgid: ") + strerror(errno));
  } else if (setresuid(uid, uid, uid) != 0) {
    report.Add(std::string("drop failed: setresuid: ") + strerror(errno));
  } else if (getuid() != uid || geteuid() != uid || getegid() != gid) {
    report.Add("drop failed: still privileged");
  } else {
    eventloop::LibeventLoop loop;
    LocalSocket socket(loop);
    socket.ConnectToServer(path);
    std::ostringstream result;
    result << socket.state() << " " << socket.error() << " " << socket.error_string();
    report.Add(result.str());
  }
  report.Send();
  return 0;
}

TEST_F(PermissionsTest, NobodyIsAdmittedExactlyByTheOtherBits) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "not root: the cases that run a client as nobody are skipped";
  }
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr) << "no user nobody";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  ASSERT_NE(uid, 0u);
  for (const AccessCase& c : kAccessCases) {
    SCOPED_TRACE(c.name);
    LocalServer server(loop_);
    server.SetSocketOptions(c.options);
    {
      ScopedUmask umask_for_listen(c.umask);
      ASSERT_TRUE(server.Listen(Path(c.name))) << server.error_string();
    }
    int accepted = 0;
    server.new_connection.Connect([&] {
      while (server.NextPendingConnection() != nullptr) ++accepted;
    });
    ASSERT_EQ(SocketMode(Path(c.name)), c.mode);

    ReportPipe report;
    ASSERT_TRUE(report.ok());
    const std::string path = Path(c.name);
    ChildProcess child([&] { return ConnectAs(uid, gid, path, report); });
    ASSERT_GT(child.pid(), 0);
    const std::vector<std::string> lines = report.Receive();
    ASSERT_EQ(child.Wait(), 0);
    ASSERT_EQ(lines.size(), 1u);
    ASSERT_NE(lines[0].rfind("drop failed", 0), 0u)
        << lines[0] << " (as root outside a user namespace, dropping to nobody must work)";
    if (c.admitted) {
      EXPECT_EQ(lines[0], "kConnected kNone ");
      EXPECT_TRUE(RunLoopUntil(loop_, [&] { return accepted == 1; }));
    } else {
      EXPECT_EQ(lines[0],
                "kUnconnected kSocketAccess LocalSocket::ConnectToServer: socket access error: "
                "Permission denied");
      loop_.RunUntilIdle();
      EXPECT_EQ(accepted, 0);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace ipc
