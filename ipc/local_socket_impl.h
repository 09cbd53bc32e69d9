// Internal: LocalSocket's implementation, behind the public class (which holds only the API
// and the signals). It owns the parts, each with one job, and orders their outcomes into the
// socket's signal sequences:
//   - the connection state machine (socket_state_machines.h), the one writer of state();
//   - Connector (socket_connector.h): resolving, connect(), backoff retry, connect timeout;
//   - StreamChannel (stream_channel.h): the fd, the buffers, reading, flushing, EOF, errors;
//   - SignalSequencer (signal_sequencer.h): the re-entrancy rules of the emissions;
//   - SocketWaits (socket_waits.h): the blocking waits, which drive the parts without the loop.
//
// Threads and lifetime: loop-thread only; owned by its LocalSocket. Any emission may destroy
// the socket (and this object): code checks a SignalSequencer::Guard after each one.
#ifndef LOCALSOCKET_IPC_LOCAL_SOCKET_IMPL_H_
#define LOCALSOCKET_IPC_LOCAL_SOCKET_IMPL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/thread_binding.h"
#include "ipc/flush_batch.h"
#include "ipc/life_flag.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/shared_name.h"
#include "ipc/signal_sequencer.h"
#include "ipc/socket_connector.h"
#include "ipc/socket_errors.h"
#include "ipc/socket_state_machines.h"
#include "ipc/stream_channel.h"

namespace ipc {

class LocalSocket::Impl final : public internal::ConnectorDelegate, private internal::FlushRequest {
 public:
  using State = LocalSocket::State;
  using Error = LocalSocket::Error;
  using ConnectionEvent = internal::ConnectionEvent;
  using Guard = internal::SignalSequencer::Guard;
  using ApiCall = internal::ApiCall;

  Impl(LocalSocket& owner, eventloop::EventLoop& loop, OsCalls& os);
  ~Impl() override;

  // The public API (local_socket_impl.cc: connecting, adoption, teardown; local_socket_io.cc:
  // reading and writing).
  void ConnectToServer(uint32_t open_mode);
  bool SetSocketDescriptor(int fd, State state, uint32_t open_mode);
  void DisconnectFromServer();
  void ShutdownWrite();
  void Abort();
  void Close();
  int64_t Write(std::string_view data);
  int64_t WriteShared(std::string_view data, const std::shared_ptr<const void>& keep_alive);
  int64_t WriteWithFds(std::string_view data, const std::vector<int>& fds);
  std::vector<UniqueFd> TakeReceivedFds() { return channel_.TakeReceivedFds(); }
  int64_t Read(char* data, int64_t max_size);
  std::string Read(int64_t max_size);
  std::string ReadAll();
  std::string ReadLine(int64_t max_size);
  std::string Peek(int64_t max_size) const;
  int64_t Skip(int64_t max_size);
  std::string_view PeekBuffered() const;
  bool Flush();
  void SetReadBufferSize(int64_t size);

  State state() const { return connection_.state(); }
  bool IsValid() const { return state() == State::kConnected || state() == State::kClosing; }
  bool IsOpen() const { return open_mode_ != kNotOpen; }
  // True once the loop is gone: the socket is inert (its methods do nothing).
  bool Inert() const { return loop_link_.LoopGone(); }
  void SetError(Error error, std::string error_string);
  // error_ = kNone and an empty error string.
  void ClearError();
  // The error's text (empty for none). A reference to a text that was set stays valid, and
  // follows later changes, as long as the socket lives.
  const std::string& error_string() const;
  // Server side: see LocalSocket::AdoptAccepted.
  void AdoptAccepted(int fd, const internal::SharedName& server_name,
                     const internal::SharedName& full_name, uint32_t options);

  // For SocketWaits: one step of the loop's work, done by a wait.
  // Sends what the kernel takes now; emits bytes_written, and on failure runs the failure
  // sequence. Returns the bytes sent, or -1 if the connection failed.
  int64_t FlushWriteBuffer(ApiCall call);
  // Reads what the kernel has and emits as the loop would. Returns the bytes added.
  int64_t ReadAndAnnounce();
  // Ends the connection after a failure: error_occurred (unless `report` is false: the error
  // was reported already), then the disconnect sequence. The write buffer is dropped.
  void ConnectionLost(ConnectionEvent event, Error error, const std::string& error_string,
                      bool report = true);

  // The system calls the socket makes (the channel's).
  OsCalls& os() const { return channel_.os(); }

