// The throughput workloads' position pattern (see stream_pattern.h).
#include "tools/benchmark/stream_pattern.h"

#include <algorithm>
#include <cstring>

namespace bench {

StreamPattern::StreamPattern(size_t max_slice)
    : max_slice_(max_slice), bytes_(kPeriod + max_slice, '\0') {
  for (size_t i = 0; i < bytes_.size(); ++i) {
    const uint64_t p = i % kPeriod;
    bytes_[i] = static_cast<char>((p * 0x9E3779B97F4A7C15ULL) >> 56);
  }
}

std::string_view StreamPattern::Slice(uint64_t pos, size_t n) const {
  const std::string_view bytes = bytes_;
  return bytes.substr(pos % kPeriod, std::min(n, max_slice_));
}

bool StreamPattern::Matches(uint64_t pos, std::string_view data) const {
  while (!data.empty()) {
    const size_t n = std::min(data.size(), max_slice_);
    if (memcmp(data.data(), bytes_.data() + pos % kPeriod, n) != 0) return false;
    data.remove_prefix(n);
    pos += n;
  }
  return true;
}

}  // namespace bench
