// Internal: an immutable name that many objects can hold for the price of one string, such as
// the server name every socket accepted by one LocalServer reports.
#ifndef LOCALSOCKET_IPC_SHARED_NAME_H_
#define LOCALSOCKET_IPC_SHARED_NAME_H_

#include <memory>
#include <string>
#include <utility>

namespace ipc {
namespace internal {

// A reference-counted, immutable std::string; the empty name holds nothing. Copies share the
// string. Not thread-safe beyond what std::shared_ptr promises (copies may live on different
// threads).
class SharedName {
 public:
  SharedName() = default;
  explicit SharedName(std::string name)
      : value_(name.empty() ? nullptr : std::make_shared<const std::string>(std::move(name))) {}

  // The name; valid while this SharedName holds it, or forever for the empty name.
  const std::string& get() const { return value_ ? *value_ : Empty(); }
  void clear() { value_.reset(); }

 private:
  static const std::string& Empty() {
    static const auto* const empty = new std::string();
    return *empty;
  }

  std::shared_ptr<const std::string> value_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SHARED_NAME_H_
