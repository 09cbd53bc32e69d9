#include "ipc/signal_sequencer.h"

namespace ipc {
namespace internal {

void SignalSequencer::EmitReadyRead(Signal<>& ready_read) {
  if (ready_read_depth_ > 0) {
    ready_read_pending_ = true;  // One more emission after the outermost slot returns.
    return;
  }
  const Guard guard = Take();
  do {
    ready_read_pending_ = false;
    ++ready_read_depth_;
    ready_read.Emit();
    if (!guard.Alive()) return;
    --ready_read_depth_;
  } while (ready_read_pending_);  // BeginOperation() drops stale requests.
}

void SignalSequencer::EmitBytesWritten(Signal<int64_t>& bytes_written, int64_t count) {
  if (bytes_written_depth_ > 0) {
    bytes_written_pending_ += count;  // Reported right after the outermost slot returns.
    return;
  }
  if (bytes_written.slot_count() == 0) return;  // Nobody listens (the common case).
  const Guard guard = Take();
  while (count > 0) {
    ++bytes_written_depth_;
    bytes_written.Emit(count);
    if (!guard.Alive()) return;
    --bytes_written_depth_;
    count = bytes_written_pending_;  // BeginOperation() drops stale counts.
    bytes_written_pending_ = 0;
  }
}

bool SignalSequencer::AnnounceClose(Signal<>& about_to_close) {
  if (announcing_close_) return true;  // Abort()/Close() from an about_to_close slot.
  const Guard guard = Take();
  announcing_close_ = true;
  about_to_close.Emit();
  if (!guard.Alive()) return false;
  announcing_close_ = false;
  return guard.Continues();
}

void SignalSequencer::EmitDisconnectedOnce(Signal<>& disconnected) {
  if (!disconnected_owed_) return;
  disconnected_owed_ = false;
  disconnected.Emit();
}

}  // namespace internal
}  // namespace ipc
