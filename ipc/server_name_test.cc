#include "ipc/server_name.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

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

// Changes the current directory for one test and restores it afterwards.
class ScopedCurrentDirectory {
 public:
  explicit ScopedCurrentDirectory(const char* path) {
    char old[PATH_MAX];
    if (getcwd(old, sizeof(old)) != nullptr) old_ = old;
    changed_ = chdir(path) == 0;
  }
  ~ScopedCurrentDirectory() {
    if (!old_.empty()) {
      EXPECT_EQ(chdir(old_.c_str()), 0);
    }
  }
  bool changed() const { return changed_; }

 private:
  std::string old_;
  bool changed_ = false;
};

TEST(ServerNameTest, RelativeTmpdirCountsFromTheCurrentDirectory) {
  {
    ScopedCurrentDirectory cwd("/usr");
    ASSERT_TRUE(cwd.changed());
    ScopedTmpdir tmpdir("run/x//");
    EXPECT_EQ(TempDirectory(), "/usr/run/x");
    ResolvedName resolved;
    ASSERT_EQ(ResolveServerName("s", false, &resolved), NameError::kNone);
    EXPECT_EQ(resolved.full_name, "/usr/run/x/s");
  }
  {
    ScopedCurrentDirectory cwd("/");
    ASSERT_TRUE(cwd.changed());
    ScopedTmpdir tmpdir(".");
    EXPECT_EQ(TempDirectory(), "/.");
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

TEST(ServerNameTest, ResolveServerAddressFillsTheSameAddressWithoutTheString) {
  ScopedTmpdir tmpdir("/run/user/5");
  const std::string abstract_name("a/b\0c", 5);
  for (const auto& [name, abstract] : {std::pair<std::string, bool>{"dir/x", false},
                                       {"/an/absolute/path/longer/than/sso", false},
                                       {abstract_name, true}}) {
    ResolvedName resolved;
    ASSERT_EQ(ResolveServerName(name, abstract, &resolved), NameError::kNone) << name;
    sockaddr_un address;
    std::memset(&address, 0x5a, sizeof(address));  // Every byte is overwritten.
    socklen_t length = 0;
    ASSERT_EQ(ResolveServerAddress(name, abstract, &address, &length), NameError::kNone);
    EXPECT_EQ(length, resolved.address_length) << name;
    EXPECT_EQ(std::memcmp(&address, &resolved.address, sizeof(address)), 0) << name;
    EXPECT_EQ(AddressNameView(address, length), resolved.full_name) << name;
  }
}

TEST(ServerNameTest, ResolveServerAddressLeavesTheAddressUnchangedOnFailure) {
  sockaddr_un address;
  std::memset(&address, 0x5a, sizeof(address));
  socklen_t length = 7;
  EXPECT_EQ(ResolveServerAddress("/" + std::string(107, 'p'), false, &address, &length),
            NameError::kTooLong);
  EXPECT_EQ(ResolveServerAddress("", true, &address, &length), NameError::kEmpty);
  EXPECT_EQ(length, 7u);
  EXPECT_EQ(address.sun_path[0], 0x5a);
  EXPECT_EQ(address.sun_path[107], 0x5a);
}

TEST(ServerNameTest, AddressNameViewReadsPathsAbstractNamesAndUnnamedAddresses) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, "/p", 2);
  // getpeername may report the whole structure for a path: the name ends at its NUL.
  EXPECT_EQ(AddressNameView(address, sizeof(address)), "/p");
  bool abstract = true;
  EXPECT_EQ(AddressName(address, sizeof(address), &abstract), "/p");
  EXPECT_FALSE(abstract);
  std::memcpy(address.sun_path, "\0ab\0c", 5);
  const socklen_t abstract_length = offsetof(sockaddr_un, sun_path) + 5;
  EXPECT_EQ(AddressNameView(address, abstract_length), std::string_view("ab\0c", 4));
  EXPECT_EQ(AddressName(address, abstract_length, &abstract), std::string("ab\0c", 4));
  EXPECT_TRUE(abstract);
  EXPECT_EQ(AddressNameView(address, offsetof(sockaddr_un, sun_path)), "");
  EXPECT_EQ(AddressName(address, offsetof(sockaddr_un, sun_path), &abstract), "");
  EXPECT_FALSE(abstract);
}

}  // namespace
}  // namespace internal
}  // namespace ipc
