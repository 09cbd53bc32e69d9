#include "eventloop/thread_binding.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace eventloop {
namespace internal {
namespace {

[[noreturn]] void DieOnWrongThread(const char* caller, std::thread::id bound_thread,
                                   const char* owner, const char* bound_by) {
  std::ostringstream message;
  message << "localsocket: " << caller << " called on thread " << std::this_thread::get_id()
          << ", but the object is bound to thread " << bound_thread << " (the " << owner
          << "'s thread since " << (bound_by != nullptr ? bound_by : "a concurrent call") << ")\n";
  const std::string text = message.str();
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

void ThreadBinding::BindToCurrentThread(const char* caller) {
  if (FirstBound() == nullptr) {
    std::thread::id unbound;
    if (thread_.compare_exchange_strong(unbound, std::this_thread::get_id(),
                                        std::memory_order_acq_rel)) {
      bound_by_.store(caller, std::memory_order_release);
      return;
    }
    // Another thread bound it meanwhile: check against that one.
  }
  Check(caller);
}

void ThreadBinding::Check(const char* caller) const {
  const ThreadBinding* bound = FirstBound();
  if (bound == nullptr) return;
  const std::thread::id thread = bound->thread_.load(std::memory_order_acquire);
  if (thread == std::this_thread::get_id()) return;
  DieOnWrongThread(caller, thread, bound->owner_, bound->bound_by_.load(std::memory_order_acquire));
}

const ThreadBinding* ThreadBinding::FirstBound() const {
  for (const ThreadBinding* binding = this; binding != nullptr; binding = binding->parent_.get()) {
    if (binding->thread_.load(std::memory_order_acquire) != std::thread::id()) return binding;
  }
  return nullptr;
}

}  // namespace internal
}  // namespace eventloop
