// Internal: resolution of LocalSocket/LocalServer names into AF_UNIX addresses.
#ifndef LOCALSOCKET_IPC_SERVER_NAME_H_
#define LOCALSOCKET_IPC_SERVER_NAME_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

namespace ipc {
namespace internal {

// The longest name that fits `sun_path`: 107 bytes for a path (plus its terminating NUL), and
// 107 bytes for an abstract name (after the leading NUL).
inline constexpr size_t kMaxPathLength = sizeof(sockaddr_un::sun_path) - 1;
inline constexpr size_t kMaxAbstractNameLength = sizeof(sockaddr_un::sun_path) - 1;

// A resolved server name: what `full_server_name()` reports, and the address to use.
struct ResolvedName {
  std::string full_name;  // The absolute path, or the abstract name without its leading NUL.
  sockaddr_un address{};
  socklen_t address_length = 0;
};

// Why a name cannot be resolved.
enum class NameError { kNone, kEmpty, kTooLong, kContainsNul };

// The directory relative names are placed in: $TMPDIR (read at each call) with trailing
// slashes stripped, or "/tmp" when $TMPDIR is unset or empty. A relative $TMPDIR is taken from
// the current directory at the call (left relative only if getcwd fails).
std::string TempDirectory();

// Resolves `name` as Qt does: with `abstract`, the name is used byte-exactly in Linux's
// abstract namespace (address length excludes any trailing NUL); otherwise a name starting
// with '/' is an absolute path and any other name (including "dir/x") is placed in
// TempDirectory(). Never truncates: a name too long for `sun_path` is kTooLong. Returns
// kNone and fills `*resolved` on success; on failure `*resolved` is unchanged.
NameError ResolveServerName(std::string_view name, bool abstract, ResolvedName* resolved);

// ResolveServerName without the full name's string (it is AddressNameView of the address):
// fills `*address` and `*length` on success, leaves them unchanged on failure.
NameError ResolveServerAddress(std::string_view name, bool abstract, sockaddr_un* address,
                               socklen_t* length);

// The name in an AF_UNIX address of `length` bytes (as getsockname/getpeername report it):
// the path, or the abstract name without its leading NUL (then *abstract is true). Empty for
// an unnamed address.
std::string AddressName(const sockaddr_un& address, socklen_t length, bool* abstract);

// AddressName as a view into `address` (valid while it is), without the namespace.
std::string_view AddressNameView(const sockaddr_un& address, socklen_t length);

// A human-readable cause for `error` ("name too long", ...), for error strings.
const char* NameErrorText(NameError error);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SERVER_NAME_H_
