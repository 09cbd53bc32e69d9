#include "ipc/server_name.h"

#include <stdlib.h>

#include <cstddef>
#include <string>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

// Sets $TMPDIR for one test and restores it afterwards.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const char* value) {
    if (const char* old = getenv("TMPDIR")) old_ = old;
    had_old_ = getenv("TMPDIR") != nullptr;
    if (value == nullptr) {
      unsetenv("TMPDIR");
    } else {
      setenv("TMPDIR", value, 1);
    }
  }
  ~ScopedTmpdir() {
    if (had_old_) {
      setenv("TMPDIR", old_.c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }

 private:
  std::string old_;
  bool had_old_ = false;
};

std::string PathOf(const ResolvedName& resolved) { return resolved.address.sun_path; }

TEST(ServerNameTest, TempDirectoryFollowsTmpdir) {
  {
    ScopedTmpdir tmpdir(nullptr);
    EXPECT_EQ(TempDirectory(), "/tmp");
  }
  {
    ScopedTmpdir tmpdir("");
    EXPECT_EQ(TempDirectory(), "/tmp");
  }
  {
    ScopedTmpdir tmpdir("/var/run/x//");
    EXPECT_EQ(TempDirectory(), "/var/run/x");
  }
}

TEST(ServerNameTest, RelativeNamesGoToTmpdirEvenWithSlashes) {
  ScopedTmpdir tmpdir("/run/user/5/");
  ResolvedName resolved;
  ASSERT_EQ(ResolveServerName("dir/x", false, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.full_name, "/run/user/5/dir/x");
  EXPECT_EQ(PathOf(resolved), "/run/user/5/dir/x");
  EXPECT_EQ(resolved.address.sun_family, AF_UNIX);
  EXPECT_EQ(resolved.address_length, offsetof(sockaddr_un, sun_path) + 17 + 1);
  ASSERT_EQ(ResolveServerName("./y", false, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.full_name, "/run/user/5/./y");
}

TEST(ServerNameTest, RootTmpdirGivesSingleSlash) {
  ScopedTmpdir tmpdir("/");
  ResolvedName resolved;
  ASSERT_EQ(ResolveServerName("s", false, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.full_name, "/s");
}

TEST(ServerNameTest, AbsolutePathsAreUsedAsGiven) {
  ResolvedName resolved;
  ASSERT_EQ(ResolveServerName("/a/b", false, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.full_name, "/a/b");
}

TEST(ServerNameTest, PathLengthLimitIs107Bytes) {
  ResolvedName resolved;
  const std::string fits = "/" + std::string(106, 'p');
  ASSERT_EQ(fits.size(), kMaxPathLength);
  ASSERT_EQ(ResolveServerName(fits, false, &resolved), NameError::kNone);
  EXPECT_EQ(PathOf(resolved), fits);
  EXPECT_EQ(resolved.address_length, sizeof(sockaddr_un));
  ResolvedName untouched;
  untouched.full_name = "keep";
  EXPECT_EQ(ResolveServerName(fits + "q", false, &untouched), NameError::kTooLong);
  EXPECT_EQ(untouched.full_name, "keep");
}

TEST(ServerNameTest, RelativeNameTooLongAfterTmpdirIsRefused) {
  ScopedTmpdir tmpdir("/tmp");
  ResolvedName resolved;
  EXPECT_EQ(ResolveServerName(std::string(102, 'n'), false, &resolved), NameError::kNone);
  EXPECT_EQ(ResolveServerName(std::string(103, 'n'), false, &resolved), NameError::kTooLong);
}

TEST(ServerNameTest, AbstractNamesAreByteExact) {
  ResolvedName resolved;
  const std::string name("a/b\0c", 5);
  ASSERT_EQ(ResolveServerName(name, true, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.full_name, name);
  EXPECT_EQ(resolved.address.sun_path[0], '\0');
  EXPECT_EQ(std::string(resolved.address.sun_path + 1, 5), name);
  EXPECT_EQ(resolved.address_length, offsetof(sockaddr_un, sun_path) + 1 + 5);
  ResolvedName trailing;
  ASSERT_EQ(ResolveServerName(std::string("x\0", 2), true, &trailing), NameError::kNone);
  ASSERT_EQ(ResolveServerName("x", true, &resolved), NameError::kNone);
  EXPECT_NE(trailing.address_length, resolved.address_length);  // Different addresses.
}

TEST(ServerNameTest, AbstractLengthLimitIs107Bytes) {
  ResolvedName resolved;
  EXPECT_EQ(ResolveServerName(std::string(107, 'a'), true, &resolved), NameError::kNone);
  EXPECT_EQ(resolved.address_length, sizeof(sockaddr_un));
  EXPECT_EQ(ResolveServerName(std::string(108, 'a'), true, &resolved), NameError::kTooLong);
}

TEST(ServerNameTest, EmptyAndNulNamesAreRefused) {
  ResolvedName resolved;
  EXPECT_EQ(ResolveServerName("", false, &resolved), NameError::kEmpty);
  EXPECT_EQ(ResolveServerName("", true, &resolved), NameError::kEmpty);
  EXPECT_EQ(ResolveServerName(std::string("a\0b", 3), false, &resolved), NameError::kContainsNul);
  EXPECT_STREQ(NameErrorText(NameError::kTooLong), "invalid name: name too long");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
