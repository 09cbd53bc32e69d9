#include "ipc/inherited_sockets.h"

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>

namespace ipc {
namespace internal {
namespace {

// A strict decimal: digits only, no sign or spaces, at most `max`.
std::optional<int64_t> ParseDecimal(std::string_view text, int64_t max) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

ListenEnvironment Refused(std::string refusal) {
  ListenEnvironment environment;
  environment.refusal = std::move(refusal);
  return environment;
}

std::vector<std::string> SplitNames(std::string_view names) {
  std::vector<std::string> out;
  for (;;) {
    const size_t colon = names.find(':');
    out.emplace_back(names.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    names.remove_prefix(colon + 1);
  }
}

}  // namespace

ListenEnvironment ParseListenEnvironment(pid_t self, const char* listen_pid, const char* listen_fds,
                                         const char* listen_fdnames) {
  if (listen_pid == nullptr || listen_fds == nullptr) {
    return Refused("no sockets passed by a service manager (LISTEN_PID or LISTEN_FDS unset)");
  }
  const std::optional<int64_t> pid = ParseDecimal(listen_pid, INT_MAX);
  if (!pid || *pid == 0) return Refused("malformed LISTEN_PID");
  if (*pid != self) {
    return Refused("the sockets were passed to another process (LISTEN_PID " +
                   std::to_string(*pid) + ", this process " + std::to_string(self) + ")");
  }
  const std::optional<int64_t> count = ParseDecimal(listen_fds, INT_MAX - kFirstInheritedFd);
  if (!count) return Refused("malformed LISTEN_FDS");
  std::vector<std::string> names;
  if (listen_fdnames != nullptr) {
    names = SplitNames(listen_fdnames);
    if (static_cast<int64_t>(names.size()) != *count) {
      return Refused("LISTEN_FDNAMES names " + std::to_string(names.size()) +
                     " sockets, LISTEN_FDS passes " + std::to_string(*count));
    }
  } else {
    names.assign(static_cast<size_t>(*count), "unknown");
  }
  ListenEnvironment environment;
  for (size_t i = 0; i < names.size(); ++i) {
    environment.entries.push_back({kFirstInheritedFd + static_cast<int>(i), std::move(names[i])});
  }
  return environment;
}

InheritedSockets::InheritedSockets(ListenEnvironment environment)
    : environment_(std::move(environment)), claimed_(environment_.entries.size(), false) {}

InheritedSockets& InheritedSockets::ForThisProcess() {
  // Parsed once (thread-safe static initialisation), then the variables are gone.
  static InheritedSockets* const instance = [] {
    auto* sockets = new InheritedSockets(ParseListenEnvironment(getpid(), std::getenv("LISTEN_PID"),
                                                                std::getenv("LISTEN_FDS"),
                                                                std::getenv("LISTEN_FDNAMES")));
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return sockets;
  }();
  return *instance;
}

InheritedSockets::Claimed InheritedSockets::Claim(std::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  Claimed result;
  const std::vector<ListenEnvironment::Entry>& entries = environment_.entries;
  if (!environment_.refusal.empty()) {
    result.refusal = environment_.refusal;
  } else if (entries.empty()) {
    result.refusal = "the service manager passed no sockets (LISTEN_FDS=0)";
  } else if (name.empty() && entries.size() > 1) {
    result.refusal = std::to_string(entries.size()) + " inherited sockets: name the one to take";
  } else {
    bool named = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!name.empty() && entries[i].name != name) continue;
      named = true;
      if (claimed_[i]) continue;
      claimed_[i] = true;
      result.fd = entries[i].fd;
      return result;
    }
    if (name.empty()) {
      result.refusal = "the inherited socket was already taken";
    } else if (named) {
      result.refusal = "the inherited socket \"" + std::string(name) + "\" was already taken";
    } else {
      result.refusal = "no inherited socket named \"" + std::string(name) + "\"";
    }
  }
  return result;
}

void InheritedSockets::Unclaim(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < environment_.entries.size(); ++i) {
    if (environment_.entries[i].fd == fd) claimed_[i] = false;
  }
}

}  // namespace internal
}  // namespace ipc
