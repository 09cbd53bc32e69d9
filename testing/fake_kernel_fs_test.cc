// FakeKernel's filesystem namespace beyond the Linux contract (fake_kernel_contract_test.cc):
// the initial directories, permissions for a non-root identity, the umask, symbolic links,
// /proc/self/fd, deterministic mkdtemp names and the set-up helpers.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using test::ConnectTo;
using test::ListenOn;
using ::testing::ElementsAre;

constexpr SysResult kOk{0, 0};
SysResult Err(int err) { return SysResult{-1, err}; }

// The mode (type and permission bits) of `path`, or nullopt.
std::optional<mode_t> ModeOf(FakeKernel& kernel, const char* path) {
  struct stat st {};
  if (kernel.Lstat(path, &st) != kOk) return std::nullopt;
  return st.st_mode;
}

// Sets $TMPDIR for one scope.
class ScopedTmpdirVariable {
 public:
  explicit ScopedTmpdirVariable(const char* value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    ::setenv("TMPDIR", value, 1);
  }
  ~ScopedTmpdirVariable() {
    if (old_) {
      ::setenv("TMPDIR", old_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(FakeKernelFsTest, StartsWithTmpTmpdirAndTheDirectoriesAskedFor) {
  ScopedTmpdirVariable tmpdir("/var/tmp/ls//");
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.directories = {"/srv/a/b"};
  FakeKernel kernel(loop, options);
  EXPECT_EQ(ModeOf(kernel, "/tmp"), S_IFDIR | 01777);
  EXPECT_EQ(ModeOf(kernel, "/var/tmp"), S_IFDIR | 0755);
  EXPECT_EQ(ModeOf(kernel, "/var/tmp/ls"), S_IFDIR | 01777);
  EXPECT_EQ(ModeOf(kernel, "/srv/a/b"), S_IFDIR | 0755);
  EXPECT_THAT(kernel.ListDirectory("/"), ElementsAre("srv", "tmp", "var"));
  EXPECT_THAT(kernel.ListDirectory("/tmp"), ElementsAre());
  EXPECT_THAT(kernel.ListDirectory("/nowhere"), ElementsAre());
}

TEST(FakeKernelFsTest, SetUpHelpers) {
  eventloop::FakeEventLoop loop;
  FakeKernel kernel(loop);
  EXPECT_EQ(kernel.MakeDirectories("/srv/x", 0700), 0);
  EXPECT_EQ(kernel.MakeDirectories("/srv/x", 0700), 0) << "existing directories are kept";
  EXPECT_EQ(kernel.CreateFile("/srv/x/file", 0640), 0);
  EXPECT_EQ(kernel.CreateFile("/srv/x/file"), EEXIST);
  EXPECT_EQ(kernel.MakeDirectories("/srv/x/file/y"), ENOTDIR);
  EXPECT_EQ(kernel.MakeDirectories("relative"), EINVAL);
  EXPECT_EQ(kernel.Symlink("file", "/srv/x/link"), 0);
  EXPECT_EQ(ModeOf(kernel, "/srv/x"), S_IFDIR | 0700);
  EXPECT_EQ(ModeOf(kernel, "/srv/x/file"), S_IFREG | 0640);
  EXPECT_EQ(ModeOf(kernel, "/srv/x/link"), S_IFLNK | 0777);
  EXPECT_THAT(kernel.ListDirectory("/srv/x"), ElementsAre("file", "link"));
}

TEST(FakeKernelFsTest, ANonRootIdentityMeetsPermissions) {
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.uid = 1000;
  options.gid = 1000;
  FakeKernel kernel(loop, options);
  ASSERT_EQ(kernel.MakeDirectories("/srv/root-only", 0755), 0);  // Set-up: owned by root.
  ASSERT_EQ(kernel.MakeDirectories("/srv/closed", 0700), 0);
  ASSERT_EQ(kernel.CreateFile("/tmp/roots", 0644), 0);

  EXPECT_EQ(kernel.Open("/srv/root-only/f", O_RDWR | O_CREAT, 0600), Err(EACCES));
  std::string path_template = "/srv/root-only/t-XXXXXX";
  EXPECT_EQ(kernel.Mkdtemp(path_template.data()), Err(EACCES));
  EXPECT_EQ(ListenOn(kernel, "/srv/root-only/s"), Err(EACCES));
  struct stat st {};
  EXPECT_EQ(kernel.Lstat("/srv/closed/x", &st), Err(EACCES)) << "no search permission";
  EXPECT_EQ(kernel.Lstat("/srv/closed", &st), kOk);

  // In the sticky /tmp: one's own files, and root's only as "other".
  const SysResult own = kernel.Open("/tmp/mine", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(own.rc, 0);
  ASSERT_EQ(kernel.Fstat(static_cast<int>(own.rc), &st), kOk);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  EXPECT_EQ(kernel.Chmod("/tmp/mine", 0644), kOk);
  EXPECT_EQ(kernel.Chmod("/tmp/roots", 0666), Err(EPERM));
  EXPECT_EQ(kernel.Unlink("/tmp/roots"), Err(EPERM)) << "sticky directory";
  EXPECT_EQ(kernel.Open("/tmp/roots", O_RDWR, 0), Err(EACCES));
  const SysResult readable = kernel.Open("/tmp/roots", O_RDONLY, 0);
  EXPECT_GE(readable.rc, 0);

  // connect() needs write permission on the socket file.
  const SysResult listener = ListenOn(kernel, "/tmp/sock");
  ASSERT_GE(listener.rc, 0);
  EXPECT_EQ(kernel.Chmod("/tmp/sock", 0500), kOk);
  EXPECT_EQ(ConnectTo(kernel, "/tmp/sock"), Err(EACCES));
  EXPECT_EQ(kernel.Chmod("/tmp/sock", 0200), kOk);
  const SysResult client = ConnectTo(kernel, "/tmp/sock");
  EXPECT_GE(client.rc, 0);

  const int size = 1 << 20;
  EXPECT_EQ(kernel.SetSockOpt(static_cast<int>(listener.rc), SOL_SOCKET, SO_SNDBUFFORCE, &size,
                              sizeof(size)),
            Err(EPERM));
  for (const SysResult& r : {own, readable, listener, client}) kernel.Close(static_cast<int>(r.rc));
}

TEST(FakeKernelFsTest, TheUmaskAppliesToSocketFilesFilesAndDirectories) {
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.umask = 077;
  FakeKernel kernel(loop, options);
  const SysResult listener = ListenOn(kernel, "/tmp/sock");
  ASSERT_GE(listener.rc, 0);
  EXPECT_EQ(ModeOf(kernel, "/tmp/sock"), S_IFSOCK | 0700);
  const SysResult file = kernel.Open("/tmp/file", O_WRONLY | O_CREAT, 0666);
  ASSERT_GE(file.rc, 0);
  EXPECT_EQ(ModeOf(kernel, "/tmp/file"), S_IFREG | 0600);
  std::string path_template = "/tmp/d-XXXXXX";
  ASSERT_EQ(kernel.Mkdtemp(path_template.data()), kOk);
  EXPECT_EQ(ModeOf(kernel, path_template.c_str()), S_IFDIR | 0700);
  kernel.Close(static_cast<int>(listener.rc));
  kernel.Close(static_cast<int>(file.rc));
}

TEST(FakeKernelFsTest, MkdtempNamesAreDeterministic) {
  for (int run = 0; run < 2; ++run) {
    eventloop::FakeEventLoop loop;
    FakeKernel kernel(loop);
    std::string first = "/tmp/.ipc-server-XXXXXX";
    std::string second = "/tmp/.ipc-server-XXXXXX";
    ASSERT_EQ(kernel.Mkdtemp(first.data()), kOk);
    ASSERT_EQ(kernel.Mkdtemp(second.data()), kOk);
    EXPECT_EQ(first, "/tmp/.ipc-server-aaaaaa");
    EXPECT_EQ(second, "/tmp/.ipc-server-aaaaab");
  }
}

TEST(FakeKernelFsTest, SymbolicLinksResolveAndLoopsFailEloop) {
  eventloop::FakeEventLoop loop;
  FakeKernel kernel(loop);
  ASSERT_EQ(kernel.MakeDirectories("/srv/run"), 0);
  ASSERT_EQ(kernel.Symlink("/srv/run", "/tmp/run"), 0);
  ASSERT_EQ(kernel.Symlink("../run/sock", "/srv/run/relative"), 0);
  ASSERT_EQ(kernel.Symlink("/tmp/b", "/tmp/a"), 0);
  ASSERT_EQ(kernel.Symlink("/tmp/a", "/tmp/b"), 0);
  const SysResult listener = ListenOn(kernel, "/tmp/run/sock");  // Through a linked directory.
  ASSERT_GE(listener.rc, 0);
  EXPECT_EQ(ModeOf(kernel, "/srv/run/sock"), S_IFSOCK | 0755);
  const SysResult via_relative = ConnectTo(kernel, "/srv/run/relative");
  EXPECT_GE(via_relative.rc, 0);
  const SysResult via_dots = ConnectTo(kernel, "/srv/../tmp/./run/sock");
  EXPECT_GE(via_dots.rc, 0);
  EXPECT_EQ(ModeOf(kernel, "/tmp/a"), S_IFLNK | 0777) << "lstat does not follow";
  EXPECT_EQ(kernel.Open("/tmp/a", O_RDONLY, 0), Err(ELOOP));
  EXPECT_EQ(ConnectTo(kernel, "/tmp/a"), Err(ELOOP));
  EXPECT_EQ(kernel.Unlink("/tmp/a"), kOk) << "unlink removes the link itself";
  EXPECT_EQ(ConnectTo(kernel, "/tmp/b"), Err(ENOENT)) << "dangling now";
  EXPECT_EQ(kernel.Lstat("/tmp/run/", nullptr), Err(EFAULT));
  struct stat st {};
  EXPECT_EQ(kernel.Lstat("/srv/run/sock/", &st), Err(ENOTDIR)) << "a trailing slash";
  EXPECT_EQ(kernel.Lstat("", &st), Err(ENOENT));
  EXPECT_EQ(kernel.Lstat(("/tmp/" + std::string(256, 'n')).c_str(), &st), Err(ENAMETOOLONG));
  EXPECT_EQ(kernel.Rmdir("/"), Err(EBUSY));
  EXPECT_EQ(kernel.Rmdir("/tmp/."), Err(EINVAL));
  EXPECT_EQ(kernel.Unlink("/"), Err(EISDIR));
  for (const SysResult& r : {listener, via_relative, via_dots}) {
    kernel.Close(static_cast<int>(r.rc));
  }
}

TEST(FakeKernelFsTest, WithoutProcThereIsNoProcSelfFd) {
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.proc_self_fd = false;
  FakeKernel kernel(loop, options);
  const SysResult directory = kernel.Open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  ASSERT_GE(directory.rc, 0);
  EXPECT_EQ(ListenOn(kernel, "/proc/self/fd/" + std::to_string(directory.rc) + "/s"), Err(ENOENT));
  kernel.Close(static_cast<int>(directory.rc));
}

TEST(FakeKernelFsTest, SocketsHaveTheirOwnDeviceAndInodes) {
  eventloop::FakeEventLoop loop;
  FakeKernel kernel(loop);
  int fds[2];
  ASSERT_EQ(kernel.SocketPair(AF_UNIX, SOCK_STREAM, 0, fds), kOk);
  struct stat a {};
  struct stat b {};
  struct stat dir {};
  ASSERT_EQ(kernel.Fstat(fds[0], &a), kOk);
  ASSERT_EQ(kernel.Fstat(fds[1], &b), kOk);
  ASSERT_EQ(kernel.MakeDirectories("/srv/empty"), 0);
  ASSERT_EQ(kernel.Lstat("/srv/empty", &dir), kOk);
  EXPECT_EQ(a.st_mode, S_IFSOCK | 0777);
  EXPECT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_NE(a.st_dev, dir.st_dev);
  EXPECT_EQ(dir.st_nlink, 2u);
  kernel.Close(fds[0]);
  kernel.Close(fds[1]);
}

}  // namespace
}  // namespace ipc
