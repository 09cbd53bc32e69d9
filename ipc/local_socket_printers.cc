// Printers for LocalSocket's enums (also the gtest printers).
#include <ostream>

#include "ipc/local_socket.h"

namespace ipc {

std::ostream& operator<<(std::ostream& os, LocalSocket::State state) {
  switch (state) {
    case LocalSocket::State::kUnconnected:
      return os << "kUnconnected";
    case LocalSocket::State::kConnecting:
      return os << "kConnecting";
    case LocalSocket::State::kConnected:
      return os << "kConnected";
    case LocalSocket::State::kClosing:
      return os << "kClosing";
  }
  return os << "State(" << static_cast<int>(state) << ")";
}

std::ostream& operator<<(std::ostream& os, LocalSocket::Error error) {
  switch (error) {
    case LocalSocket::Error::kNone:
      return os << "kNone";
    case LocalSocket::Error::kConnectionRefused:
      return os << "kConnectionRefused";
    case LocalSocket::Error::kPeerClosed:
      return os << "kPeerClosed";
    case LocalSocket::Error::kServerNotFound:
      return os << "kServerNotFound";
    case LocalSocket::Error::kSocketAccess:
      return os << "kSocketAccess";
    case LocalSocket::Error::kSocketResource:
      return os << "kSocketResource";
    case LocalSocket::Error::kSocketTimeout:
      return os << "kSocketTimeout";
    case LocalSocket::Error::kDatagramTooLarge:
      return os << "kDatagramTooLarge";
    case LocalSocket::Error::kConnection:
      return os << "kConnection";
    case LocalSocket::Error::kUnsupportedSocketOperation:
      return os << "kUnsupportedSocketOperation";
    case LocalSocket::Error::kOperation:
      return os << "kOperation";
    case LocalSocket::Error::kUnknown:
      return os << "kUnknown";
    case LocalSocket::Error::kAddressInUse:
      return os << "kAddressInUse";
  }
  return os << "Error(" << static_cast<int>(error) << ")";
}

void PrintTo(LocalSocket::State state, std::ostream* os) { *os << state; }
void PrintTo(LocalSocket::Error error, std::ostream* os) { *os << error; }

}  // namespace ipc
