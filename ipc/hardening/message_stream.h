// The soak test's messages and the checks of their echoes. A client's stream is a sequence of
// messages, each a 16-byte header (payload length, sequence number, payload checksum, all
// little-endian) and a payload of the client's data pattern. Sizes are log-uniform, so small
// and large messages (beyond a socket buffer) mix, and a whole stream fits a byte budget.
#ifndef LOCALSOCKET_IPC_HARDENING_MESSAGE_STREAM_H_
#define LOCALSOCKET_IPC_HARDENING_MESSAGE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "testing/data_pattern.h"

namespace ipc {
namespace test {

inline constexpr size_t kMessageHeaderSize = 16;
inline constexpr uint32_t kMaxPayloadSize = 256 * 1024;

// The payload sizes of a stream of `count` messages whose encoded size (headers included) is
// at most `budget` bytes; deterministic for a `seed`. Each size is drawn log-uniformly from
// [1, kMaxPayloadSize], or from [1, what the budget leaves] once the rest of the budget, less
// one byte per message still to come, is smaller. Empty when `budget` cannot hold `count`
// one-byte messages.
std::vector<uint32_t> PlanPayloadSizes(uint64_t seed, int count, uint64_t budget);

// The encoded size of a stream with these payload sizes.
uint64_t EncodedSize(const std::vector<uint32_t>& sizes);

// Writes a stream's messages one by one: message k has sequence number k and carries the next
// sizes[k] bytes of Pattern(seed, ...). `sizes` must outlive the writer. Not thread-safe.
class MessageWriter {
 public:
  MessageWriter(uint64_t seed, const std::vector<uint32_t>& sizes) : seed_(seed), sizes_(sizes) {}
  // Whether messages remain.
  bool HasNext() const { return next_ < sizes_.size(); }
  // Writes the next message, header and payload, into `message` (replacing its content; its
  // capacity is reused, so one buffer can serve many writers) and returns a view of it. Call
  // only while HasNext().
  std::string_view Next(std::string& message);
  // Messages written so far.
  size_t written() const { return next_; }

 private:
  const uint64_t seed_;
  const std::vector<uint32_t>& sizes_;
  size_t next_ = 0;
  uint64_t payload_offset_ = 0;
};

// Checks the echo of a MessageWriter's stream as it arrives, in pieces of any size: every
// header must carry the next sequence number and its planned length, and every payload the
// checksum in its header, which the writer computed from the pattern. So bytes lost,
// duplicated, reordered or altered, and bytes after the last message, are caught at the
// message they hit. `sizes` must outlive the verifier. Not thread-safe.
class EchoVerifier {
 public:
  explicit EchoVerifier(const std::vector<uint32_t>& sizes) : sizes_(sizes) {}
  // Consumes `bytes`. False at the first mismatch and from then on (failure() says what).
  bool Consume(std::string_view bytes);
  // Messages received whole and correct.
  size_t verified() const { return verified_; }
  // True once every planned message was verified.
  bool complete() const { return verified_ == sizes_.size() && failure_.empty(); }
  // Bytes consumed so far.
  uint64_t bytes() const { return bytes_; }
  // Empty while everything matched.
  const std::string& failure() const { return failure_; }

 private:
  bool Fail(std::string what);
  bool CheckHeader();

  const std::vector<uint32_t>& sizes_;
  size_t verified_ = 0;
  uint64_t bytes_ = 0;
  char header_[kMessageHeaderSize] = {};
  size_t header_bytes_ = 0;    // Of the current message's header.
  uint64_t payload_left_ = 0;  // Of the current message's payload, once its header is in.
  uint64_t expected_checksum_ = 0;
  Checksum payload_checksum_;
  std::string failure_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_HARDENING_MESSAGE_STREAM_H_
