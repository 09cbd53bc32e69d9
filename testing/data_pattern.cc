#include "testing/data_pattern.h"

#include <string.h>

#include <algorithm>

namespace ipc {
namespace test {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void FillPattern(uint64_t seed, uint64_t offset, char* out, size_t n) {
  size_t i = 0;
  // Leading bytes up to a word boundary, then whole words, then the tail.
  while (i < n && (offset + i) % 8 != 0) {
    const uint64_t p = offset + i;
    out[i++] = static_cast<char>(Mix(seed ^ (p / 8)) >> (8 * (p % 8)));
  }
  while (n - i >= 8) {
    const uint64_t word = Mix(seed ^ ((offset + i) / 8));
    memcpy(out + i, &word, 8);  // Little-endian: byte k of the word is (word >> 8k).
    i += 8;
  }
  while (i < n) {
    const uint64_t p = offset + i;
    out[i++] = static_cast<char>(Mix(seed ^ (p / 8)) >> (8 * (p % 8)));
  }
}

std::string Pattern(uint64_t seed, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  FillPattern(seed, offset, out.data(), n);
  return out;
}

void Checksum::Update(const void* data, size_t n) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = hash_;
  for (size_t i = 0; i < n; ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ULL;
  }
  hash_ = hash;
  bytes_ += n;
}

Checksum PatternChecksum(uint64_t seed, uint64_t size) {
  Checksum checksum;
  std::string chunk(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size; offset += chunk.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - offset));
    FillPattern(seed, offset, chunk.data(), n);
    checksum.Update(chunk.data(), n);
  }
  return checksum;
}

}  // namespace test
}  // namespace ipc
