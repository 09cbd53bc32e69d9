#include "eventloop/loop_base.h"

#include <limits>
#include <utility>
#include <vector>

namespace eventloop {
namespace internal {
namespace {

// Now + delay without overflowing; negative delays count as zero.
TimePoint DeadlineAfter(TimePoint now, Duration delay) {
  if (delay <= Duration::zero()) return now;
  if (delay >= TimePoint::max() - now) return TimePoint::max();
  return now + delay;
}

// Runs `callback`. Taken by value on purpose: the copy keeps the callback alive while it runs,
// even if the callback destroys its owner (which holds the original).
// NOLINTNEXTLINE(performance-unnecessary-value-param): the copy keeps the callback alive
void RunCallback(std::shared_ptr<std::function<void()>> callback) {
  if (*callback) (*callback)();
}

}  // namespace

// A Timer registered with a LoopBase. Inert once its loop is gone (loop_ == nullptr).
class TimerImpl final : public Timer {
 public:
  TimerImpl(LoopBase* loop, std::function<void()> on_fire)
      : loop_(loop), on_fire_(std::make_shared<std::function<void()>>(std::move(on_fire))) {
    loop_->timers_.insert(this);
  }
  ~TimerImpl() override {  // Unchecked, as every destructor (see event_loop.h).
    if (loop_ == nullptr) return;
    Disarm();
    loop_->timers_.erase(this);
  }

  void Start(Duration delay) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::Start");
    Disarm();
    period_ = Duration::zero();
    key_ = loop_->ArmTimer(this, DeadlineAfter(loop_->Now(), delay));
  }
  void StartRepeating(Duration period) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::StartRepeating");
    if (period <= Duration::zero()) return;
    Disarm();
    period_ = period;
    key_ = loop_->ArmTimer(this, DeadlineAfter(loop_->Now(), period));
  }
  void Stop() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::Stop");
    Disarm();
  }
  bool IsActive() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("Timer::IsActive");
    return key_.has_value();
  }

  // Called by the loop after it removed this timer from its queue. A repeating timer is
  // re-armed before its callback runs, at the first prev + k * period later than Now().
  void Fire() {
    const TimePoint fired_deadline = key_->first;
    key_.reset();
    if (period_ > Duration::zero()) {
      const TimePoint now = loop_->Now();
      TimePoint next = DeadlineAfter(fired_deadline, period_);
      if (next <= now && next != TimePoint::max()) {
        const auto periods_behind = (now - fired_deadline) / period_ + 1;
        next = DeadlineAfter(fired_deadline, period_ * periods_behind);
      }
      key_ = loop_->ArmTimer(this, next);
    }
    RunCallback(on_fire_);  // `this` may be destroyed by the callback: touch nothing after.
  }

  void Detach() {
    loop_ = nullptr;
    key_.reset();
  }

 private:
  // Takes the timer out of its loop's queue. Safe when not armed.
  void Disarm() {
    if (!key_) return;
    loop_->DisarmTimer(*key_);
    key_.reset();
  }

  LoopBase* loop_;
  const std::shared_ptr<std::function<void()>> on_fire_;
  Duration period_ = Duration::zero();     // Zero for a one-shot timer.
  std::optional<LoopBase::TimerKey> key_;  // Set while armed.
};

// A BeforeBlockingTask registered with a LoopBase. Inert once its loop is gone.
class BeforeBlockingTaskImpl final : public BeforeBlockingTask {
 public:
  BeforeBlockingTaskImpl(LoopBase* loop, std::function<void()> run)
      : loop_(loop), run_(std::make_shared<std::function<void()>>(std::move(run))) {
    loop_->before_blocking_tasks_.insert(this);
  }
  ~BeforeBlockingTaskImpl() override {  // Unchecked, as every destructor (see event_loop.h).
    if (loop_ == nullptr) return;
    Unschedule();
    loop_->before_blocking_tasks_.erase(this);
  }

