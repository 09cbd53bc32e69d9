// StreamPattern: the position pattern of the throughput workloads. The byte at stream position
// p is a hash of p modulo a prime period, so the sender writes slices of one precomputed
// buffer and the receiver checks each read with memcmp: lost, duplicated or misplaced bytes
// are caught (unless displaced by a multiple of the period) at almost no cost to either side.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_STREAM_PATTERN_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_STREAM_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

class StreamPattern {
 public:
  // Prime, so no chunk size or read size divides it.
  static constexpr size_t kPeriod = 1000003;

  // Slices of up to `max_slice` bytes.
  explicit StreamPattern(size_t max_slice);

  // The `n` (<= max_slice) pattern bytes from stream position `pos`.
  std::string_view Slice(uint64_t pos, size_t n) const;
  // True if `data` (any length) is the pattern from stream position `pos`.
  bool Matches(uint64_t pos, std::string_view data) const;

 private:
  size_t max_slice_;
  std::string bytes_;  // One period, then max_slice bytes more.
};

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_STREAM_PATTERN_H_
