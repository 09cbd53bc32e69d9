#include "ipc/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"

namespace ipc {
namespace {

static_assert(!std::is_copy_constructible_v<UniqueFd>);
static_assert(!std::is_copy_assignable_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// Returns a fresh open descriptor (one end of a pipe; the other end is closed).
int OpenFd() {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  return fds[0];
}

// Returns a descriptor number that is not open (this test is single-threaded, so nothing
// reuses it until the test opens something).
int ClosedFd() {
  const int fd = OpenFd();
  ::close(fd);
  return fd;
}

TEST(UniqueFdTest, DefaultOwnsNothing) {
  UniqueFd fd;
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.release(), -1);
  fd.reset();
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFdTest, NegativeValuesOwnNothing) {
  UniqueFd fd(-5);
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd);
}

TEST(UniqueFdTest, ClosesOnDestruction) {
  const int raw = OpenFd();
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.get(), raw);
    EXPECT_TRUE(fd);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, ReleaseGivesUpOwnershipWithoutClosing) {
  const int raw = OpenFd();
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_EQ(fd.get(), -1);
    EXPECT_FALSE(fd);
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(UniqueFdTest, ResetClosesTheOldAndOwnsTheNew) {
  const int first = OpenFd();
  const int second = OpenFd();
  UniqueFd fd(first);
  fd.reset(second);
  EXPECT_FALSE(IsOpen(first));
  EXPECT_TRUE(IsOpen(second));
  EXPECT_EQ(fd.get(), second);
  fd.reset();
  EXPECT_FALSE(IsOpen(second));
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd);
}

TEST(UniqueFdTest, ResetToTheOwnedDescriptorKeepsItOpen) {
  const int raw = OpenFd();
  UniqueFd fd(raw);
  fd.reset(raw);
  EXPECT_TRUE(IsOpen(raw));
  EXPECT_EQ(fd.get(), raw);
}

TEST(UniqueFdTest, MoveConstructionTransfersOwnership) {
  const int raw = OpenFd();
  UniqueFd from(raw);
  UniqueFd to(std::move(from));
  EXPECT_EQ(from.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified.
  EXPECT_EQ(to.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
  to.reset();
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, MoveAssignmentClosesTheTargetsDescriptor) {
  const int kept = OpenFd();
  const int replaced = OpenFd();
  UniqueFd from(kept);
  UniqueFd to(replaced);
  to = std::move(from);
  EXPECT_FALSE(IsOpen(replaced));
  EXPECT_TRUE(IsOpen(kept));
  EXPECT_EQ(to.get(), kept);
  EXPECT_EQ(from.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified.
}

TEST(UniqueFdTest, SelfMoveAssignmentKeepsTheDescriptor) {
  const int raw = OpenFd();
  UniqueFd fd(raw);
  UniqueFd& alias = fd;  // Through a reference, so compilers do not warn about a self-move.
  fd = std::move(alias);
  EXPECT_EQ(fd.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, ClosePreservesErrno) {
  UniqueFd fd(ClosedFd());  // close() will fail with EBADF.
  errno = ENOTTY;
  fd.reset();
  EXPECT_EQ(errno, ENOTTY);
  EXPECT_EQ(fd.get(), -1);
}

}  // namespace
}  // namespace ipc
