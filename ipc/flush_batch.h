// Internal: the write flushes of a loop's sockets in one before-blocking task per loop (and
// thread), so that a socket that writes costs a list node instead of a task of its own.
//
// A FlushRequest asks for one run of its RunFlush() before its loop next blocks: the batch's
// task runs the requests linked before that task's run began, in the order they were first
// scheduled, each unlinked just before it runs. Scheduling an already pending request changes
// nothing. A request scheduled from inside a batch's run (a slot of a flush that writes to
// another socket) runs in the next iteration, as a task scheduled from inside step 4 does.
// Cancel and the destructor withdraw a pending request, also from inside a batch's run.
//
// Threads and lifetime: loop-thread only. The batches of a thread live until the thread exits
// (one per loop that ever flushed on it; those of destroyed loops are dropped when the next
// batch is looked up). A socket that writes before its loop first runs, on a thread other
// than the loop's, puts its loop's batch in that thread's set: that thread must then not exit
// while the loop runs (as for every object of the loop it made). A request scheduled during
// the thread's exit, after its batches are gone, is not run: its data waits for Flush() or a
// wait.
#ifndef LOCALSOCKET_IPC_FLUSH_BATCH_H_
#define LOCALSOCKET_IPC_FLUSH_BATCH_H_

#include "eventloop/event_loop.h"
#include "eventloop/intrusive_list.h"

namespace ipc {
namespace internal {

class FlushBatch;

// One socket's place in its loop's batch (see the file comment). Derive from it and implement
// RunFlush(); neither copyable nor movable.
class FlushRequest : public eventloop::internal::IntrusiveListNode<FlushRequest> {
 public:
  FlushRequest() = default;
  FlushRequest(const FlushRequest&) = delete;
  FlushRequest& operator=(const FlushRequest&) = delete;

  // Asks `loop`'s batch for one RunFlush() before the loop next blocks.
  void ScheduleFlush(eventloop::EventLoop& loop);
  // Withdraws a pending request. Safe when none is pending.
  void CancelFlush();
  // True while a request is pending: scheduled and not yet run or withdrawn.
  bool flush_scheduled() const { return linked(); }

 protected:
  ~FlushRequest() { CancelFlush(); }

 private:
  friend class FlushBatch;
  // The flush. It may destroy this request, schedule or cancel any request.
  virtual void RunFlush() = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_FLUSH_BATCH_H_
