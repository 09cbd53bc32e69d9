#include "ipc/server_name.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace ipc {
namespace internal {

namespace {

// The current directory, or "" when getcwd fails (e.g. the directory was removed).
std::string CurrentDirectory() {
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof(buffer)) != nullptr ? std::string(buffer) : std::string();
}

}  // namespace

std::string TempDirectory() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir == nullptr || *tmpdir == '\0') return "/tmp";
  std::string directory;
  if (tmpdir[0] != '/') {
    // Relative: taken from the current directory now, so that full names are absolute.
    directory = CurrentDirectory();
    if (!directory.empty() && directory.back() != '/') directory += '/';
  }
  directory += tmpdir;
  while (!directory.empty() && directory.back() == '/') directory.pop_back();
  return directory;  // Empty for "/": names then resolve to "/name".
}

NameError ResolveServerAddress(std::string_view name, bool abstract, sockaddr_un* address,
                               socklen_t* length) {
  if (name.empty()) return NameError::kEmpty;
  sockaddr_un result{};
  result.sun_family = AF_UNIX;
  size_t used = 0;  // Bytes of sun_path taken, including the leading or terminating NUL.
  if (abstract) {
    if (name.size() > kMaxAbstractNameLength) return NameError::kTooLong;
    result.sun_path[0] = '\0';
    std::memcpy(result.sun_path + 1, name.data(), name.size());
    used = 1 + name.size();
  } else {
    if (name.find('\0') != std::string_view::npos) return NameError::kContainsNul;
    const std::string directory = name.front() == '/' ? std::string() : TempDirectory() + '/';
    if (directory.size() + name.size() > kMaxPathLength) return NameError::kTooLong;
    std::memcpy(result.sun_path, directory.data(), directory.size());
    std::memcpy(result.sun_path + directory.size(), name.data(), name.size());
    used = directory.size() + name.size() + 1;  // sun_path's terminating NUL is zeroed.
  }
  *address = result;
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + used);
  return NameError::kNone;
}

NameError ResolveServerName(std::string_view name, bool abstract, ResolvedName* resolved) {
  ResolvedName result;
  const NameError error =
      ResolveServerAddress(name, abstract, &result.address, &result.address_length);
  if (error != NameError::kNone) return error;
  result.full_name.assign(AddressNameView(result.address, result.address_length));
  *resolved = std::move(result);
  return NameError::kNone;
}

std::string_view AddressNameView(const sockaddr_un& address, socklen_t length) {
  constexpr size_t kOffset = offsetof(sockaddr_un, sun_path);
  if (length <= kOffset) return {};
  const size_t size = std::min<size_t>(length - kOffset, sizeof(address.sun_path));
  if (address.sun_path[0] == '\0') return std::string_view(address.sun_path + 1, size - 1);
  return std::string_view(address.sun_path, strnlen(address.sun_path, size));
}

std::string AddressName(const sockaddr_un& address, socklen_t length, bool* abstract) {
  *abstract = length > offsetof(sockaddr_un, sun_path) && address.sun_path[0] == '\0';
  return std::string(AddressNameView(address, length));
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
