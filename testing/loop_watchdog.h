// Watchdog: a guard that quits a loop whose Run() would hang a test.
#ifndef LOCALSOCKET_TESTING_LOOP_WATCHDOG_H_
#define LOCALSOCKET_TESTING_LOOP_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "eventloop/event_loop.h"

namespace eventloop {

// Makes a Run() that would hang return (and the test fail on fired()) instead of blocking the
// test until Bazel's timeout. Not a synchronisation device: a passing test never reaches it.
class Watchdog {
 public:
  explicit Watchdog(EventLoop& loop, std::chrono::seconds limit = std::chrono::seconds(20))
      : thread_([this, &loop, limit] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            fired_ = true;
            loop.Quit();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  bool fired() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fired_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // Last: starts once the members above exist.
};

}  // namespace eventloop

#endif  // LOCALSOCKET_TESTING_LOOP_WATCHDOG_H_
