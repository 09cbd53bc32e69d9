#include "ipc/passed_fds.h"

#include <algorithm>
#include <utility>

namespace ipc {
namespace internal {

void SetRights(const std::vector<OsFd>& fds, RightsControlBuffer& buffer, msghdr& message) {
  const size_t count = std::min(fds.size(), kMaxFdsPerMessage);
  std::memset(buffer.bytes, 0, CMSG_SPACE(count * sizeof(int)));
  message.msg_control = buffer.bytes;
  message.msg_controllen = CMSG_SPACE(count * sizeof(int));
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(count * sizeof(int));
  unsigned char* data = CMSG_DATA(header);
  for (size_t i = 0; i < count; ++i) {
    const int fd = fds[i].get();
    std::memcpy(data + i * sizeof(int), &fd, sizeof(int));
  }
}

void PassedFds::Attach(size_t offset, std::vector<OsFd> fds) {
  outgoing_.push_back(Outgoing{sent_ + offset, std::move(fds)});
}

size_t PassedFds::NextSend(size_t buffered, const std::vector<OsFd>** fds) const {
  *fds = nullptr;
  if (outgoing_.empty()) return buffered;
  uint64_t stop = outgoing_.front().position;
  if (stop == sent_) {
    *fds = &outgoing_.front().fds;
    stop = outgoing_.size() > 1 ? outgoing_[1].position : sent_ + buffered;
  }
  return static_cast<size_t>(std::min<uint64_t>(stop - sent_, buffered));
}

void PassedFds::Sent(size_t n) {
  sent_ += n;
  while (!outgoing_.empty() && outgoing_.front().position < sent_) outgoing_.pop_front();
}

void PassedFds::DropOutgoing() { outgoing_.clear(); }

void PassedFds::AddReceived(int fd, uint64_t end) {
  incoming_.push_back(Incoming{end, OsFd(os_, fd)});
}

void PassedFds::CloseConsumed(uint64_t consumed) {
  // Arrival order is stream order: the consumed ones come first.
  while (!incoming_.empty() && incoming_.front().end <= consumed) incoming_.pop_front();
}

std::vector<UniqueFd> PassedFds::TakeReceived() {
  std::vector<UniqueFd> taken;
  taken.reserve(incoming_.size());
  for (Incoming& in : incoming_) taken.emplace_back(in.fd.release());
  incoming_.clear();
  return taken;
}

}  // namespace internal
}  // namespace ipc
