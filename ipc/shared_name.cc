#include "ipc/shared_name.h"

#include "ipc/thread_local_instance.h"

namespace ipc {
namespace internal {
namespace {

// A thread's last interned name.
struct InternedName {
  SharedName name;
};

}  // namespace

SharedName SharedName::Intern(std::string_view name) {
  if (name.empty()) return SharedName();
  InternedName* last = ThreadLocalInstance<InternedName>::Get();
  if (last == nullptr) return SharedName(std::string(name));  // The thread is exiting.
  if (last->name.get() != name) last->name = SharedName(std::string(name));
  return last->name;
}

}  // namespace internal
}  // namespace ipc
