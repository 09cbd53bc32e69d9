#include "testing/fake_kernel_fds.h"

#include <algorithm>
#include <cerrno>
#include <utility>

namespace ipc {
namespace fake_kernel {

FdTable::FdTable(int first_fd, bool reuse, int limit)
    : first_fd_(std::max(first_fd, 0)), reuse_(reuse), limit_(limit), next_fd_(first_fd_) {}

bool FdTable::HasRoom(int count) const {
  return static_cast<int64_t>(entries_.size()) + count <= static_cast<int64_t>(limit_) - first_fd_;
}

OpenFile* FdTable::NewFile(OpenFile::Kind kind, int status_flags) {
  auto file = std::make_unique<OpenFile>();
  file->id = next_file_id_++;
  file->kind = kind;
  file->status_flags = status_flags;
  OpenFile* raw = file.get();
  files_.emplace(raw->id, std::move(file));
  return raw;
}

int FdTable::Install(OpenFile* file, bool cloexec, int min_fd) {
  if (!HasRoom(1)) return -EMFILE;
  int fd = std::max(min_fd, first_fd_);
  if (reuse_) {
    // The lowest free number: entries_ is ordered, so walk the taken ones from `fd` up.
    for (auto it = entries_.lower_bound(fd); it != entries_.end() && it->first == fd; ++it) ++fd;
    if (fd >= limit_) return -EMFILE;
  } else {
    fd = std::max(fd, next_fd_);
    next_fd_ = fd + 1;
  }
  entries_.emplace(fd, Entry{file, cloexec});
  file->fds.push_back(fd);
  ++opened_;
  return fd;
}

FdTable::Entry* FdTable::Find(int fd) {
  const auto it = entries_.find(fd);
  return it == entries_.end() ? nullptr : &it->second;
}

const FdTable::Entry* FdTable::Find(int fd) const {
  const auto it = entries_.find(fd);
  return it == entries_.end() ? nullptr : &it->second;
}

OpenFile* FdTable::FindFile(uint64_t id) {
  const auto it = files_.find(id);
  return it == files_.end() ? nullptr : it->second.get();
}

std::unique_ptr<OpenFile> FdTable::Remove(int fd) {
  const auto it = entries_.find(fd);
  OpenFile* file = it->second.file;
  entries_.erase(it);
  ++closed_;
  file->fds.erase(std::remove(file->fds.begin(), file->fds.end(), fd), file->fds.end());
  if (!file->fds.empty() || file->in_flight > 0) return nullptr;
  const auto owned = files_.find(file->id);
  std::unique_ptr<OpenFile> last = std::move(owned->second);
  files_.erase(owned);
  return last;
}

void FdTable::AddInFlight(OpenFile& file) {
  ++file.in_flight;
  ++in_flight_;
}

std::unique_ptr<OpenFile> FdTable::DropInFlight(uint64_t id) {
  const auto owned = files_.find(id);
  if (owned == files_.end()) return nullptr;
  OpenFile& file = *owned->second;
  --file.in_flight;
  --in_flight_;
  if (!file.fds.empty() || file.in_flight > 0) return nullptr;
  std::unique_ptr<OpenFile> last = std::move(owned->second);
  files_.erase(owned);
  return last;
}

std::vector<int> FdTable::open_fds() const {
  std::vector<int> fds;
  fds.reserve(entries_.size());
  for (const auto& [fd, entry] : entries_) fds.push_back(fd);
  return fds;
}

}  // namespace fake_kernel
}  // namespace ipc
