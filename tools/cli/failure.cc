#include "tools/cli/failure.h"

#include <cstdio>

namespace cli {

std::string CauseOf(ipc::LocalSocket::Error error, const std::string& error_string) {
  using Error = ipc::LocalSocket::Error;
  switch (error) {
    case Error::kServerNotFound:
      return "server not found";
    case Error::kConnectionRefused:
      return "connection refused";
    case Error::kSocketAccess:
      return "permission denied";
    case Error::kSocketTimeout:
      return "timed out";
    case Error::kAddressInUse:
      return "address in use";
    case Error::kPeerClosed:
      return "peer closed early";
    case Error::kNone:
    case Error::kSocketResource:
    case Error::kDatagramTooLarge:
    case Error::kConnection:
    case Error::kUnsupportedSocketOperation:
    case Error::kOperation:
    case Error::kUnknown:
      break;
  }
  return error_string;
}

void ReportFailure(std::string_view message) {
  std::fprintf(stderr, "localsocket: %.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace cli
