// Internal: the file descriptors a connection passes along with its bytes (SCM_RIGHTS).
//
// Sending: each batch of fds rides on one byte of the write buffer. A sendmsg starts at a
// fd-carrying byte (its batch in the control message) or carries none, and always stops before
// the next fd-carrying byte, so the kernel attaches every batch to its own byte, whatever the
// coalescing of writes and however the kernel splits the buffer.
//
// Receiving: fds are kept, in arrival order, until the user takes them; each is tagged with the
// position in the received stream up to which the recvmsg that brought it read (its byte lies
// before that position).
//
// Threads and lifetime: loop-thread only; owned by a StreamChannel, which creates it at the
// first fd the connection sends or receives (a connection that passes none never has one).
// Every fd it holds is closed through `os`, which must outlive it.
#ifndef LOCALSOCKET_IPC_PASSED_FDS_H_
#define LOCALSOCKET_IPC_PASSED_FDS_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "ipc/os_calls.h"
#include "ipc/os_fd.h"
#include "ipc/unique_fd.h"

namespace ipc {
namespace internal {

// The most fds one message may carry (the kernel's SCM_MAX_FD).
inline constexpr size_t kMaxFdsPerMessage = 253;

// Room for one SCM_RIGHTS control message of kMaxFdsPerMessage fds, aligned for cmsghdr. One
// recvmsg never returns more: the kernel stops a read after the first message carrying fds.
struct RightsControlBuffer {
  alignas(cmsghdr) unsigned char bytes[CMSG_SPACE(kMaxFdsPerMessage * sizeof(int))];
};

// Points `message` at `buffer`, holding one SCM_RIGHTS control message with `fds` (at most
// kMaxFdsPerMessage, at least one).
void SetRights(const std::vector<OsFd>& fds, RightsControlBuffer& buffer, msghdr& message);

// Calls `take(fd)` for every fd of the SCM_RIGHTS control messages recvmsg left in `message`
// (none when msg_controllen is 0). Reads nothing beyond msg_controllen.
template <typename Take>
void ForEachReceivedFd(msghdr& message, Take&& take) {
  if (message.msg_control == nullptr) return;
  const auto* end = static_cast<const unsigned char*>(message.msg_control) + message.msg_controllen;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) {
      continue;
    }
    const unsigned char* data = CMSG_DATA(c);
    const size_t declared = c->cmsg_len - CMSG_LEN(0);
    const size_t available = data < end ? static_cast<size_t>(end - data) : 0;
    const size_t count = (declared < available ? declared : available) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
      take(fd);
    }
  }
}

class PassedFds {
 public:
  explicit PassedFds(OsCalls& os) : os_(os) {}
  PassedFds(const PassedFds&) = delete;
  PassedFds& operator=(const PassedFds&) = delete;

  // Sending. Attaches `fds` (not empty) to the byte `offset` bytes from the front of the write
  // buffer. Each batch must go to a later byte than the previous one.
  void Attach(size_t offset, std::vector<OsFd> fds);
  // How many bytes from the front of the write buffer (which holds `buffered`) the next sendmsg
  // may carry: up to the next fd-carrying byte after the front one, or all. Sets `*fds` to the
  // batch of the front byte, or to nullptr when it carries none.
  size_t NextSend(size_t buffered, const std::vector<OsFd>** fds) const;
  // The kernel took `n` bytes from the front of the write buffer: the batches that went with
  // them are closed here (the kernel holds its own references).
  void Sent(size_t n);
  // Closes every batch not sent yet (the write buffer was dropped).
  void DropOutgoing();
  bool HasOutgoing() const { return !outgoing_.empty(); }

  // Receiving. Takes ownership of `fd`, received with bytes that end at position `end` of the
  // received stream.
  void AddReceived(int fd, uint64_t end);
  // Closes the untaken fds whose bytes have all been read: those received with bytes that end
  // at or before position `consumed`.
  void CloseConsumed(uint64_t consumed);
  // The untaken fds, in arrival order; ownership passes to the caller.
  std::vector<UniqueFd> TakeReceived();
  // Closes every untaken fd.
  void DropReceived() { incoming_.clear(); }
  size_t received_count() const { return incoming_.size(); }

 private:
  struct Outgoing {
    uint64_t position;  // Of the carrying byte, counted in bytes sent since this was created.
    std::vector<OsFd> fds;
  };
  struct Incoming {
    uint64_t end;
    OsFd fd;
  };

  OsCalls& os_;
  uint64_t sent_ = 0;  // Bytes the kernel took since this object exists (or since the last drop).
  std::deque<Outgoing> outgoing_;
  std::deque<Incoming> incoming_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_PASSED_FDS_H_
