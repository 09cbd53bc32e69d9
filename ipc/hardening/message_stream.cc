#include "ipc/hardening/message_stream.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace ipc {
namespace test {
namespace {

void PutLittleEndian(uint64_t value, size_t bytes, char* out) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

uint64_t GetLittleEndian(const char* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

// A log-uniform integer in [1, high] (high >= 1): exp of a uniform draw in [0, ln(high + 1)).
uint32_t LogUniform(std::mt19937_64& random, uint32_t high) {
  const double unit = static_cast<double>(random() >> 11) * 0x1.0p-53;  // [0, 1)
  const double value = std::floor(std::exp(unit * std::log(static_cast<double>(high) + 1.0)));
  return static_cast<uint32_t>(std::clamp(value, 1.0, static_cast<double>(high)));
}

}  // namespace

std::vector<uint32_t> PlanPayloadSizes(uint64_t seed, int count, uint64_t budget) {
  constexpr uint64_t kSmallest = kMessageHeaderSize + 1;
  if (count <= 0 || budget < static_cast<uint64_t>(count) * kSmallest) return {};
  std::mt19937_64 random(seed);
  std::vector<uint32_t> sizes;
  sizes.reserve(static_cast<size_t>(count));
  uint64_t left = budget;
  for (int i = 0; i < count; ++i) {
    const auto to_come = static_cast<uint64_t>(count - i - 1);
    const uint64_t room = left - kMessageHeaderSize - to_come * kSmallest;
    const auto high = static_cast<uint32_t>(std::min<uint64_t>(kMaxPayloadSize, room));
    const uint32_t size = LogUniform(random, high);
    sizes.push_back(size);
    left -= kMessageHeaderSize + size;
  }
  return sizes;
}

uint64_t EncodedSize(const std::vector<uint32_t>& sizes) {
  uint64_t total = 0;
  for (uint32_t size : sizes) total += kMessageHeaderSize + size;
  return total;
}

std::string_view MessageWriter::Next(std::string& message) {
  const uint32_t size = sizes_[next_];
  message.resize(kMessageHeaderSize + size);
  char* payload = message.data() + kMessageHeaderSize;
  FillPattern(seed_, payload_offset_, payload, size);
  Checksum checksum;
  checksum.Update(payload, size);
  PutLittleEndian(size, 4, message.data());
  PutLittleEndian(next_, 4, message.data() + 4);
  PutLittleEndian(checksum.value(), 8, message.data() + 8);
  payload_offset_ += size;
  ++next_;
  return message;
}

bool EchoVerifier::Fail(std::string what) {
  failure_ = "message " + std::to_string(verified_) + ": " + std::move(what);
  return false;
}

bool EchoVerifier::CheckHeader() {
  const uint64_t size = GetLittleEndian(header_, 4);
  const uint64_t sequence = GetLittleEndian(header_ + 4, 4);
  if (sequence != verified_) {
    return Fail("sequence number " + std::to_string(sequence) + ", expected " +
                std::to_string(verified_));
  }
  if (size != sizes_[verified_]) {
    return Fail("length " + std::to_string(size) + ", expected " +
                std::to_string(sizes_[verified_]));
  }
  expected_checksum_ = GetLittleEndian(header_ + 8, 8);
  payload_left_ = size;
  payload_checksum_ = Checksum();
  return true;
}

bool EchoVerifier::Consume(std::string_view bytes) {
  if (!failure_.empty()) return false;
  bytes_ += bytes.size();
  while (!bytes.empty()) {
    if (header_bytes_ < kMessageHeaderSize) {
      if (verified_ >= sizes_.size()) return Fail("bytes after the last message");
      const size_t n = std::min(bytes.size(), kMessageHeaderSize - header_bytes_);
      std::copy_n(bytes.data(), n, header_ + header_bytes_);
      header_bytes_ += n;
      bytes.remove_prefix(n);
      if (header_bytes_ < kMessageHeaderSize) continue;
      if (!CheckHeader()) return false;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), payload_left_));
    payload_checksum_.Update(bytes.data(), n);
    payload_left_ -= n;
    bytes.remove_prefix(n);
    if (payload_left_ > 0) continue;
    if (payload_checksum_.value() != expected_checksum_) return Fail("payload checksum mismatch");
    ++verified_;
    header_bytes_ = 0;
  }
  return failure_.empty();
}

}  // namespace test
}  // namespace ipc