  void Schedule() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("BeforeBlockingTask::Schedule");
    if (sequence_) return;
    sequence_ = loop_->ScheduleBeforeBlocking(this);
  }
  void Cancel() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("BeforeBlockingTask::Cancel");
    Unschedule();
  }
  bool IsScheduled() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("BeforeBlockingTask::IsScheduled");
    return sequence_.has_value();
  }

  // Called by the loop after it removed this task from its schedule.
  void Run() {
    sequence_.reset();
    RunCallback(run_);  // `this` may be destroyed by the callback: touch nothing after.
  }

  void Detach() {
    loop_ = nullptr;
    sequence_.reset();
  }

 private:
  // Withdraws the pending run from its loop's schedule. Safe when none is pending.
  void Unschedule() {
    if (!sequence_) return;
    loop_->UnscheduleBeforeBlocking(*sequence_);
    sequence_.reset();
  }

  LoopBase* loop_;
  const std::shared_ptr<std::function<void()>> run_;
  std::optional<uint64_t> sequence_;  // Set while scheduled.
};

LoopBase::LoopBase(const Clock& clock) : clock_(clock) {}

LoopBase::~LoopBase() {
  // The destructor may run on another thread than the loop's (once that one is joined), and
  // so may the destructors of the tasks destroyed below, which may still use the loop.
  LOCALSOCKET_DETACH_FROM_THREAD(loop_thread_binding_);
  // Destroy queued work first, while every handle still works: a task may own handles. A
  // task's destructor may queue more work (Post, PostDelayed): destroy that too.
  for (;;) {
    std::deque<std::function<void()>> posted;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      posted.swap(posted_tasks_);
    }
    std::map<uint64_t, std::unique_ptr<Timer>> delayed;
    delayed.swap(delayed_tasks_);
    if (posted.empty() && delayed.empty()) break;
    posted.clear();
    delayed.clear();
  }
  for (TimerImpl* timer : std::vector<TimerImpl*>(timers_.begin(), timers_.end())) {
    timer->Detach();
  }
  for (BeforeBlockingTaskImpl* task : std::vector<BeforeBlockingTaskImpl*>(
           before_blocking_tasks_.begin(), before_blocking_tasks_.end())) {
    task->Detach();
  }
}

std::unique_ptr<Timer> LoopBase::CreateTimer(std::function<void()> on_fire) {
  DcheckOnLoopThread("EventLoop::CreateTimer");
  return std::make_unique<TimerImpl>(this, std::move(on_fire));
}

void LoopBase::Post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    was_empty = posted_tasks_.empty();
    posted_tasks_.push_back(std::move(task));
  }
  // A non-empty queue already has a wake-up on its way, or the loop sees the queue before it
  // blocks (BlockingTimeout()).
  if (was_empty) WakeUp();
}

void LoopBase::PostDelayed(Duration delay, std::function<void()> task) {
  DcheckOnLoopThread("EventLoop::PostDelayed");
  const uint64_t id = next_delayed_task_id_++;
  auto timer = CreateTimer([this, id, task = std::move(task)]() mutable {
    std::function<void()> run = std::move(task);
    delayed_tasks_.erase(id);  // Destroys the timer; this lambda lives on until it returns.
    if (run) run();
  });
  timer->Start(delay);
  delayed_tasks_.emplace(id, std::move(timer));
}

std::unique_ptr<BeforeBlockingTask> LoopBase::CreateBeforeBlockingTask(std::function<void()> run) {
  DcheckOnLoopThread("EventLoop::CreateBeforeBlockingTask");
  return std::make_unique<BeforeBlockingTaskImpl>(this, std::move(run));
}

void LoopBase::Run() {
  BindLoopToCurrentThread("EventLoop::Run");
  if (running_) return;
  if (TakeQuitRequest()) return;
  running_ = true;
  do {
    RunIteration(/*may_block=*/true, std::nullopt);
  } while (!TakeQuitRequest());
  running_ = false;
}

void LoopBase::RunUntilIdle() {
  BindLoopToCurrentThread("EventLoop::RunUntilIdle");
  if (running_) return;
  running_ = true;
  RunUntilIdleIterations(std::numeric_limits<uint64_t>::max());
  running_ = false;
}

