// Internal to FakeKernel (testing/fake_kernel.h): the descriptor table and open file
// descriptions, with the accounting tests assert on (open descriptors, bad closes).
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_FDS_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_FDS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "testing/fake_kernel_fs.h"
#include "testing/fake_kernel_sockets.h"

namespace ipc {
namespace fake_kernel {

// An open file description: what descriptors (duplicates included) refer to. Its status flags
// (O_NONBLOCK...) and its flock are shared by every descriptor referring to it.
struct OpenFile {
  enum class Kind { kSocket, kRegular, kDirectory, kPath };

  FlockSet& LockTarget() { return socket != nullptr ? socket->locks : inode->locks; }

  uint64_t id = 0;
  Kind kind = Kind::kRegular;
  int status_flags = 0;          // What F_GETFL reports (O_ACCMODE bits, O_NONBLOCK, O_PATH...).
  Socket* socket = nullptr;      // kSocket.
  std::shared_ptr<Inode> inode;  // The other kinds.
  int lock = 0;                  // The flock held: 0, LOCK_SH or LOCK_EX.
  std::vector<int> fds;          // The descriptors referring to it.
  int in_flight = 0;             // References held by messages passing it (SCM_RIGHTS).
};

// The descriptor table. Descriptor numbers are the lowest free one at or above `first_fd`,
// as Linux allocates them, or (with `reuse` false) never reused, so that a double close is
// always caught. Single-threaded.
class FdTable {
 public:
  FdTable(int first_fd, bool reuse, int limit);

  // One descriptor-table entry.
  struct Entry {
    OpenFile* file = nullptr;
    bool cloexec = false;
  };

  // Whether `count` more descriptors fit under the limit.
  bool HasRoom(int count) const;
  // A new open file description, owned by the table; give it a descriptor with Install().
  OpenFile* NewFile(OpenFile::Kind kind, int status_flags);
  // Installs a descriptor for `file` at or above `min_fd`: the descriptor, or -EMFILE.
  int Install(OpenFile* file, bool cloexec, int min_fd = 0);
  Entry* Find(int fd);
  const Entry* Find(int fd) const;
  OpenFile* FindFile(uint64_t id);
  // Removes `fd` (which must be open). Returns its open file description when that was its
  // last reference (no other descriptor, none in flight: the caller releases what it holds),
  // else nullptr.
  std::unique_ptr<OpenFile> Remove(int fd);
  // A message passing `file` (SCM_RIGHTS) holds a reference to it.
  void AddInFlight(OpenFile& file);
  // A message's reference to the file `id` ended (received, or dropped). Returns the open
  // file description when that was its last reference, as Remove.
  std::unique_ptr<OpenFile> DropInFlight(uint64_t id);
  // References held by messages in flight, over every file.
  int64_t in_flight() const { return in_flight_; }
  // Records a close of a descriptor that was not open.
  void RecordBadClose(int fd) { bad_closes_.push_back(fd); }

  std::vector<int> open_fds() const;
  const std::vector<int>& bad_closes() const { return bad_closes_; }
  int64_t opened_count() const { return opened_; }
  int64_t closed_count() const { return closed_; }
  int limit() const { return limit_; }
  void set_limit(int limit) { limit_ = limit; }
  const std::map<int, Entry>& entries() const { return entries_; }

 private:
  const int first_fd_;
  const bool reuse_;
  int limit_;
  int next_fd_;  // Without reuse: the next number handed out.
  std::map<int, Entry> entries_;
  std::map<uint64_t, std::unique_ptr<OpenFile>> files_;
  uint64_t next_file_id_ = 1;
  std::vector<int> bad_closes_;
  int64_t opened_ = 0;
  int64_t closed_ = 0;
  int64_t in_flight_ = 0;
};

}  // namespace fake_kernel
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_FDS_H_
