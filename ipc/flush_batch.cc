#include "ipc/flush_batch.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "ipc/thread_local_instance.h"

namespace ipc {
namespace internal {

using RequestList = eventloop::internal::IntrusiveList<FlushRequest>;

// The requests of one loop and the before-blocking task that runs them.
class FlushBatch {
 public:
  explicit FlushBatch(eventloop::EventLoop& loop)
      : loop_(&loop),
        loop_token_(loop.lifetime_token()),
        task_(loop.CreateBeforeBlockingTask([this] { Run(); })) {}
  FlushBatch(const FlushBatch&) = delete;
  FlushBatch& operator=(const FlushBatch&) = delete;

  // True while the batch's loop lives.
  bool LoopAlive() const { return !loop_token_.expired(); }
  // True if this is the batch of `loop` (which is alive).
  bool Serves(const eventloop::EventLoop& loop) const { return loop_ == &loop && LoopAlive(); }

  void Add(FlushRequest* request) {
    if (request->linked()) return;  // Pending, here or in the running step.
    pending_.PushBack(request);
    task_->Schedule();
  }

 private:
  // Runs the requests linked before this run began; later ones join pending_ and the next run.
  void Run() {
    RequestList running;
    running.Splice(pending_);
    while (!running.empty()) {
      FlushRequest* request = running.front();
      RequestList::Remove(request);
      request->RunFlush();  // May destroy `request`, or unlink others from `running`.
    }
  }

  const eventloop::EventLoop* const loop_;
  const std::weak_ptr<const void> loop_token_;
  RequestList pending_;
  const std::unique_ptr<eventloop::BeforeBlockingTask> task_;
};

namespace {

// The calling thread's batches, one per loop.
struct ThreadBatches {
  std::vector<std::unique_ptr<FlushBatch>> batches;
  FlushBatch* last = nullptr;  // The batch found last: most threads run one loop.

  // `loop`'s batch, made at its first request. Drops the batches of destroyed loops (with
  // their pending requests, which can no longer run) before making one.
  FlushBatch& For(eventloop::EventLoop& loop) {
    if (last != nullptr && last->Serves(loop)) return *last;
    for (const std::unique_ptr<FlushBatch>& batch : batches) {
      if (batch->Serves(loop)) return *(last = batch.get());
    }
    last = nullptr;
    batches.erase(std::remove_if(
                      batches.begin(), batches.end(),
                      [](const std::unique_ptr<FlushBatch>& batch) { return !batch->LoopAlive(); }),
                  batches.end());
    batches.push_back(std::make_unique<FlushBatch>(loop));
    return *(last = batches.back().get());
  }
};

}  // namespace

void FlushRequest::ScheduleFlush(eventloop::EventLoop& loop) {
  if (ThreadBatches* batches = ThreadLocalInstance<ThreadBatches>::Get()) {
    batches->For(loop).Add(this);
  }
}

void FlushRequest::CancelFlush() {
  if (linked()) RequestList::Remove(this);
}

}  // namespace internal
}  // namespace ipc
