#include "testing/mock_os_calls.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

namespace ipc {

using ::testing::_;

MockOsCalls::MockOsCalls() {
  const ResultAction enosys = FailWith(ENOSYS);
  ON_CALL(*this, Socket(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Connect(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Bind(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Listen(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Accept4(_, _, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Recv(_, _, _, _)).WillByDefault(enosys);
  ON_CALL(*this, RecvMsg(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, SendMsg(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Close(_)).WillByDefault(enosys);
  ON_CALL(*this, Shutdown(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Poll(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Fcntl(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, GetSockOpt(_, _, _, _, _)).WillByDefault(enosys);
  ON_CALL(*this, SetSockOpt(_, _, _, _, _)).WillByDefault(enosys);
  ON_CALL(*this, GetSockName(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, GetPeerName(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Fstat(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Lstat(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Chmod(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Link(_, _)).WillByDefault(enosys);
  ON_CALL(*this, Unlink(_)).WillByDefault(enosys);
  ON_CALL(*this, Mkdtemp(_)).WillByDefault(enosys);
  ON_CALL(*this, Rmdir(_)).WillByDefault(enosys);
  ON_CALL(*this, Open(_, _, _)).WillByDefault(enosys);
  ON_CALL(*this, Flock(_, _)).WillByDefault(enosys);
  ON_CALL(*this, SocketPair(_, _, _, _)).WillByDefault(enosys);
}

MockOsCalls::~MockOsCalls() = default;

ResultAction ReturnSys(int64_t rc) {
  if (rc < 0) ADD_FAILURE() << "ReturnSys(" << rc << "): use FailWith(errno) for failures";
  return ResultAction(SysResult{rc, 0});
}

ResultAction FailWith(int err) {
  if (err <= 0) ADD_FAILURE() << "FailWith(" << err << "): errno values are positive";
  return ResultAction(SysResult{-1, err});
}

ResultAction DeliverEof() { return ResultAction(SysResult{0, 0}); }

SysResult DeliverBytesAction::operator()(int /*fd*/, void* buf, size_t len, int /*flags*/) const {
  const size_t n = std::min(len, bytes_.size());
  if (n > 0) std::memcpy(buf, bytes_.data(), n);
  return SysResult{static_cast<int64_t>(n), 0};
}

DeliverBytesAction DeliverBytes(std::string bytes) { return DeliverBytesAction(std::move(bytes)); }

SysResult DeliverMessageAction::operator()(int /*fd*/, msghdr* msg, int /*flags*/) const {
  size_t copied = 0;
  for (size_t i = 0; i < msg->msg_iovlen && copied < bytes_.size(); ++i) {
    const size_t n = std::min(msg->msg_iov[i].iov_len, bytes_.size() - copied);
    if (n > 0) std::memcpy(msg->msg_iov[i].iov_base, bytes_.data() + copied, n);
    copied += n;
  }
  msg->msg_flags = 0;
  size_t control_used = 0;
  if (!fds_.empty()) {
    // As many fds as fit in the caller's control buffer, like the kernel.
    size_t fit = fds_.size();
    while (fit > 0 &&
           (msg->msg_control == nullptr || CMSG_SPACE(fit * sizeof(int)) > msg->msg_controllen)) {
      --fit;
    }
    if (fit < fds_.size()) msg->msg_flags |= MSG_CTRUNC;
    if (fit > 0) {
      std::memset(msg->msg_control, 0, CMSG_SPACE(fit * sizeof(int)));
      msghdr sized = *msg;
      sized.msg_controllen = CMSG_SPACE(fit * sizeof(int));
      cmsghdr* cmsg = CMSG_FIRSTHDR(&sized);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(fit * sizeof(int));
      std::memcpy(CMSG_DATA(cmsg), fds_.data(), fit * sizeof(int));
      control_used = CMSG_SPACE(fit * sizeof(int));
    }
  }
  msg->msg_controllen = control_used;
  return SysResult{static_cast<int64_t>(copied), 0};
}

DeliverMessageAction DeliverMessage(std::string bytes, std::vector<int> fds) {
  return DeliverMessageAction(std::move(bytes), std::move(fds));
}

SysResult CollectSentAction::operator()(int /*fd*/, const msghdr* msg, int /*flags*/) const {
  size_t total = 0;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) total += msg->msg_iov[i].iov_len;
  size_t accepted = 0;
  for (size_t i = 0; i < msg->msg_iovlen && accepted < max_bytes_; ++i) {
    const size_t n = std::min(msg->msg_iov[i].iov_len, max_bytes_ - accepted);
    data_->append(static_cast<const char*>(msg->msg_iov[i].iov_base), n);
    accepted += n;
  }
  if (fds_ != nullptr && (accepted > 0 || total == 0) && msg->msg_control != nullptr) {
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(msg); cmsg != nullptr;
         cmsg = CMSG_NXTHDR(const_cast<msghdr*>(msg), cmsg)) {
      if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const unsigned char* data = CMSG_DATA(cmsg);
      for (size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
        fds_->push_back(fd);
      }
    }
  }
  return SysResult{static_cast<int64_t>(accepted), 0};
}

CollectSentAction CollectSent(std::string* data, size_t max_bytes, std::vector<int>* fds) {
  if (max_bytes == 0) ADD_FAILURE() << "CollectSent(max_bytes = 0): use FailWith(EAGAIN)";
  return CollectSentAction(data, max_bytes, fds);
}

SysResult PollReadyAction::operator()(pollfd* fds, nfds_t nfds, int /*timeout_ms*/) const {
  int64_t ready = 0;
  for (nfds_t i = 0; i < nfds; ++i) {
    pollfd& entry = fds[i];
    entry.revents = 0;
    if (entry.fd < 0 || entry.fd != fd_) continue;
    entry.revents = static_cast<short>(  // NOLINT(google-runtime-int): pollfd's type.
        revents_ & (entry.events | POLLERR | POLLHUP | POLLNVAL));
    if (entry.revents != 0) ++ready;
  }
  return SysResult{ready, 0};
}

PollReadyAction PollReady(int fd, int revents) { return PollReadyAction(fd, revents); }

PollReadyAction PollTimesOut() { return PollReadyAction(-1, 0); }

struct FdLedger::State {
  std::mutex mu;
  int next_fd;
  std::set<int> open;
  std::set<int> tracked;  // numbers the test chose: never minted
  int opened = 0;
  int closed = 0;
  std::vector<int> bad_closes;
};

FdLedger::FdLedger(int first_fd) : state_(std::make_shared<State>()) { state_->next_fd = first_fd; }

SysResult FdLedger::OpenPairAction::operator()(int /*domain*/, int /*type*/, int /*protocol*/,
                                               int* fds) const {
  fds[0] = MintIn(*state_);
  fds[1] = MintIn(*state_);
  return SysResult{0, 0};
}

SysResult FdLedger::CloseAction::operator()(int fd) const {
  State& state = *state_;
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.open.erase(fd) == 0) {
    state.bad_closes.push_back(fd);
    return SysResult{-1, EBADF};
  }
  ++state.closed;
  return SysResult{0, 0};
}

int FdLedger::MintIn(State& state) {
  std::lock_guard<std::mutex> lock(state.mu);
  // Skip numbers a test Track()ed, so every minted fd is new.
  while (state.tracked.count(state.next_fd) != 0) ++state.next_fd;
  const int fd = state.next_fd++;
  state.open.insert(fd);
  ++state.opened;
  return fd;
}

int FdLedger::Mint() const { return MintIn(*state_); }

bool FdLedger::Track(int fd) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->open.insert(fd).second) return false;
  state_->tracked.insert(fd);
  ++state_->opened;
  return true;
}

bool FdLedger::IsOpen(int fd) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->open.count(fd) != 0;
}

std::vector<int> FdLedger::open_fds() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return std::vector<int>(state_->open.begin(), state_->open.end());
}

int FdLedger::opened_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->opened;
}

int FdLedger::closed_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->closed;
}

std::vector<int> FdLedger::bad_closes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->bad_closes;
}

}  // namespace ipc
