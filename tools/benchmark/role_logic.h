// The bookkeeping both implementations of each socket role share: what to send, what to
// check, what to time and count. The raw and the LocalSocket roles only move the bytes.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_ROLE_LOGIC_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_ROLE_LOGIC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/benchmark/child.h"
#include "tools/benchmark/metrics.h"
#include "tools/benchmark/socket_run.h"
#include "tools/benchmark/stream_pattern.h"

namespace bench {

// The kMessageSize-byte message number `index`: the index, then filler.
std::string IndexedMessage(uint64_t index);

// The stream client: the chunks of the pattern, in order, and the time from the first chunk
// to the server's ack.
class StreamSender {
 public:
  explicit StreamSender(const SocketRun& run);
  // The next chunk (empty once everything was handed out). The first call starts the clock.
  // It stays valid while a copy of pattern_owner() lives.
  std::string_view Next();
  // Shares ownership of the bytes Next() returns (for LocalSocket::WriteShared).
  const std::shared_ptr<const StreamPattern>& pattern_owner() const { return pattern_; }
  bool finished() const { return pos_ >= total_; }
  // Call when the server's ack arrived (it stops the clock): {"value": GB/s}.
  Metrics AckResult() const;

 private:
  std::shared_ptr<const StreamPattern> pattern_;
  uint64_t total_;
  size_t chunk_;
  uint64_t pos_ = 0;
  int64_t start_ns_ = 0;
};

// The stream server: checks the pattern and counts heap allocations per chunk in steady state
// (after the first eighth of the stream).
class StreamReceiver {
 public:
  explicit StreamReceiver(const SocketRun& run);
  // Checks and counts `data`; false if it is not the pattern at the current position.
  bool Consume(std::string_view data);
  bool done() const { return pos_ >= total_; }
  uint64_t position() const { return pos_; }
  // Once done: {"allocs_per_msg"}.
  Metrics Result() const;

 private:
  StreamPattern pattern_;
  uint64_t total_;
  size_t chunk_;
  uint64_t warm_bytes_;
  uint64_t pos_ = 0;
  uint64_t warm_pos_ = 0;
  uint64_t warm_allocations_ = 0;
  uint64_t end_allocations_ = 0;
};

// The pingpong client: the requests, the echo checks, the round-trip times and, in a traced
// run, the pauses for strace.
class RoundTrips {
 public:
  RoundTrips(const SocketRun& run, const ParentLink& link);
  // The request of the next round trip; its clock starts now.
  std::string_view NextRequest();
  // The complete echo of the current request: checks it and records its time; false if it
  // differs. In a traced run it reports "warm" after the warm-up and "done" after the rest,
  // each time waiting for the main process's go.
  bool OnEcho(std::string_view echo);
  bool done() const { return completed_ >= warmup_ + rtts_; }
  // Once done: {"value": mean µs, "p50_us", "p99_us"} over the timed round trips.
  Metrics Result() const;

 private:
  const ParentLink& link_;
  uint64_t warmup_;
  uint64_t rtts_;
  bool traced_;
  uint64_t completed_ = 0;
  std::string request_;
  int64_t start_ns_ = 0;
  std::vector<double> micros_;
};

// The pingpong server: counts echoed bytes and the heap allocations per round trip after the
// warm-up.
class EchoCounter {
 public:
  explicit EchoCounter(const SocketRun& run);
  // Counts `n` more echoed bytes (after they were written). True once, when the last round
  // trip's echo has been counted.
  bool Add(uint64_t n);
  // Once Add returned true: {"allocs_per_msg"}.
  Metrics Result() const;

 private:
  uint64_t warm_bytes_;
  uint64_t total_bytes_;
  uint64_t rtts_;
  uint64_t bytes_ = 0;
  uint64_t warm_allocations_ = 0;
  uint64_t end_allocations_ = 0;
};

// The connections server: RSS growth and heap allocations per connection, from listening to
// the last echo.
class ConnectionsServerStats {
 public:
  explicit ConnectionsServerStats(const SocketRun& run) : connections_(run.connections) {}
  // Call once listening: takes VmRSS (after PrepareRssBaseline) and the allocation count.
  void OnListening();
  // Call after each connection's echo was written. True once, after the last one.
  bool OnEchoed();
  // Once OnEchoed returned true: {"rss_per_conn_kib", "allocs_per_msg"}.
  Metrics Result() const { return result_; }

 private:
  uint64_t connections_;
  uint64_t echoed_ = 0;
  int64_t listen_rss_kib_ = 0;
  uint64_t listen_allocations_ = 0;
  Metrics result_;
};

// The connections client: checks each echo and times the first connect to the last echo.
class ConnectionsClientStats {
 public:
  explicit ConnectionsClientStats(const SocketRun& run) : connections_(run.connections) {}
  // Call right before the first connect.
  void Start();
  // Connection `index`'s complete echo: false if it is not that connection's message.
  bool OnEcho(uint64_t index, std::string_view echo);
  bool done() const { return echoed_ >= connections_; }
  // Once done: {"value": seconds}.
  Metrics Result() const;

 private:
  uint64_t connections_;
  uint64_t echoed_ = 0;
  int64_t start_ns_ = 0;
  int64_t end_ns_ = 0;
};

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_ROLE_LOGIC_H_
