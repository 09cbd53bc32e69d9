// Internal: a per-thread instance that callers can still ask for while the thread exits.
#ifndef LOCALSOCKET_IPC_THREAD_LOCAL_INSTANCE_H_
#define LOCALSOCKET_IPC_THREAD_LOCAL_INSTANCE_H_

namespace ipc {
namespace internal {

// The calling thread's T, made at the first Get() and destroyed with the thread. Code that
// runs after that during the thread's exit (another thread_local's or a static object's
// destructor) gets nullptr instead of a destroyed object, and must do without. T must be
// default-constructible. Each thread sees only its own instance.
template <typename T>
class ThreadLocalInstance {
 public:
  // This thread's instance, or nullptr once it was destroyed.
  static T* Get() {
    // Checked first: control must not reach a destroyed thread_local's definition again.
    if (phase_ == Phase::kDestroyed) return nullptr;
    thread_local Holder holder;
    return &holder.value;
  }

 private:
  enum class Phase : unsigned char { kNotCreated, kAlive, kDestroyed };
  // Marks the phase around the instance's life; `value` is destroyed after the mark.
  struct Holder {
    Holder() { phase_ = Phase::kAlive; }
    ~Holder() { phase_ = Phase::kDestroyed; }
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    T value;
  };
  // Trivially destructible, so it stays readable after the instance is destroyed.
  static thread_local Phase phase_;
};

template <typename T>
thread_local typename ThreadLocalInstance<T>::Phase ThreadLocalInstance<T>::phase_ =
    ThreadLocalInstance<T>::Phase::kNotCreated;

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_THREAD_LOCAL_INSTANCE_H_
