// Fuzzes the resolution and validation of server names (ipc/server_name.h), and the way
// LocalSocket::ConnectToServer and LocalServer::Listen report a name they refuse.
//
// Input: a flags byte, an address length byte, then (with the $TMPDIR-from-input flag) a length
// byte and that many bytes of $TMPDIR, then the name (the rest of the input):
//   flags bit 0     the abstract namespace
//   flags bits 1-2  $TMPDIR: 0 unset, 1 empty, 2 "/", 3 from the input (cut at its first NUL)
//   flags bit 3     stretch the name: repeat it to at least 5,000 bytes (beyond PATH_MAX)
//   flags bits 4-6  the server's access options (one of kAccessOptions)
//   flags bit 7     the errno the fake kernel answers every call with: EMFILE, else EACCES
//
// Checked for every input:
// - ResolveServerName succeeds exactly when the name is non-empty, (for a path) has no NUL byte
//   and resolves to at most 107 bytes; otherwise it reports which of the three it is, with an
//   "invalid name: ..." text, and leaves its output untouched.
// - A resolved name is exact, never truncated: an abstract name byte for byte, an absolute path
//   as given, any other name under $TMPDIR without its trailing slashes (else /tmp; a relative
//   $TMPDIR from the current directory); the address holds it (a path NUL-terminated, an abstract
//   name after a NUL) with the matching length.
// - It round-trips: AddressName of the address gives the same name and namespace back, and
//   resolving the resolved name again (when absolute or abstract) gives the same address.
// - AddressName of arbitrary address bytes and lengths stays inside sun_path: a path stops at
//   its first NUL, an abstract name is the bytes after the leading NUL.
// - With every system call failing: an invalid name fails ConnectToServer and Listen with
//   kServerNotFound, the exact error string, and no system call; a valid name fails with the
//   kernel's error, emitted as kConnecting, error, kUnconnected for the socket, and the server
//   passes the kernel no path outside the directory of the resolved name.
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/server_name.h"
#include "testing/fake_event_loop.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"
#include "tools/fuzzing/refusing_os_calls.h"

