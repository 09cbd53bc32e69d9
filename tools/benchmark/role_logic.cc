// The shared bookkeeping of the socket roles (see role_logic.h).
#include "tools/benchmark/role_logic.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "tools/benchmark/alloc_counter.h"
#include "tools/benchmark/process_info.h"
#include "tools/benchmark/stats.h"

namespace bench {
namespace {

// Allocations per message over an interval; 0 messages count as 1.
double PerMessage(uint64_t allocations, uint64_t messages) {
  return static_cast<double>(allocations) / static_cast<double>(std::max<uint64_t>(messages, 1));
}

}  // namespace

std::string IndexedMessage(uint64_t index) {
  std::string message(kMessageSize, '.');
  memcpy(message.data(), &index, sizeof(index));
  return message;
}

StreamSender::StreamSender(const SocketRun& run)
    : pattern_(std::make_shared<const StreamPattern>(run.chunk)),
      total_(run.stream_bytes),
      chunk_(run.chunk) {}

std::string_view StreamSender::Next() {
  if (pos_ == 0) start_ns_ = WallNanoseconds();
  const std::string_view chunk =
      pattern_->Slice(pos_, static_cast<size_t>(std::min<uint64_t>(chunk_, total_ - pos_)));
  pos_ += chunk.size();
  return chunk;
}

Metrics StreamSender::AckResult() const {
  const auto seconds = static_cast<double>(WallNanoseconds() - start_ns_) / 1e9;
  return {{"value", static_cast<double>(total_) / seconds / 1e9}};
}

StreamReceiver::StreamReceiver(const SocketRun& run)
    : pattern_(run.chunk),
      total_(run.stream_bytes),
      chunk_(run.chunk),
      warm_bytes_(std::max<uint64_t>(run.stream_bytes / 8, 1)) {}

bool StreamReceiver::Consume(std::string_view data) {
  if (data.size() > total_ - pos_ || !pattern_.Matches(pos_, data)) return false;
  const uint64_t before = pos_;
  pos_ += data.size();
  if (before < warm_bytes_ && pos_ >= warm_bytes_) {
    warm_pos_ = pos_;
    warm_allocations_ = AllocationCount();
  }
  if (done()) end_allocations_ = AllocationCount();
  return true;
}

Metrics StreamReceiver::Result() const {
  return {{"allocs_per_msg",
           PerMessage(end_allocations_ - warm_allocations_, (total_ - warm_pos_) / chunk_)}};
}

RoundTrips::RoundTrips(const SocketRun& run, const ParentLink& link)
    : link_(link), warmup_(run.warmup_rtts), rtts_(run.rtts), traced_(run.traced) {
  micros_.reserve(rtts_);
}

std::string_view RoundTrips::NextRequest() {
  request_ = IndexedMessage(completed_);
  start_ns_ = WallNanoseconds();
  return request_;
}

bool RoundTrips::OnEcho(std::string_view echo) {
  const int64_t end_ns = WallNanoseconds();
  if (echo != request_) return false;
  if (completed_ >= warmup_) micros_.push_back(static_cast<double>(end_ns - start_ns_) / 1e3);
  ++completed_;
  if (traced_ && (completed_ == warmup_ || done())) {
    link_.Send(done() ? "done" : "warm");
    if (!link_.WaitForCommand()) return false;
  }
  return true;
}

Metrics RoundTrips::Result() const {
  return {{"value", Mean(micros_).value_or(0)},
          {"p50_us", Percentile(micros_, 50).value_or(0)},
          {"p99_us", Percentile(micros_, 99).value_or(0)}};
}

EchoCounter::EchoCounter(const SocketRun& run)
    : warm_bytes_(run.warmup_rtts * kMessageSize),
      total_bytes_((run.warmup_rtts + run.rtts) * kMessageSize),
      rtts_(run.rtts) {}

bool EchoCounter::Add(uint64_t n) {
  const uint64_t before = bytes_;
  bytes_ += n;
  if (before < warm_bytes_ && bytes_ >= warm_bytes_) warm_allocations_ = AllocationCount();
  if (before >= total_bytes_ || bytes_ < total_bytes_) return false;
  end_allocations_ = AllocationCount();
  return true;
}

Metrics EchoCounter::Result() const {
  return {{"allocs_per_msg", PerMessage(end_allocations_ - warm_allocations_, rtts_)}};
}

void ConnectionsServerStats::OnListening() {
  PrepareRssBaseline();
  listen_rss_kib_ = ProcStatusField(0, "VmRSS").value_or(0);
  listen_allocations_ = AllocationCount();
}

bool ConnectionsServerStats::OnEchoed() {
  if (++echoed_ != connections_) return false;
  const uint64_t allocations = AllocationCount() - listen_allocations_;
  const int64_t peak_kib = ProcStatusField(0, "VmHWM").value_or(0);
  result_ = {{"rss_per_conn_kib",
              static_cast<double>(peak_kib - listen_rss_kib_) / static_cast<double>(connections_)},
             {"allocs_per_msg", PerMessage(allocations, connections_)}};
  return true;
}

void ConnectionsClientStats::Start() { start_ns_ = WallNanoseconds(); }

bool ConnectionsClientStats::OnEcho(uint64_t index, std::string_view echo) {
  if (echo != IndexedMessage(index)) return false;
  if (++echoed_ == connections_) end_ns_ = WallNanoseconds();
  return true;
}

Metrics ConnectionsClientStats::Result() const {
  return {{"value", static_cast<double>(end_ns_ - start_ns_) / 1e9}};
}

}  // namespace bench
