// fuzz::FuzzInput: reads a fuzzer's input from the front as small typed values, so that any
// byte string is a valid program of operations.
#ifndef LOCALSOCKET_TOOLS_FUZZING_FUZZ_INPUT_H_
#define LOCALSOCKET_TOOLS_FUZZING_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fuzz {

// A cursor over the input of one LLVMFuzzerTestOneInput call. Each read takes bytes from the
// front; once the input runs out, every read returns zero (or an empty or shorter view), so a
// truncated input still runs. Views point into the input: valid for the duration of the call.
// Not thread-safe.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  bool empty() const { return size_ == 0; }
  size_t remaining() const { return size_; }

  uint8_t Byte() { return static_cast<uint8_t>(Unsigned(1)); }
  bool Bool() { return (Byte() & 1) != 0; }

  // A value in [lo, hi] (lo <= hi), from the fewest little-endian bytes that cover the range:
  // one byte for a range of up to 256 values, so mutations of small choices stay small.
  size_t InRange(size_t lo, size_t hi) {
    const auto span = static_cast<uint64_t>(hi - lo);
    size_t width = 1;
    while (width < 8 && (span >> (8 * width)) != 0) ++width;
    const uint64_t raw = Unsigned(width);
    return lo + static_cast<size_t>(span == UINT64_MAX ? raw : raw % (span + 1));
  }

  // The next `n` bytes (fewer when the input is shorter).
  std::string_view Bytes(size_t n) {
    if (n > size_) n = size_;
    const std::string_view out(data_, n);
    data_ += n;
    size_ -= n;
    return out;
  }
  // Everything not read yet.
  std::string_view Rest() { return Bytes(size_); }

 private:
  // `width` (<= 8) bytes as a little-endian number; missing bytes read as zero.
  uint64_t Unsigned(size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width && size_ > 0; ++i) {
      value |= static_cast<uint64_t>(static_cast<uint8_t>(*data_)) << (8 * i);
      ++data_;
      --size_;
    }
    return value;
  }

  const char* data_;
  size_t size_;
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_FUZZ_INPUT_H_
