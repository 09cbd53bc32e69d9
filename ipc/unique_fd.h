// ipc::UniqueFd, a move-only owner of a file descriptor.
#ifndef LOCALSOCKET_IPC_UNIQUE_FD_H_
#define LOCALSOCKET_IPC_UNIQUE_FD_H_

namespace ipc {

// Owns one file descriptor (or none, -1) and closes it with ::close on destruction and reset.
// close is called once and never retried: on Linux the descriptor is released even when close
// reports EINTR, so a retry could close an unrelated descriptor opened meanwhile by another
// thread. Close errors are ignored and errno is preserved across the close.
//
// Move-only. Like an int, a UniqueFd is not synchronised: use one object from one thread at a
// time; distinct objects may be used from different threads.
class UniqueFd {
 public:
  // Owns nothing: get() is -1.
  UniqueFd() = default;
  // Takes ownership of `fd`; any negative value means "nothing" and is stored as -1.
  explicit UniqueFd(int fd);
  // Takes `other`'s descriptor; `other` is left owning nothing.
  UniqueFd(UniqueFd&& other) noexcept;
  // Closes the descriptor owned so far, then takes `other`'s; `other` is left owning nothing.
  // Self-move-assignment is a no-op (the descriptor stays owned and open).
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  // Closes the owned descriptor, if any.
  ~UniqueFd();

  // The owned descriptor, or -1. Ownership stays here.
  int get() const { return fd_; }
  // Gives up ownership without closing: returns the descriptor (or -1) and owns nothing.
  int release();
  // Closes the owned descriptor (if any) and takes ownership of `fd` (negative: nothing).
  // reset(get()) keeps the descriptor open and owned (it is not closed and then kept).
  void reset(int fd = -1);
  // True when a descriptor is owned.
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_UNIQUE_FD_H_
