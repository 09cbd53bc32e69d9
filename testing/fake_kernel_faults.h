// Internal to FakeKernel (testing/fake_kernel.h): the system calls it counts and the faults a
// test has scheduled for them.
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_FAULTS_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_FAULTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <string>

namespace ipc {
namespace fake_kernel {

// One value per OsCalls method, named after it.
enum class Call {
  kSocket,
  kConnect,
  kBind,
  kListen,
  kAccept4,
  kRecv,
  kRecvMsg,
  kSendMsg,
  kClose,
  kShutdown,
  kPoll,
  kFcntl,
  kGetSockOpt,
  kSetSockOpt,
  kGetSockName,
  kGetPeerName,
  kFstat,
  kLstat,
  kChmod,
  kLink,
  kUnlink,
  kMkdtemp,
  kRmdir,
  kOpen,
  kSocketPair,
  kFlock,
};
inline constexpr size_t kCallCount = static_cast<size_t>(Call::kFlock) + 1;

// "Socket", "Connect", ... (the OsCalls method's name). Also the gtest printer.
const char* CallName(Call call);
std::ostream& operator<<(std::ostream& os, Call call);

// Matches every fd (or every call of a kind that takes none).
inline constexpr int kAnyFd = -1;
// A fault or cap that stays until removed.
inline constexpr int kAlways = -1;

// The faults and actions scheduled by a test, consumed by the calls they match, and a count of
// every call. Entries match in the order they were added: the first pending one that matches a
// call is used (and its use count decremented). Single-threaded, like FakeKernel.
class FaultPlan {
 public:
  // The next `times` calls of `call` on `fd` (kAnyFd: any fd) fail with `err`.
  void FailNext(Call call, int err, int fd, int times);
  // The next `times` calls of `call` whose (first) path argument is exactly `path` fail with
  // `err`.
  void FailNextOnPath(Call call, std::string path, int err, int times);
  // The next `times` sends on `fd` (kAnyFd: any fd) accept at most `max_bytes` each
  // (max_bytes 0 removes the caps of `fd`).
  void CapSends(int fd, size_t max_bytes, int times);
  // Before the next `times` calls of `call` on `fd` (kAnyFd: any), or (`by_path`) whose first
  // path argument is `path`, `action` runs; the call then proceeds.
  void RunBeforeNext(Call call, int fd, bool by_path, std::string path,
                     std::function<void()> action, int times);
  // Removes every pending fault, cap and action.
  void Clear();

  // Counts the call, then returns the errno of the first pending fault that matches it (using
  // it up), or 0. `fds`/`fd_count` are the call's descriptors (none for path-only calls),
  // `path` its first path argument or nullptr.
  int Take(Call call, const int* fds, size_t fd_count, const char* path);
  int Take(Call call, int fd) { return Take(call, &fd, 1, nullptr); }
  // The first pending action that matches the call (using it up), or an empty function. Does
  // not count the call.
  std::function<void()> TakeAction(Call call, const int* fds, size_t fd_count, const char* path);
  // The byte cap for the next send on `fd` (using one use up), or SIZE_MAX if none.
  size_t TakeSendCap(int fd);

  // How many calls of `call` were made (faulted ones included).
  int64_t count(Call call) const { return counts_[static_cast<size_t>(call)]; }
  // Faults, caps and actions not used up yet.
  size_t pending() const { return faults_.size() + caps_.size() + actions_.size(); }
  bool has_actions() const { return !actions_.empty(); }

 private:
  // Which calls an entry applies to.
  struct Match {
    Call call;
    int fd;  // kAnyFd, or the fd to match (fd calls only).
    bool by_path;
    std::string path;

    bool Matches(Call made, const int* fds, size_t fd_count, const char* made_path) const;
  };
  struct Fault {
    Match match;
    int err;
    int times;  // kAlways or > 0.
  };
  struct Action {
    Match match;
    std::function<void()> run;
    int times;
  };
  struct Cap {
    int fd;
    size_t max_bytes;
    int times;
  };

  std::deque<Fault> faults_;
  std::deque<Cap> caps_;
  std::deque<Action> actions_;
  std::array<int64_t, kCallCount> counts_{};
};

}  // namespace fake_kernel
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_FAULTS_H_
