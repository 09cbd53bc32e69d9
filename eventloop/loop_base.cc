#include "eventloop/loop_base.h"

#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "eventloop/reentrant_callback.h"
#include "eventloop/timer_slack.h"

namespace eventloop {
namespace internal {
namespace {

// Now + delay without overflowing; negative delays count as zero.
TimePoint DeadlineAfter(TimePoint now, Duration delay) {
  if (delay <= Duration::zero()) return now;
  if (delay >= TimePoint::max() - now) return TimePoint::max();
  return now + delay;
}

}  // namespace

// A Timer registered with a LoopBase: a handle owned by the caller or, for PostDelayed, a task
// owned by the loop (in LoopBase::delayed_tasks_, destroyed after it ran). Armed while in the
// loop's TimerHeap. Inert once its loop is gone (loop_ == nullptr).
class TimerImpl final : public Timer, public TimerHeapNode, public IntrusiveListNode<TimerImpl> {
 public:
  TimerImpl(LoopBase* loop, std::function<void()> on_fire, bool owned_by_loop)
      : loop_(loop), on_fire_(std::move(on_fire)), owned_by_loop_(owned_by_loop) {
    (owned_by_loop_ ? loop_->delayed_tasks_ : loop_->timers_).PushBack(this);
  }
  ~TimerImpl() override {  // Unchecked, as every destructor (see event_loop.h).
    if (loop_ != nullptr) Detach();
  }

  void Start(Duration delay) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::Start");
    period_ = Duration::zero();
    Arm(DeadlineAfter(loop_->Now(), delay));
  }
  void StartRepeating(Duration period) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::StartRepeating");
    if (period <= Duration::zero()) return;
    period_ = period;
    Arm(DeadlineAfter(loop_->Now(), period));
  }
  void Stop() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("Timer::Stop");
    if (in_heap()) loop_->armed_timers_.Remove(this);
  }
  bool IsActive() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("Timer::IsActive");
    return in_heap();
  }

  // Called by the loop on the due timer at the top of its heap. A repeating timer is re-armed
  // before its callback runs, at the first prev + k * period later than Now(); a one-shot one
  // leaves the heap. A loop-owned timer is destroyed before its task runs.
  void Fire() {
    if (period_ > Duration::zero()) {
      const TimePoint fired_deadline = deadline();
      const TimePoint now = loop_->Now();
      TimePoint next = DeadlineAfter(fired_deadline, period_);
      if (next <= now && next != TimePoint::max()) {
        const auto periods_behind = (now - fired_deadline) / period_ + 1;
        next = DeadlineAfter(fired_deadline, period_ * periods_behind);
      }
      Arm(next);
    } else {
      loop_->armed_timers_.Remove(this);
    }
    if (owned_by_loop_) {
      std::function<void()> task = on_fire_.Take();
      delete this;
      if (task) task();
      return;
    }
    on_fire_.Run();  // It may destroy this timer: touch nothing after.
  }

  // Leaves the loop (its heap and its list); afterwards the handle is inert.
  void Detach() {
    if (in_heap()) loop_->armed_timers_.Remove(this);
    IntrusiveList<TimerImpl>::Remove(this);
    loop_ = nullptr;
  }

 private:
  // (Re)arms at `deadline`, last among the timers armed at that deadline so far.
  void Arm(TimePoint deadline) {
    const uint64_t sequence = loop_->next_timer_sequence_++;
    if (in_heap()) {
      loop_->armed_timers_.Update(this, deadline, sequence);
    } else {
      loop_->armed_timers_.Push(this, deadline, sequence);
    }
  }

  LoopBase* loop_;
  ReentrantCallback<> on_fire_;
  Duration period_ = Duration::zero();  // Zero for a one-shot timer.
  const bool owned_by_loop_;
};

// A BeforeBlockingTask registered with a LoopBase: in the loop's list of handles while it
// lives, and in its schedule while scheduled. Inert once its loop is gone (loop_ == nullptr).
class BeforeBlockingTaskImpl final
    : public BeforeBlockingTask,
      public IntrusiveListNode<BeforeBlockingTaskImpl>,
      public IntrusiveListNode<BeforeBlockingTaskImpl, ScheduledTag> {
 public:
  using HandleList = IntrusiveList<BeforeBlockingTaskImpl>;
  using ScheduleList = IntrusiveList<BeforeBlockingTaskImpl, ScheduledTag>;

  BeforeBlockingTaskImpl(LoopBase* loop, std::function<void()> run)
      : loop_(loop), run_(std::move(run)) {
    loop_->before_blocking_tasks_.PushBack(this);
  }
  ~BeforeBlockingTaskImpl() override {  // Unchecked, as every destructor (see event_loop.h).
    if (loop_ != nullptr) Detach();
  }

  void Schedule() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("BeforeBlockingTask::Schedule");
    if (scheduled()) return;
    loop_->scheduled_before_blocking_.PushBack(this);
  }
  void Cancel() override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("BeforeBlockingTask::Cancel");
    if (scheduled()) ScheduleList::Remove(this);
  }
  bool IsScheduled() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("BeforeBlockingTask::IsScheduled");
    return scheduled();
  }

  // Called by the loop after it took this task out of its schedule.
  void Run() {
    run_.Run();  // It may destroy this task: touch nothing after.
  }

  // Leaves the loop (its schedule and its list); afterwards the handle is inert.
  void Detach() {
    if (scheduled()) ScheduleList::Remove(this);
    HandleList::Remove(this);
    loop_ = nullptr;
  }

 private:
  bool scheduled() const {
    return IntrusiveListNode<BeforeBlockingTaskImpl, ScheduledTag>::linked();
  }

  LoopBase* loop_;
  ReentrantCallback<> run_;
};

