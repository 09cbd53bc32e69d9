// Printers for the socket enums (also the gtest printers).
#include "ipc/socket_types.h"

#include <ostream>

namespace ipc {

std::ostream& operator<<(std::ostream& os, LocalSocketTypes::State state) {
  switch (state) {
    case LocalSocketTypes::State::kUnconnected:
      return os << "kUnconnected";
    case LocalSocketTypes::State::kConnecting:
      return os << "kConnecting";
    case LocalSocketTypes::State::kConnected:
      return os << "kConnected";
    case LocalSocketTypes::State::kClosing:
      return os << "kClosing";
  }
  return os << "State(" << static_cast<int>(state) << ")";
}

std::ostream& operator<<(std::ostream& os, LocalSocketTypes::Error error) {
  switch (error) {
    case LocalSocketTypes::Error::kNone:
      return os << "kNone";
    case LocalSocketTypes::Error::kConnectionRefused:
      return os << "kConnectionRefused";
    case LocalSocketTypes::Error::kPeerClosed:
      return os << "kPeerClosed";
    case LocalSocketTypes::Error::kServerNotFound:
      return os << "kServerNotFound";
    case LocalSocketTypes::Error::kSocketAccess:
      return os << "kSocketAccess";
    case LocalSocketTypes::Error::kSocketResource:
      return os << "kSocketResource";
    case LocalSocketTypes::Error::kSocketTimeout:
      return os << "kSocketTimeout";
    case LocalSocketTypes::Error::kDatagramTooLarge:
      return os << "kDatagramTooLarge";
    case LocalSocketTypes::Error::kConnection:
      return os << "kConnection";
    case LocalSocketTypes::Error::kUnsupportedSocketOperation:
      return os << "kUnsupportedSocketOperation";
    case LocalSocketTypes::Error::kOperation:
      return os << "kOperation";
    case LocalSocketTypes::Error::kUnknown:
      return os << "kUnknown";
    case LocalSocketTypes::Error::kAddressInUse:
      return os << "kAddressInUse";
  }
  return os << "Error(" << static_cast<int>(error) << ")";
}

void PrintTo(LocalSocketTypes::State state, std::ostream* os) { *os << state; }
void PrintTo(LocalSocketTypes::Error error, std::ostream* os) { *os << error; }

}  // namespace ipc