  // Settings and per-connection data, also read by the public accessors. The small fields are
  // grouped to keep the object small (one is made per connection).
  LocalSocket& owner_;
  eventloop::EventLoop& loop_;
  const internal::LoopLink loop_link_;
  internal::SignalSequencer sequencer_;             // Also the socket's life flag.
  std::unique_ptr<internal::Connector> connector_;  // Lives from ConnectToServer to connected.
  internal::StreamChannel channel_;

  internal::SharedName server_name_;
  internal::SharedName full_server_name_;
  // Made by the first error that has a text (most connections never have one); cleared, not
  // freed, afterwards.
  std::unique_ptr<std::string> error_string_;
  uint64_t connection_id_ = 0;  // Bumped by each ConnectToServer and SetSocketDescriptor.
  internal::ConnectionMachine connection_;
  Error error_ = Error::kNone;
  uint32_t options_ = kNoOptions;
  int connect_timeout_ms_ = 30000;
  uint32_t open_mode_ = kNotOpen;
  uint32_t requested_open_mode_ = kNotOpen;  // Applied when a pending connect completes.
  // The connection failed (ConnectionLost): its write buffer is dropped and Write refuses more,
  // also from the slots of the failure sequence. Cleared for each new connection.
  bool connection_lost_ = false;
  // error_occurred(kPeerClosed) was emitted for this connection. Cleared for each new one.
  bool peer_closed_reported_ = false;
  // Debug builds: the thread the socket is used on (its loop's, or that of its first wait).
  LOCALSOCKET_THREAD_BINDING(thread_binding_, "LocalSocket");

 private:
  // The one writer of the connection state: feeds `event` to the connection machine and
  // emits state_changed on a real change. Returns the cell.
  internal::Cell<State> Feed(ConnectionEvent event);

  // ConnectorDelegate.
  void OnConnected() override;
  void OnConnectFailed(const internal::ConnectFailure& failure) override;

  // Closes the fd and runs state_changed(kUnconnected) (fed as `event`), read_channel_finished
  // and disconnected.
  void FinishDisconnect(ConnectionEvent event);
  void CancelConnecting(ConnectionEvent event);
  // Takes `fd`, a connected socket the caller vouches for, as the new connection, in kConnected
  // with the given mode and names. Emits nothing, as Qt.
  void Adopt(int fd, uint32_t open_mode, internal::SharedName server_name,
             internal::SharedName full_name, uint32_t options);
  // Stops watching and flushing, abandons a pending connect, closes the fd.
  void CloseDescriptor();
  void CloseDevice();
  void ResetConnectionData();
  void ClearNames();
  void EmitError(Error error, std::string error_string);

  void OnFdReady(uint32_t ready);
  // Emits ready_read for what `read` added, then runs the end-of-connection sequence if the
  // read saw one. Returns false if the socket was destroyed or a slot started a new operation.
  bool HandleReadOutcome(const internal::StreamChannel::ReadOutcome& read);
  // The peer shut down its sending side. With nothing to write the connection ends at once;
  // otherwise the socket stops reading and keeps sending from kClosing.
  void OnPeerEof();
  // A send failed with `err`: when the peer is gone, delivers what it sent before it went;
  // then ends the connection.
  void OnSendFailed(int err, ApiCall call);
  // Reads the kernel's receive queue to its end and emits ready_read for it (unless inside a
  // ready_read slot). False if the socket was destroyed or a new operation started. Sets
  // `*fds_truncated` when fds that arrived were lost (MSG_CTRUNC).
  bool DeliverQueuedBytes(bool* fds_truncated);
  void OnWriteBufferDrained();
  // What a disconnect or a half-close does next: with nothing left to send, finishes at once
  // (OnWriteBufferDrained); otherwise schedules the flush that will.
  void DrainWriteBuffer();
  // Flushes before the loop next blocks; while the kernel is full, writability flushes. Defined
  // here to be inlined: every Write calls it.
  void ScheduleFlush() {
    if (channel_.WaitsForWritability() || Inert()) return;
    FlushRequest::ScheduleFlush(loop_);  // In the loop's one flush task (ipc/flush_batch.h).
  }
  // The before-blocking flush.
  void RunFlush() override { FlushWriteBuffer(ApiCall::kSocketWrite); }
  void AfterRead();
  void UpdateInterest();
  // True if Write may append; else sets kOperation for `call`.
  bool Writable(ApiCall call);
  // True if the socket is open for reading; else sets kOperation for `call`.
  bool Readable(ApiCall call);
  // Readable(call), and `max_size` is not negative (else kOperation, "negative size").
  bool ReadableFor(ApiCall call, int64_t max_size);
  bool DiscardsInput() const { return (open_mode_ & kReadOnly) == 0; }

  std::unique_ptr<eventloop::FdWatcher> watcher_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SOCKET_IMPL_H_
