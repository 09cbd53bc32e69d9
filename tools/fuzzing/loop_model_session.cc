#include "tools/fuzzing/loop_model_session.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <utility>

#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "tools/fuzzing/fuzz_check.h"

namespace fuzz {
namespace {

using eventloop::Duration;
using eventloop::TimePoint;

// Signals whose default action is to ignore them, and which libFuzzer leaves alone.
constexpr int kSignalNumbers[LoopModel::kSignals] = {SIGWINCH, SIGURG};

// The handler the process has for `signo` now.
void (*SignalHandler(int signo))(int) {
  struct sigaction action = {};
  FUZZ_CHECK(sigaction(signo, nullptr, &action) == 0);
  return action.sa_handler;
}

}  // namespace

LoopModelSession::LoopModelSession(bool libevent, CallbackActions callback_actions)
    : callback_actions_(std::move(callback_actions)) {
  for (size_t signal = 0; signal < LoopModel::kSignals; ++signal) {
    original_handlers_[signal] = SignalHandler(kSignalNumbers[signal]);
  }
  for (int& fd : fds_) {
    fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
  }
  if (libevent) {
    loop_ = std::make_unique<eventloop::LibeventLoop>(libevent_clock_);
    clock_ = &libevent_clock_;
  } else {
    auto fake = std::make_unique<eventloop::FakeEventLoop>();
    fake_loop_ = fake.get();
    clock_ = &fake->fake_clock();
    loop_ = std::move(fake);
    for (int fd : fds_) fake_loop_->SetFdReady(fd, eventloop::kWritable);  // As an eventfd.
  }
}

LoopModelSession::~LoopModelSession() {
  for (int fd : fds_) close(fd);
}

void LoopModelSession::CreateTimer(size_t slot) {
  timers_[slot].reset();
  model_.OnTimerDestroyed(slot);
  const uint64_t generation = next_generation_++;
  timers_[slot] = loop_->CreateTimer([this, slot, generation] {
    model_.OnTimerFired(slot, generation, Bound());
    OnCallback();
  });
  model_.OnTimerCreated(slot, generation);
}

void LoopModelSession::StartTimer(size_t slot, Duration delay) {
  if (timers_[slot] == nullptr) return;
  timers_[slot]->Start(delay);
  model_.OnTimerStart(slot, clock_->Now(), delay);
}

void LoopModelSession::StartRepeatingTimer(size_t slot, Duration period) {
  if (period > Duration::zero()) period = std::max<Duration>(period, std::chrono::milliseconds(1));
  if (timers_[slot] == nullptr) return;
  timers_[slot]->StartRepeating(period);
  model_.OnTimerStartRepeating(slot, clock_->Now(), period);
}

void LoopModelSession::StopTimer(size_t slot) {
  if (timers_[slot] == nullptr) return;
  timers_[slot]->Stop();
  model_.OnTimerStop(slot);
}

void LoopModelSession::DestroyTimer(size_t slot) {
  timers_[slot].reset();
  model_.OnTimerDestroyed(slot);
}

void LoopModelSession::Post() {
  const uint64_t id = model_.OnPost();
  loop_->Post([this, id, life = TaskLife()] {
    model_.OnPostedTaskRan(id);
    in_posted_task_ = true;
    OnCallback();
    in_posted_task_ = false;
  });
}

void LoopModelSession::PostDelayed(Duration delay) {
  const uint64_t id = model_.OnPostDelayed(clock_->Now(), delay);
  loop_->PostDelayed(delay, [this, id, life = TaskLife()] {
    model_.OnDelayedTaskRan(id, Bound());
    OnCallback();
  });
}

void LoopModelSession::CreateTask(size_t slot) {
  tasks_[slot].reset();
  model_.OnTaskDestroyed(slot);
  const uint64_t generation = next_generation_++;
  tasks_[slot] = loop_->CreateBeforeBlockingTask([this, slot, generation] {
    model_.OnTaskRan(slot, generation);
    OnCallback();
  });
  model_.OnTaskCreated(slot, generation);
}

void LoopModelSession::ScheduleTask(size_t slot) {
  if (tasks_[slot] == nullptr) return;
  tasks_[slot]->Schedule();
  model_.OnTaskSchedule(slot, in_posted_task_);
}

void LoopModelSession::CancelTask(size_t slot) {
  if (tasks_[slot] == nullptr) return;
  tasks_[slot]->Cancel();
  model_.OnTaskCancel(slot);
}

void LoopModelSession::DestroyTask(size_t slot) {
  tasks_[slot].reset();
  model_.OnTaskDestroyed(slot);
}

void LoopModelSession::WatchFd(size_t slot, size_t fd, uint32_t interest) {
  watchers_[slot].reset();
  model_.OnWatcherDestroyed(slot);
  const uint64_t generation = next_generation_++;
  watchers_[slot] = loop_->WatchFd(fds_[fd], interest, [this, slot, generation](uint32_t ready) {
    model_.OnWatcherCalled(slot, generation, ready);
    OnCallback();
  });
  FUZZ_CHECK(watchers_[slot] != nullptr);
  model_.OnWatcherCreated(slot, generation, fd, interest);
}

void LoopModelSession::SetWatcherEvents(size_t slot, uint32_t interest) {
  if (watchers_[slot] == nullptr) return;
  watchers_[slot]->SetEvents(interest);
  model_.OnWatcherSetEvents(slot, interest);
}

void LoopModelSession::DestroyWatcher(size_t slot) {
  watchers_[slot].reset();
  model_.OnWatcherDestroyed(slot);
}

void LoopModelSession::SetReadable(size_t fd, bool readable) {
  if (fake_loop_ != nullptr) {
    if (readable) {
      fake_loop_->SetFdReady(fds_[fd], eventloop::kReadable);
    } else {
      fake_loop_->ClearFdReady(fds_[fd], eventloop::kReadable);
    }
  } else {
    uint64_t count = 0;
    const ssize_t drained = read(fds_[fd], &count, sizeof count);  // The count back to 0.
    FUZZ_CHECK(drained == sizeof count || errno == EAGAIN);
    count = 1;
    if (readable) FUZZ_CHECK(write(fds_[fd], &count, sizeof count) == sizeof count);
  }
  model_.OnFdReadable(fd, readable);
}

void LoopModelSession::WatchSignal(size_t slot, size_t signal) {
  signal_watchers_[slot].reset();
  model_.OnSignalWatcherDestroyed(slot);
  const uint64_t generation = next_generation_++;
  signal_watchers_[slot] = loop_->WatchSignal(kSignalNumbers[signal], [this, slot, generation] {
    model_.OnSignalWatcherCalled(slot, generation);
    OnCallback();
  });
  FUZZ_CHECK(signal_watchers_[slot] != nullptr);
  model_.OnSignalWatcherCreated(slot, generation, signal);
}

void LoopModelSession::DestroySignalWatcher(size_t slot) {
  signal_watchers_[slot].reset();
  model_.OnSignalWatcherDestroyed(slot);
}

void LoopModelSession::Raise(size_t signal) {
  if (fake_loop_ != nullptr) {
    fake_loop_->RaiseSignal(kSignalNumbers[signal]);
  } else {
    FUZZ_CHECK(raise(kSignalNumbers[signal]) == 0);
  }
  model_.OnSignalRaised(signal);
}

void LoopModelSession::Advance(Duration delay) { clock_->Advance(delay); }

void LoopModelSession::RunUntilIdle() {
  model_.BeginRun();
  cutoff_ = model_.CutoffAt(clock_->Now());
  loop_->RunUntilIdle();
  model_.CheckIdleAfter(*cutoff_);
  model_.EndPollingRun();
  cutoff_.reset();
}

void LoopModelSession::FastForward(Duration delay) {
  if (delay == Duration::max()) return RunUntilIdle();
  if (fake_loop_ == nullptr) {
    clock_->Advance(delay);
    return RunUntilIdle();
  }
  model_.BeginRun();
  const TimePoint end = clock_->Now() + std::max(delay, Duration::zero());
  fake_loop_->FastForwardBy(delay);
  model_.CheckNothingDueBefore(end);
  model_.EndPollingRun();
}

void LoopModelSession::QuitThenRun() {
  const uint64_t callbacks = callbacks_run_;
  loop_->Quit();
  loop_->Run();
  FUZZ_CHECK_EQ(callbacks_run_, callbacks);  // A quit that came before Run() ends it at once.
}

void LoopModelSession::RunUntilQuitTask() {
  model_.BeginRun();
  bool quit = false;
  const uint64_t id = model_.OnPost();
  loop_->Post([this, id, &quit, life = TaskLife()] {
    model_.OnPostedTaskRan(id);
    loop_->Quit();
    quit = true;
    in_posted_task_ = true;
    OnCallback();
    in_posted_task_ = false;
  });
  loop_->Run();
  FUZZ_CHECK(quit);
  model_.EndPollingRun();
}

void LoopModelSession::NestedRun(bool until_idle) {
  const uint64_t callbacks = callbacks_run_;
  if (until_idle) {
    loop_->RunUntilIdle();
  } else {
    loop_->Run();
  }
  FUZZ_CHECK_EQ(callbacks_run_, callbacks);
}

void LoopModelSession::CheckAfterOperation() const {
  CheckHandles();
  FUZZ_CHECK(!testing::UnitTest::GetInstance()->Failed());  // FakeEventLoop's own checks.
}

void LoopModelSession::Finish() {
  fake_loop_ = nullptr;
  clock_ = nullptr;
  loop_.reset();
  for (std::unique_ptr<eventloop::Timer>& timer : timers_) {
    if (timer == nullptr) continue;
    timer->Start(Duration::zero());
    timer->StartRepeating(std::chrono::milliseconds(1));
    FUZZ_CHECK(!timer->IsActive());
    timer->Stop();
    timer.reset();
  }
  for (size_t slot = 0; slot < LoopModel::kWatcherSlots; ++slot) {
    if (watchers_[slot] == nullptr) continue;
    watchers_[slot]->SetEvents(eventloop::kReadable | eventloop::kWritable);
    FUZZ_CHECK_EQ(watchers_[slot]->events(), model_.WatcherInterest(slot));  // Unchanged.
    watchers_[slot].reset();
  }
  for (std::unique_ptr<eventloop::SignalWatcher>& watcher : signal_watchers_) watcher.reset();
  for (std::unique_ptr<eventloop::BeforeBlockingTask>& task : tasks_) {
    if (task == nullptr) continue;
    task->Schedule();
    FUZZ_CHECK(!task->IsScheduled());
    task->Cancel();
    task.reset();
  }
  for (const std::weak_ptr<const int>& task : task_lives_) FUZZ_CHECK(task.expired());
  // With its last watcher gone, each signal has its disposition back.
  for (size_t signal = 0; signal < LoopModel::kSignals; ++signal) {
    FUZZ_CHECK(SignalHandler(kSignalNumbers[signal]) == original_handlers_[signal]);
  }
  FUZZ_CHECK(!testing::UnitTest::GetInstance()->Failed());
}

// Every callback, after the model accepted it: checks the handles, then runs the callback's
// own operations.
void LoopModelSession::OnCallback() {
  ++callbacks_run_;
  CheckHandles();
  callback_actions_();
}

void LoopModelSession::CheckHandles() const {
  for (size_t slot = 0; slot < LoopModel::kTimerSlots; ++slot) {
    FUZZ_CHECK_EQ(timers_[slot] != nullptr, model_.TimerLive(slot));
    if (timers_[slot] != nullptr) {
      FUZZ_CHECK_EQ(timers_[slot]->IsActive(), model_.TimerArmed(slot));
    }
  }
  for (size_t slot = 0; slot < LoopModel::kWatcherSlots; ++slot) {
    FUZZ_CHECK_EQ(watchers_[slot] != nullptr, model_.WatcherLive(slot));
    if (watchers_[slot] != nullptr) {
      FUZZ_CHECK_EQ(watchers_[slot]->events(), model_.WatcherInterest(slot));
    }
  }
  for (size_t slot = 0; slot < LoopModel::kSignalWatcherSlots; ++slot) {
    FUZZ_CHECK_EQ(signal_watchers_[slot] != nullptr, model_.SignalWatcherLive(slot));
  }
  for (size_t slot = 0; slot < LoopModel::kTaskSlots; ++slot) {
    FUZZ_CHECK_EQ(tasks_[slot] != nullptr, model_.TaskLive(slot));
    if (tasks_[slot] != nullptr) {
      FUZZ_CHECK_EQ(tasks_[slot]->IsScheduled(), model_.TaskScheduled(slot));
    }
  }
}

LoopModel::FireBound LoopModelSession::Bound() const {
  return LoopModel::FireBound{clock_->Now(), cutoff_};
}

// A token for a posted or delayed task's callable: it expires when the loop destroys the
// callable, after running it or with the loop.
std::shared_ptr<const int> LoopModelSession::TaskLife() {
  auto life = std::make_shared<const int>(0);
  task_lives_.push_back(life);
  return life;
}

}  // namespace fuzz