namespace {

using ipc::LocalServer;
using ipc::LocalSocket;
using ipc::internal::AddressName;
using ipc::internal::kMaxAbstractNameLength;
using ipc::internal::kMaxPathLength;
using ipc::internal::NameError;
using ipc::internal::NameErrorText;
using ipc::internal::ResolvedName;
using ipc::internal::ResolveServerName;

constexpr size_t kPathOffset = offsetof(sockaddr_un, sun_path);
constexpr size_t kSunPathSize = sizeof(sockaddr_un::sun_path);

constexpr uint32_t kAccessOptions[] = {
    LocalServer::kNoOptions,
    LocalServer::kUserAccess,
    LocalServer::kGroupAccess,
    LocalServer::kOtherAccess,
    LocalServer::kWorldAccess,
    LocalServer::kUserAccess | LocalServer::kGroupAccess,
    LocalServer::kGroupAccess | LocalServer::kOtherAccess,
    LocalServer::kUserAccess | LocalServer::kOtherAccess,
};

// What the name should resolve to, stated from the documented rules.
struct Expected {
  NameError error = NameError::kNone;
  std::string full_name;
};

// The directory relative names go to, with $TMPDIR as the input set it (nullopt: unset); a
// relative one counts from the current directory.
std::string ExpectedTempDirectory(const std::optional<std::string>& tmpdir) {
  if (!tmpdir.has_value() || tmpdir->empty()) return "/tmp";
  std::string directory;
  if (tmpdir->front() != '/') {
    char cwd[PATH_MAX];
    FUZZ_CHECK(getcwd(cwd, sizeof(cwd)) != nullptr);
    directory = cwd;
    if (directory.back() != '/') directory += '/';
  }
  directory += *tmpdir;
  while (!directory.empty() && directory.back() == '/') directory.pop_back();
  return directory;
}

Expected Expect(std::string_view name, bool abstract, const std::optional<std::string>& tmpdir) {
  Expected expected;
  if (name.empty()) {
    expected.error = NameError::kEmpty;
  } else if (abstract) {
    if (name.size() > kMaxAbstractNameLength) expected.error = NameError::kTooLong;
    expected.full_name = std::string(name);
  } else if (name.find('\0') != std::string_view::npos) {
    expected.error = NameError::kContainsNul;
  } else {
    expected.full_name = name.front() == '/'
                             ? std::string(name)
                             : ExpectedTempDirectory(tmpdir) + "/" + std::string(name);
    if (expected.full_name.size() > kMaxPathLength) expected.error = NameError::kTooLong;
  }
  if (expected.error != NameError::kNone) expected.full_name.clear();
  return expected;
}

// A ResolvedName no resolution produces, to see that a failure leaves its output untouched.
ResolvedName Sentinel() {
  ResolvedName sentinel;
  sentinel.full_name = "untouched";
  std::memset(&sentinel.address, 0xa5, sizeof(sentinel.address));
  sentinel.address_length = 12345;
  return sentinel;
}

bool SameResolution(const ResolvedName& a, const ResolvedName& b) {
  return a.full_name == b.full_name && a.address_length == b.address_length &&
         std::memcmp(&a.address, &b.address, sizeof(a.address)) == 0;
}

void CheckErrorText(NameError error) {
  const std::string text = NameErrorText(error);
  switch (error) {
    case NameError::kNone:
      FUZZ_CHECK_EQ(text, "no error");
      return;
    case NameError::kEmpty:
      FUZZ_CHECK_EQ(text, "invalid name: empty");
      return;
    case NameError::kTooLong:
      FUZZ_CHECK_EQ(text, "invalid name: name too long");
      return;
    case NameError::kContainsNul:
      FUZZ_CHECK_EQ(text, "invalid name: contains a NUL byte");
      return;
  }
  FUZZ_CHECK(false);  // An error the checks above do not know.
}

// Resolution, its exactness and its round trips. Returns the expected outcome.
Expected CheckResolution(std::string_view name, bool abstract,
                         const std::optional<std::string>& tmpdir) {
  Expected expected = Expect(name, abstract, tmpdir);
  ResolvedName resolved = Sentinel();
  const NameError error = ResolveServerName(name, abstract, &resolved);
  FUZZ_CHECK_EQ(static_cast<int>(error), static_cast<int>(expected.error));
  CheckErrorText(error);
  if (error != NameError::kNone) {
    FUZZ_CHECK(SameResolution(resolved, Sentinel()));
    return expected;
  }

  const std::string& full = resolved.full_name;
  FUZZ_CHECK_EQ(full, expected.full_name);
  FUZZ_CHECK_EQ(resolved.address.sun_family, AF_UNIX);
  if (abstract) {
    FUZZ_CHECK(full.size() <= kMaxAbstractNameLength);
    FUZZ_CHECK_EQ(resolved.address.sun_path[0], '\0');
    FUZZ_CHECK(std::memcmp(resolved.address.sun_path + 1, full.data(), full.size()) == 0);
    FUZZ_CHECK_EQ(resolved.address_length, kPathOffset + 1 + full.size());
  } else {
    FUZZ_CHECK(full.size() <= kMaxPathLength);
    FUZZ_CHECK_EQ(std::string_view(resolved.address.sun_path), full);  // NUL-terminated.
    FUZZ_CHECK_EQ(resolved.address_length, kPathOffset + full.size() + 1);
  }

  bool address_abstract = !abstract;
  FUZZ_CHECK_EQ(AddressName(resolved.address, resolved.address_length, &address_abstract), full);
  FUZZ_CHECK_EQ(address_abstract, abstract);

  // Resolving an absolute path or an abstract name again changes nothing. (A relative $TMPDIR
  // makes relative names resolve to a relative path, which would move again.)
  if (abstract || full.front() == '/') {
    ResolvedName again;
    FUZZ_CHECK(ResolveServerName(full, abstract, &again) == NameError::kNone);
    FUZZ_CHECK(SameResolution(again, resolved));
  }
  return expected;
}

// AddressName of `bytes` laid into sun_path, reported with `length` bytes.
void CheckAddressName(std::string_view bytes, socklen_t length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t copied = std::min(bytes.size(), kSunPathSize);
  std::memcpy(address.sun_path, bytes.data(), copied);
  bool abstract = true;
  const std::string name = AddressName(address, length, &abstract);
  if (length <= kPathOffset) {
    FUZZ_CHECK(name.empty());
    FUZZ_CHECK(!abstract);
    return;
  }
  const size_t used = std::min<size_t>(length - kPathOffset, kSunPathSize);
  const std::string_view sun_path(address.sun_path, used);
  if (address.sun_path[0] == '\0') {
    FUZZ_CHECK(abstract);
    FUZZ_CHECK_EQ(name, sun_path.substr(1));
  } else {
    FUZZ_CHECK(!abstract);
    FUZZ_CHECK_EQ(name, sun_path.substr(0, sun_path.find('\0')));
    // A path read back from the kernel resolves to itself.
    if (name.front() == '/' && name.size() <= kMaxPathLength) {
      ResolvedName resolved;
      FUZZ_CHECK(ResolveServerName(name, false, &resolved) == NameError::kNone);
      FUZZ_CHECK_EQ(resolved.full_name, name);
    }
  }
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The error of an API call that reached the (refusing) kernel: not a name error.
void CheckKernelFailure(const std::string& error_string, std::string_view function) {
  FUZZ_CHECK(StartsWith(error_string, function));
  FUZZ_CHECK(error_string.find("invalid name") == std::string::npos);
}

eventloop::FakeEventLoop& Loop() {
  static auto* loop = new eventloop::FakeEventLoop();  // Never destroyed: inputs share it.
  return *loop;
}

void CheckSocket(std::string_view name, bool abstract, int err, const Expected& expected) {
  fuzz::RefusingOsCalls os(err);
  LocalSocket socket(Loop(), os);
  std::vector<int> states;
  std::vector<LocalSocket::Error> errors;
  socket.state_changed.Connect(
      [&](LocalSocket::State state) { states.push_back(static_cast<int>(state)); });
  socket.error_occurred.Connect([&](LocalSocket::Error error) { errors.push_back(error); });
  socket.SetSocketOptions(abstract ? LocalSocket::kAbstractNamespace : LocalSocket::kNoOptions);
  socket.ConnectToServer(name);

  FUZZ_CHECK_EQ(socket.state(), LocalSocket::State::kUnconnected);
  FUZZ_CHECK((states == std::vector<int>{static_cast<int>(LocalSocket::State::kConnecting),
                                         static_cast<int>(LocalSocket::State::kUnconnected)}));
  FUZZ_CHECK_EQ(errors.size(), 1U);
  FUZZ_CHECK_EQ(errors[0], socket.error());
  FUZZ_CHECK(socket.full_server_name().empty());
  FUZZ_CHECK(os.paths().empty());
  if (expected.error != NameError::kNone) {
    FUZZ_CHECK_EQ(os.calls(), 0U);
    FUZZ_CHECK_EQ(socket.error(), LocalSocket::Error::kServerNotFound);
    FUZZ_CHECK_EQ(socket.error_string(),
                  std::string("LocalSocket::ConnectToServer: server not found (") +
                      NameErrorText(expected.error) + ")");
  } else {
    FUZZ_CHECK(os.calls() >= 1);
    FUZZ_CHECK(socket.error() != LocalSocket::Error::kNone);
    CheckKernelFailure(socket.error_string(), "LocalSocket::ConnectToServer: ");
  }
}

void CheckServer(std::string_view name, bool abstract, uint32_t access, int err,
                 const Expected& expected) {
  fuzz::RefusingOsCalls os(err);
  {
    LocalServer server(Loop(), os);
    server.SetSocketOptions(access | (abstract ? uint32_t{LocalServer::kAbstractNamespace} : 0U));
    FUZZ_CHECK(!server.Listen(name));
    FUZZ_CHECK(!server.IsListening());
    FUZZ_CHECK(server.server_name().empty());
    FUZZ_CHECK(server.full_server_name().empty());
    if (expected.error != NameError::kNone) {
      FUZZ_CHECK_EQ(os.calls(), 0U);
      FUZZ_CHECK_EQ(server.server_error(), LocalSocket::Error::kServerNotFound);
      FUZZ_CHECK_EQ(server.error_string(), std::string("LocalServer::Listen: server not found (") +
                                               NameErrorText(expected.error) + ")");
    } else {
      FUZZ_CHECK(os.calls() >= 1);
      FUZZ_CHECK(server.server_error() != LocalSocket::Error::kNone);
      CheckKernelFailure(server.error_string(), "LocalServer::Listen: ");
    }
  }
  // Every file name given to the kernel, the server's destruction included, lies in the
  // directory of the resolved path; an abstract name involves no file at all.
  const std::string& full = expected.full_name;
  const std::string directory = full.substr(0, full.rfind('/') + 1);
  for (const std::string& path : os.paths()) {
    FUZZ_CHECK(!abstract);
    FUZZ_CHECK(!directory.empty() && StartsWith(path, directory));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  const uint8_t flags = input.Byte();
  const auto address_length = static_cast<socklen_t>(input.Byte());
  const bool abstract = (flags & 1) != 0;
  std::optional<std::string> tmpdir;
  switch ((flags >> 1) & 3) {
    case 0:
      break;
    case 1:
      tmpdir = "";
      break;
    case 2:
      tmpdir = "/";
      break;
    default: {
      const std::string_view raw = input.Bytes(input.Byte());
      tmpdir = std::string(raw.substr(0, raw.find('\0')));
      break;
    }
  }
  if (tmpdir.has_value()) {
    setenv("TMPDIR", tmpdir->c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  std::string name(input.Rest());
  if ((flags & 8) != 0 && !name.empty()) {
    const std::string unit = name;
    while (name.size() < 5000) name += unit;
  }
  const uint32_t access = kAccessOptions[(flags >> 4) & 7];
  const int err = (flags & 0x80) != 0 ? EMFILE : EACCES;

  const Expected expected = CheckResolution(name, abstract, tmpdir);
  CheckAddressName(name, address_length);
  CheckSocket(name, abstract, err, expected);
  CheckServer(name, abstract, access, err, expected);
  Loop().RunUntilIdle();
  return 0;
}
