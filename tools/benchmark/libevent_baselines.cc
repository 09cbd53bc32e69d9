// The libevent baselines of the timer and post workloads (see libevent_baselines.h).
#include "tools/benchmark/libevent_baselines.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "tools/benchmark/loop_measure.h"

namespace bench {
namespace {

// MeasureTimers' adapter: one evtimer per timer; event_base_dispatch returns once no timer is
// left pending.
class LibeventTimerSet {
 public:
  explicit LibeventTimerSet(uint64_t count) : base_(event_base_new()) { events_.reserve(count); }
  ~LibeventTimerSet() {
    for (event* timer : events_) event_free(timer);
    if (base_ != nullptr) event_base_free(base_);
  }
  LibeventTimerSet(const LibeventTimerSet&) = delete;
  LibeventTimerSet& operator=(const LibeventTimerSet&) = delete;

  void Start(size_t /*i*/, int delay_ms) {
    event* timer = evtimer_new(base_, &OnFire, this);
    events_.push_back(timer);
    const timeval delay{delay_ms / 1000, static_cast<suseconds_t>(delay_ms % 1000) * 1000};
    evtimer_add(timer, &delay);
  }
  void Cancel(size_t i) { evtimer_del(events_[i]); }
  void Run() { event_base_dispatch(base_); }
  uint64_t fired() const { return fired_; }

 private:
  static void OnFire(evutil_socket_t /*fd*/, int16_t /*what*/, void* arg) {
    ++static_cast<LibeventTimerSet*>(arg)->fired_;
  }

  event_base* base_;
  std::vector<event*> events_;
  uint64_t fired_ = 0;
};

// The post workloads' adapter: Post appends to a mutex-guarded queue and activates one event
// when the queue was idle; the event's callback swaps the queue out and runs it (tasks posted
// meanwhile run on the next activation), as our loop does.
class LibeventPoster {
 public:
  // `threaded`: Post is called from another thread.
  explicit LibeventPoster(bool threaded) {
    if (threaded) evthread_use_pthreads();
    base_ = event_base_new();
    drain_ = event_new(base_, -1, 0, &OnDrain, this);
  }
  ~LibeventPoster() {
    event_free(drain_);
    event_base_free(base_);
  }
  LibeventPoster(const LibeventPoster&) = delete;
  LibeventPoster& operator=(const LibeventPoster&) = delete;

  void Post(std::function<void()> task) {
    bool activate = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
      activate = !active_;
      active_ = true;
    }
    if (activate) event_active(drain_, EV_TIMEOUT, 0);
  }
  void Run() { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); }
  void Quit() { event_base_loopbreak(base_); }

 private:
  static void OnDrain(evutil_socket_t /*fd*/, int16_t /*what*/, void* arg) {
    auto* self = static_cast<LibeventPoster*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->running_.swap(self->queue_);
      self->active_ = false;
    }
    for (std::function<void()>& task : self->running_) task();
    self->running_.clear();
  }

  event_base* base_ = nullptr;
  event* drain_ = nullptr;
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;    // Guarded by mutex_.
  bool active_ = false;                        // Guarded by mutex_: drain_ is activated.
  std::deque<std::function<void()>> running_;  // The batch being run (loop thread).
};

}  // namespace

Metrics RunLibeventTimers(uint64_t count) {
  const std::vector<int> delays = TimerDelaysMs(count);
  LibeventTimerSet timers(count);
  return MeasureTimers(timers, delays);
}

Metrics RunLibeventPostLoop(uint64_t count) {
  LibeventPoster poster(/*threaded=*/false);
  return MeasurePostLoop(poster, count);
}

Metrics RunLibeventPostCrossThread(uint64_t count) {
  LibeventPoster poster(/*threaded=*/true);
  return MeasurePostCrossThread(poster, count);
}

}  // namespace bench
