#include "ipc/server_name.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace ipc {
namespace internal {

std::string TempDirectory() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir == nullptr || *tmpdir == '\0') return "/tmp";
  std::string directory(tmpdir);
  while (!directory.empty() && directory.back() == '/') directory.pop_back();
  return directory;  // Empty for "/": names then resolve to "/name".
}

NameError ResolveServerName(std::string_view name, bool abstract, ResolvedName* resolved) {
  if (name.empty()) return NameError::kEmpty;
  ResolvedName result;
  result.address.sun_family = AF_UNIX;
  if (abstract) {
    if (name.size() > kMaxAbstractNameLength) return NameError::kTooLong;
    result.full_name.assign(name);
    result.address.sun_path[0] = '\0';
    std::memcpy(result.address.sun_path + 1, name.data(), name.size());
    result.address_length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  } else {
    if (name.find('\0') != std::string_view::npos) return NameError::kContainsNul;
    if (name.front() == '/') {
      result.full_name.assign(name);
    } else {
      result.full_name = TempDirectory();
      result.full_name += '/';
      result.full_name.append(name);
    }
    if (result.full_name.size() > kMaxPathLength) return NameError::kTooLong;
    std::memcpy(result.address.sun_path, result.full_name.data(), result.full_name.size());
    result.address.sun_path[result.full_name.size()] = '\0';
    result.address_length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + result.full_name.size() + 1);
  }
  *resolved = std::move(result);
  return NameError::kNone;
}

std::string AddressName(const sockaddr_un& address, socklen_t length, bool* abstract) {
  constexpr size_t kOffset = offsetof(sockaddr_un, sun_path);
  *abstract = false;
  if (length <= kOffset) return {};
  const size_t size = std::min<size_t>(length - kOffset, sizeof(address.sun_path));
  if (address.sun_path[0] == '\0') {
    *abstract = true;
    return std::string(address.sun_path + 1, size - 1);
  }
  return std::string(address.sun_path, strnlen(address.sun_path, size));
}

const char* NameErrorText(NameError error) {
  switch (error) {
    case NameError::kNone:
      return "no error";
    case NameError::kEmpty:
      return "invalid name: empty";
    case NameError::kTooLong:
      return "invalid name: name too long";
    case NameError::kContainsNul:
      return "invalid name: contains a NUL byte";
  }
  return "invalid name";
}

}  // namespace internal
}  // namespace ipc