LoopBase::LoopBase(const Clock& clock) : clock_(clock) {}

LoopBase::~LoopBase() {
  // The destructor may run on another thread than the loop's (once that one is joined), and
  // so may the destructors of the tasks destroyed below, which may still use the loop.
  LOCALSOCKET_DETACH_FROM_THREAD(loop_thread_binding_);
  // Destroy queued work first, while every handle still works: a task may own handles. A
  // task's destructor may queue more work (Post, PostDelayed): destroy that too.
  for (;;) {
    PostedTaskQueue::Batch posted;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      posted = posted_tasks_.TakeAll();
      has_posted_tasks_.store(false, std::memory_order_release);
    }
    if (posted.empty() && delayed_tasks_.empty()) break;
    posted.Clear();
    std::vector<std::unique_ptr<TimerImpl>> delayed;
    while (!delayed_tasks_.empty()) {
      TimerImpl* timer = delayed_tasks_.front();
      timer->Detach();
      delayed.emplace_back(timer);
    }
  }
  while (!timers_.empty()) timers_.front()->Detach();
  while (!before_blocking_tasks_.empty()) before_blocking_tasks_.front()->Detach();
}

std::unique_ptr<Timer> LoopBase::CreateTimer(std::function<void()> on_fire) {
  DcheckOnLoopThread("EventLoop::CreateTimer");
  return std::make_unique<TimerImpl>(this, std::move(on_fire), /*owned_by_loop=*/false);
}

void LoopBase::Post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    was_empty = posted_tasks_.empty();
    posted_tasks_.Push(std::move(task));
    has_posted_tasks_.store(true, std::memory_order_release);
  }
  // A non-empty queue already has a wake-up on its way, or the loop sees the queue before it
  // blocks (BlockingTimeout()).
  if (was_empty) WakeUp();
}

void LoopBase::PostDelayed(Duration delay, std::function<void()> task) {
  DcheckOnLoopThread("EventLoop::PostDelayed");
  // Owned by delayed_tasks_ until it fires or the loop goes.
  auto* timer = new TimerImpl(this, std::move(task), /*owned_by_loop=*/true);
  timer->Start(delay);
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
  const TimerHeapNode* top = armed_timers_.top();
  if (top == nullptr) return std::nullopt;
  return top->deadline();
}

bool LoopBase::HasPendingTasks() const {
  return !scheduled_before_blocking_.empty() || has_posted_tasks_.load(std::memory_order_acquire);
}

bool LoopBase::RunIteration(bool may_block, std::optional<TimerKey> timer_cutoff) {
  std::optional<TimePoint> wake_up;
  const bool block = may_block && ShouldBlock(&wake_up);
  WaitForIo(block, wake_up);
  bool ran = false;
  if (!armed_timers_.empty()) {  // Else spare the clock read.
    ran = FireDueTimers(timer_cutoff ? *timer_cutoff : TimerKey{Now(), next_timer_sequence_});
  }
  ran |= RunPostedTasks();
  ran |= RunBeforeBlockingTasks();
  return ran;
}

bool LoopBase::FireDueTimers(TimerKey cutoff) {
  // Re-read the top after every callback: it may have stopped, started or destroyed timers.
  // A timer armed during this step has a sequence >= cutoff.second and a deadline >= the
  // Now() that cutoff.first was read at (the clock never goes back), so it sorts after every
  // timer that may still fire here: the first top that may not fire ends the step.
  bool fired = false;
  for (;;) {
    TimerHeapNode* top = armed_timers_.top();
    if (top == nullptr || top->deadline() > cutoff.first || top->sequence() >= cutoff.second) {
      return fired;
    }
    fired = true;
    static_cast<TimerImpl*>(top)->Fire();
  }
}

bool LoopBase::RunPostedTasks() {
  if (!has_posted_tasks_.load(std::memory_order_acquire)) return false;
  // Tasks posted while this batch runs go to the queue and wait for the next iteration.
  PostedTaskQueue::Batch batch;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    batch = posted_tasks_.TakeAll();
    has_posted_tasks_.store(false, std::memory_order_release);
  }
  batch.RunAll();
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_tasks_.Recycle(&batch);
  }
  return true;  // `batch` frees the chunks the queue did not take, outside the lock.
}

bool LoopBase::RunBeforeBlockingTasks() {
  // The schedule is in Schedule() order. This step runs the tasks scheduled before it, moved
  // to `due`, where they stay scheduled (Cancel and destruction unlink them from there); tasks
  // scheduled during this step go to the loop's schedule and wait for the next iteration.
  BeforeBlockingTaskImpl::ScheduleList due;
  due.Splice(scheduled_before_blocking_);
  bool ran = false;
  while (!due.empty()) {
    BeforeBlockingTaskImpl* task = due.front();
    BeforeBlockingTaskImpl::ScheduleList::Remove(task);
    ran = true;
    task->Run();
  }
  return ran;
}

bool LoopBase::ShouldBlock(std::optional<TimePoint>* wake_up) const {
  if (HasPendingTasks()) return false;
  const std::optional<TimePoint> next = NextTimerDeadline();
  if (!next) return true;
  if (*next <= Now()) return false;
  if (SleepsTowardsTimers()) *wake_up = TimerWakeUpTime(*next);
  return true;
}

}  // namespace internal
}  // namespace eventloop
