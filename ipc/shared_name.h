// Internal: an immutable name that many objects can hold for the price of one string, such as
// the server name every socket accepted by one LocalServer reports, or the name every client
// socket of one thread connects to (Intern).
#ifndef LOCALSOCKET_IPC_SHARED_NAME_H_
#define LOCALSOCKET_IPC_SHARED_NAME_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace ipc {
namespace internal {

// A reference-counted, immutable std::string; the empty name holds nothing. Copies share the
// string. One pointer in size (it sits in every socket). Copies may live and die on different
// threads (the count is atomic); one SharedName object is not thread-safe.
class SharedName {
 public:
  SharedName() = default;
  explicit SharedName(std::string name)
      : shared_(name.empty() ? nullptr : new Shared(std::move(name))) {}
  SharedName(const SharedName& other) noexcept : shared_(other.shared_) {
    if (shared_ != nullptr) shared_->references.fetch_add(1, std::memory_order_relaxed);
  }
  SharedName(SharedName&& other) noexcept : shared_(std::exchange(other.shared_, nullptr)) {}
  SharedName& operator=(SharedName other) noexcept {
    std::swap(shared_, other.shared_);
    return *this;
  }
  ~SharedName() { clear(); }

  // `name`, sharing the string of the calling thread's previous Intern() of an equal name:
  // sockets that connect to one server hold one copy of its name. Each thread keeps its last
  // interned name until the thread ends (or a different name replaces it). Any thread.
  static SharedName Intern(std::string_view name);

  // The name; valid while this SharedName holds it, or forever for the empty name.
  const std::string& get() const { return shared_ != nullptr ? shared_->name : Empty(); }
  void clear() {
    Shared* shared = std::exchange(shared_, nullptr);
    if (shared != nullptr && shared->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete shared;
    }
  }

 private:
  struct Shared {
    explicit Shared(std::string value) : name(std::move(value)) {}
    const std::string name;
    std::atomic<size_t> references{1};
  };

  static const std::string& Empty() {
    static const auto* const empty = new std::string();
    return *empty;
  }

  Shared* shared_ = nullptr;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SHARED_NAME_H_