void LoopBase::Quit() {
  quit_requested_.store(true);
  WakeUp();
}

bool LoopBase::RunUntilIdleIterations(uint64_t max_iterations) {
  const TimerKey cutoff{Now(), next_timer_sequence_};
  for (uint64_t i = 0; i < max_iterations; ++i) {
    if (!RunIteration(/*may_block=*/false, cutoff)) return true;
  }
  return false;
}

std::optional<TimePoint> LoopBase::NextTimerDeadline() const {
  if (armed_timers_.empty()) return std::nullopt;
  return armed_timers_.begin()->first.first;
}

bool LoopBase::HasPendingTasks() const {
  if (!scheduled_before_blocking_.empty()) return true;
  std::lock_guard<std::mutex> lock(posted_mutex_);
  return !posted_tasks_.empty();
}

bool LoopBase::RunIteration(bool may_block, std::optional<TimerKey> timer_cutoff) {
  std::optional<TimePoint> wake_up;
  const bool block = may_block && ShouldBlock(&wake_up);
  WaitForIo(block, wake_up);
  const TimerKey cutoff = timer_cutoff ? *timer_cutoff : TimerKey{Now(), next_timer_sequence_};
  bool ran = FireDueTimers(cutoff);
  ran |= RunPostedTasks();
  ran |= RunBeforeBlockingTasks();
  return ran;
}

bool LoopBase::FireDueTimers(TimerKey cutoff) {
  bool fired = false;
  for (;;) {
    // Re-query after every callback: it may have stopped, started or destroyed timers.
    // Timers armed during this step have a sequence >= cutoff.second and are skipped.
    auto it = armed_timers_.begin();
    while (it != armed_timers_.end() && it->first.first <= cutoff.first &&
           it->first.second >= cutoff.second) {
      ++it;
    }
    if (it == armed_timers_.end() || it->first.first > cutoff.first) return fired;
    TimerImpl* timer = it->second;
    armed_timers_.erase(it);
    fired = true;
    timer->Fire();
  }
}

bool LoopBase::RunPostedTasks() {
  // The batch deque is a member, so an iteration allocates nothing when there is no task.
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    if (posted_tasks_.empty()) return false;
    running_tasks_.swap(posted_tasks_);
  }
  for (std::function<void()>& task : running_tasks_) {
    if (task) task();
  }
  running_tasks_.clear();
  return true;
}

bool LoopBase::RunBeforeBlockingTasks() {
  const uint64_t cutoff = next_before_blocking_sequence_;
  bool ran = false;
  for (;;) {
    auto it = scheduled_before_blocking_.begin();
    if (it == scheduled_before_blocking_.end() || it->first >= cutoff) return ran;
    BeforeBlockingTaskImpl* task = it->second;
    scheduled_before_blocking_.erase(it);
    ran = true;
    task->Run();
  }
}

bool LoopBase::ShouldBlock(std::optional<TimePoint>* wake_up) const {
  if (HasPendingTasks()) return false;
  const std::optional<TimePoint> next = NextTimerDeadline();
  if (!next) return true;
  if (*next <= Now()) return false;
  if (SleepsTowardsTimers()) *wake_up = next;
  return true;
}

LoopBase::TimerKey LoopBase::ArmTimer(TimerImpl* timer, TimePoint deadline) {
  const TimerKey key{deadline, next_timer_sequence_++};
  armed_timers_.emplace(key, timer);
  return key;
}

void LoopBase::DisarmTimer(const TimerKey& key) { armed_timers_.erase(key); }

uint64_t LoopBase::ScheduleBeforeBlocking(BeforeBlockingTaskImpl* task) {
  const uint64_t sequence = next_before_blocking_sequence_++;
  scheduled_before_blocking_.emplace(sequence, task);
  return sequence;
}

void LoopBase::UnscheduleBeforeBlocking(uint64_t sequence) {
  scheduled_before_blocking_.erase(sequence);
}

}  // namespace internal
}  // namespace eventloop
