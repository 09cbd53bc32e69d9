#include "ipc/shared_name.h"

namespace ipc {
namespace internal {
namespace {

// The calling thread's last interned name. Interning after the cache's destruction (from
// another thread_local's destructor) falls back to a plain copy.
class InternCache {
 public:
  InternCache() { phase_ = Phase::kAlive; }
  ~InternCache() { phase_ = Phase::kDestroyed; }
  InternCache(const InternCache&) = delete;
  InternCache& operator=(const InternCache&) = delete;

  // The cached name, or nullptr once this thread's cache was destroyed.
  static SharedName* Get() {
    // Checked first: control must not reach a destroyed thread_local's definition again.
    if (phase_ == Phase::kDestroyed) return nullptr;
    thread_local InternCache cache;
    return &cache.last_;
  }

 private:
  enum class Phase : unsigned char { kNotCreated, kAlive, kDestroyed };
  // Trivially destructible, so it stays readable after the cache is destroyed.
  static thread_local Phase phase_;
  SharedName last_;
};

thread_local InternCache::Phase InternCache::phase_ = InternCache::Phase::kNotCreated;

}  // namespace

SharedName SharedName::Intern(std::string_view name) {
  if (name.empty()) return SharedName();
  SharedName* last = InternCache::Get();
  if (last == nullptr) return SharedName(std::string(name));
  if (last->get() != name) *last = SharedName(std::string(name));
  return *last;
}

}  // namespace internal
}  // namespace ipc
