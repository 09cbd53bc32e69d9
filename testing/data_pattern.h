// Test data that shows lost, duplicated or reordered bytes: a position-dependent byte pattern
// and an order-dependent checksum of a byte stream.
#ifndef LOCALSOCKET_TESTING_DATA_PATTERN_H_
#define LOCALSOCKET_TESTING_DATA_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipc {
namespace test {

// A position-dependent byte pattern: the byte at stream offset p depends on (seed, p) and is
// not periodic over small distances, so lost, duplicated or reordered bytes change the
// checksum below.
void FillPattern(uint64_t seed, uint64_t offset, char* out, size_t n);
std::string Pattern(uint64_t seed, uint64_t offset, size_t n);

// An order-dependent 64-bit checksum (FNV-1a) of a byte stream, with its length.
class Checksum {
 public:
  void Update(const void* data, size_t n);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  uint64_t value() const { return hash_; }
  uint64_t bytes() const { return bytes_; }
  bool operator==(const Checksum& other) const {
    return hash_ == other.hash_ && bytes_ == other.bytes_;
  }

 private:
  uint64_t hash_ = 14695981039346656037ULL;
  uint64_t bytes_ = 0;
};
// The checksum of the first `size` bytes of Pattern(seed, 0, ...).
Checksum PatternChecksum(uint64_t seed, uint64_t size);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_DATA_PATTERN_H_
