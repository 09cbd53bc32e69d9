#include "ipc/os_calls.h"

#include <cstring>
#include <ostream>

namespace ipc {

std::ostream& operator<<(std::ostream& os, const SysResult& result) {
  os << "{rc: " << result.rc << ", err: ";
  const char* name = nullptr;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (result.err != 0) name = ::strerrorname_np(result.err);  // e.g. "EPIPE"; null if unknown
#endif
  if (name != nullptr) {
    os << name;
  } else {
    os << result.err;
  }
  return os << "}";
}

void PrintTo(const SysResult& result, std::ostream* os) { *os << result; }

}  // namespace ipc
