// A fully simulated EventLoop for deterministic tests: no kernel objects, fake time.
#ifndef LOCALSOCKET_TESTING_FAKE_EVENT_LOOP_H_
#define LOCALSOCKET_TESTING_FAKE_EVENT_LOOP_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/loop_base.h"
#include "testing/fake_clock.h"

namespace eventloop {

namespace internal {
class FakeFdWatcher;
class FakeSignalWatcher;
// Holds the FakeClock so that it is built before, and destroyed after, the LoopBase using it.
struct FakeClockHolder {
  FakeClock owned_clock;
};
}  // namespace internal

// An EventLoop that simulates everything: time is a FakeClock that moves only when the test
// (or Run()) advances it, fds are plain numbers whose readiness the test scripts with
// SetFdReady/ClearFdReady, and signals are raised with RaiseSignal. Timers, posted tasks and
// before-blocking tasks are ordered exactly as on LibeventLoop (both share one implementation
// of the iteration in event_loop.h).
//
// Misuse that would hang a test fails it loudly instead (a GoogleTest failure): Run() with
// nothing left that could ever run, or a RunUntilIdle()/FastForwardBy() that cannot settle
// because callbacks keep re-posting or re-arming zero-delay work.
//
// Threads: Post() and Quit() are thread-safe; everything else, the test controls included, is
// for the loop's thread: the thread of the first Run(), RunUntilIdle() or FastForwardBy()
// (debug builds check it; see event_loop.h).
class FakeEventLoop : private internal::FakeClockHolder, public internal::LoopBase {
 public:
  FakeEventLoop();  // Owns its FakeClock.
  ~FakeEventLoop() override;

  // Fires every timer with deadline <= start + d, stepping Now() to each deadline before
  // firing it and running posted tasks (and other RunUntilIdle work) between; ends at
  // start + d after a last RunUntilIdle(). A negative `d` counts as zero. Must not be called
  // from inside a loop callback (fails the test).
  void FastForwardBy(Duration d);

  // Makes `fd` ready for `io_events` (added to what it already has). Readiness is
  // level-triggered: each iteration delivers it to the watchers of `fd` that are interested,
  // until ClearFdReady.
  void SetFdReady(int fd, uint32_t io_events);
  void ClearFdReady(int fd, uint32_t io_events);
  // The readiness currently scripted for `fd`.
  uint32_t FdReadiness(int fd) const;
  // The union of the interest of the live watchers of `fd` (kNoEvents if none).
  uint32_t WatchedEvents(int fd) const;
  // Delivers `signo` to its watchers at step 1 of the next iteration.
  void RaiseSignal(int signo);
  // From now on WatchFd(fd, ...) returns nullptr, as a real loop does for an fd it cannot
  // watch (e.g. when the kernel refuses it), so a test can reach the code's refusal paths.
  void RefuseToWatch(int fd) { refused_fds_.insert(fd); }

  // With `settle` true, RunUntilIdle() and FastForwardBy() (at each time point it stops at)
  // also keep running iterations while some fd watcher has readiness it is interested in, so an
  // exchange over fds finishes at the time point it started (ipc::FakeKernel turns this on
  // while it exists). A watcher that keeps finding its fd ready without consuming the readiness
  // then fails the test instead of spinning. Default false: as EventLoop::RunUntilIdle says,
  // fd readiness alone never starts another iteration.
  void SetSettlesFdReadiness(bool settle) {
    DcheckOnLoopThread("FakeEventLoop::SetSettlesFdReadiness");
    settles_fd_readiness_ = settle;
  }
  bool settles_fd_readiness() const { return settles_fd_readiness_; }

  FakeClock& fake_clock() {
    DcheckOnLoopThread("FakeEventLoop::fake_clock");
    return owned_clock;
  }

  // Accepts any fd >= 0 without checking it (fds here are just numbers), except those passed
  // to RefuseToWatch.
  std::unique_ptr<FdWatcher> WatchFd(int fd, uint32_t io_events,
                                     std::function<void(uint32_t ready)> on_ready) override;
  // Accepts any valid signal number; there is no one-loop-per-process limit here.
  std::unique_ptr<SignalWatcher> WatchSignal(int signo, std::function<void()> on_signal) override;
  // RunUntilIdle, then advances the clock to the next deadline, until Quit(). Like
  // LibeventLoop::Run(), it returns at the end of the iteration in which Quit() came. Returns
  // (and fails the test) when there is nothing left that could ever run, or when callbacks
  // keep the loop busy at one time point without ever calling Quit().
  void Run() override;
  // As EventLoop::RunUntilIdle; fails the test instead of hanging if it cannot settle.
  void RunUntilIdle() override;

 protected:
  void WaitForIo(bool block, std::optional<TimePoint> wake_up) override;  // Never blocks.
  void WakeUp() override {}
  bool SleepsTowardsTimers() const override { return false; }

 private:
  friend class internal::FakeFdWatcher;
  friend class internal::FakeSignalWatcher;

  // RunUntilIdle without the nesting check (also settling fd readiness when asked to); fails
  // the test if it cannot settle.
  void RunUntilIdleOrFail(const char* caller);
  // True if step 1 would run some watcher's callback.
  bool HasDeliverableIo() const;

  uint64_t next_watcher_id_ = 0;
  std::map<uint64_t, internal::FakeFdWatcher*> fd_watchers_;          // In creation order.
  std::map<uint64_t, internal::FakeSignalWatcher*> signal_watchers_;  // In creation order.
  std::map<int, uint32_t> fd_readiness_;
  std::vector<uint64_t> watcher_ids_;  // WaitForIo's scratch list, kept for its capacity.
  std::set<int> refused_fds_;
  std::deque<int> raised_signals_;
  bool settles_fd_readiness_ = false;
};

}  // namespace eventloop

#endif  // LOCALSOCKET_TESTING_FAKE_EVENT_LOOP_H_
