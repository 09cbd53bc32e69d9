// Fuzzes ipc::internal::ByteBuffer (the socket's read and write buffers) against a std::string
// model, through every operation the socket performs on it.
//
// Input: a sequence of operations, each an opcode byte followed by its arguments (fuzz_input.h
// reads them; a truncated operation reads zeros). The opcode's low bit picks one of two
// buffers, as a socket has a read and a write buffer (they share the thread's spare blocks);
// the rest, modulo kOpCount, picks the operation:
//   kAppendBytes    Append of up to 1,100 bytes from the input (a Write)
//   kAppendPattern  Append of up to a large block and 1,100 patterned bytes (a large Write
//                   gets a block of its own size)
//   kReceive        PrepareAppend(min) then CommitAppend(n), as a recvmsg into the buffer;
//                   bytes written past n must not appear
//   kReceiveLimited the socket's bounded read: at most (limit - size) bytes, none when full
//   kPeek           Peek(max) (LocalSocket::Peek)
//   kPeekBuffered   FrontBlock() (PeekBuffered), then Consume of part of it (Skip)
//   kParseInPlace   a parser loop over FrontBlock() views, consuming up to k bytes of each
//                   (at most 1,024 views)
//   kSkip           Consume(n), n possibly beyond size()
//   kRead           Read(max)
//   kReadLine       LocalSocket::ReadLine(max) and CanReadLine, built on Find and Read
//   kFind           Find(byte, limit), mostly of a byte the buffer holds, the limit around it
//   kSend           GatherFront(iov, max_iov, max_bytes), then a partial send: Consume of
//                   what the "kernel" took, which is appended to the other buffer (the peer)
//   kClear          Clear()
//   kReadAll        Read(size())
//   kReceiveLong    a ReadSpace of up to 4 large blocks' worth (the buffer's own space, then the
//                   thread's spare blocks), filled in order, then Commit; bytes written past
//                   the count must not appear
//   kAppendBorrowed AppendBorrowed (WriteShared) of up to two large blocks of patterned bytes
//                   that only the buffer keeps alive: a release before their last byte is
//                   consumed frees memory the buffer still reads (ASan); short ones are copied
//
// After the input, with both buffers destroyed, no borrowed buffer may still be alive.
// After every step, for both buffers: size() and empty() match the model, FrontBlock() is a
// non-empty prefix of it whenever it is non-empty, and the first 4 KiB equal it. After the
// last step: every stored byte, and block by block (GatherFront, up to 64 blocks) Find of the
// first and last byte of each block. Every byte read, peeked, found, gathered or viewed is
// compared as it comes out. Patterned bytes come in long runs of one letter, so that the first
// occurrence of a byte can lie several blocks deep.
//
// To keep inputs fast (thousands per second), appends stop once a buffer holds 4 large
// blocks' worth (256 KiB): enough for several blocks of each size in the ring. Not covered
// here: one Append larger than the largest block (16 MiB), which is split; a single such input
// costs over 100 ms under ASan.
#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/byte_buffer.h"
#include "ipc/read_space.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"

namespace {

using ipc::internal::ByteBuffer;
using ipc::internal::ReadSpace;

constexpr size_t kBlock = ByteBuffer::kBlockSize;
// Ordinary appends stop at this many buffered bytes, so that one input stays fast.
constexpr size_t kMaxBuffered = 4 * kBlock;
// Views a kParseInPlace operation parses at most.
constexpr size_t kMaxParseSteps = 1024;
// The blocks the final check gathers at most.
constexpr size_t kMaxGatheredBlocks = 64;
// Bytes compared after every step; everything is compared after the last one.
constexpr size_t kStepCheckBytes = 4096;

enum Op : uint8_t {
  kAppendBytes,
  kAppendPattern,
  kReceive,
  kReceiveLimited,
  kPeek,
  kPeekBuffered,
  kParseInPlace,
  kSkip,
  kRead,
  kReadLine,
  kFind,
  kSend,
  kClear,
  kReadAll,
  kReceiveLong,
  kAppendBorrowed,
  kOpCount
};

// The model of one buffer: the bytes it should hold, in a string whose storage is reused from
// input to input (large allocations are slow under ASan). Consuming from the front moves an
// offset; the consumed bytes are dropped once they are most of the string.
class Model {
 public:
  std::string_view view() const { return std::string_view{bytes_}.substr(head_); }
  size_t size() const { return bytes_.size() - head_; }
  bool empty() const { return size() == 0; }
  uint64_t appended() const { return appended_; }

  void Append(std::string_view data) {
    bytes_.append(data);
    appended_ += data.size();
  }
  // Removes up to `n` bytes from the front.
  void Consume(size_t n) {
    head_ += std::min(n, size());
    if (head_ > kBlock && head_ > bytes_.size() / 2) {
      bytes_.erase(0, head_);
      head_ = 0;
    }
  }
  // Empties the model and restarts the stream positions (a new input).
  void Reset() {
    Clear();
    appended_ = 0;
  }
  void Clear() {
    bytes_.clear();
    head_ = 0;
  }

 private:
  std::string bytes_;
  size_t head_ = 0;
  uint64_t appended_ = 0;  // Every byte ever appended: patterned bytes follow stream positions.
};

// A buffer and its model.
struct Side {
  ByteBuffer& buffer;
  Model& model;
};

// `n` bytes of scratch memory, reused from call to call: valid until the next call.
char* Scratch(size_t n) {
  static auto* scratch = new std::vector<char>();  // Never destroyed: shared by all inputs.
  if (scratch->size() < n) scratch->resize(n);
  return scratch->data();
}

// Patterned bytes: runs of one byte from a 32-letter alphabet (with '\n'), the letter moving on
// every `run` stream positions, `run` from 16 to 8,191 as `seed` picks. Few distinct values in
// long runs put the first occurrence of a value deep in the buffer, past block boundaries,
// where Find must still report it.
uint64_t PatternRun(uint8_t seed) { return 16 + (uint64_t{seed} * 257) % 8176; }
char PatternByte(uint64_t position, uint8_t seed) {
  static constexpr char kAlphabet[] = "\nabcdefghijklmnopqrstuvwxyz01234";
  return kAlphabet[(position / PatternRun(seed) + seed) % 32];
}

// Writes the `n` patterned bytes that follow the model's stream to `out`, a run at a time.
void FillPattern(const Model& model, char* out, size_t n, uint8_t seed) {
  const uint64_t run = PatternRun(seed);
  for (size_t done = 0; done < n;) {
    const uint64_t position = model.appended() + done;
    const size_t length = std::min<uint64_t>(n - done, run - position % run);
    std::memset(out + done, PatternByte(position, seed), length);
    done += length;
  }
}

// How many of `n` more bytes an ordinary append may add to `side`.
size_t WithinBudget(const Side& side, size_t n) {
  const size_t stored = side.model.size();
  return stored >= kMaxBuffered ? 0 : std::min(n, kMaxBuffered - stored);
}

void Append(Side& side, std::string_view bytes) {
  side.buffer.Append(bytes);
  side.model.Append(bytes);
}

void AppendPattern(Side& side, size_t n, uint8_t seed) {
  char* bytes = Scratch(n);
  FillPattern(side.model, bytes, n, seed);
  Append(side, std::string_view(bytes, n));
}

// AppendBorrowed of `n` patterned bytes in a buffer of their own, which only `side.buffer`
// keeps alive afterwards; `lent` records it.
void AppendBorrowed(Side& side, size_t n, uint8_t seed,
                    std::vector<std::weak_ptr<const std::string>>& lent) {
  auto bytes = std::make_shared<std::string>(n, '\0');
  FillPattern(side.model, bytes->data(), n, seed);
  side.buffer.AppendBorrowed(*bytes, bytes);
  side.model.Append(*bytes);
  lent.push_back(bytes);
  FUZZ_CHECK_EQ(bytes.use_count(), n < ByteBuffer::kMinBorrowedSize ? 1 : 2);
}

// Copies up to `max` bytes from the front through Peek (or Read, with `consume`), checks the
// count and the bytes against the model, and consumes them from the model with `consume`.
size_t CheckedCopy(Side& side, size_t max, bool consume) {
  char* out = Scratch(max);
  const size_t n = consume ? side.buffer.Read(out, max) : side.buffer.Peek(out, max);
  FUZZ_CHECK_EQ(n, std::min(max, side.model.size()));
  FUZZ_CHECK(side.model.view().substr(0, n) == std::string_view(out, n));
  if (consume) side.model.Consume(n);
  return n;
}

// Find(byte, limit) against the model.
void CheckFind(const Side& side, char byte, size_t limit) {
  const size_t first = side.model.view().find(byte);
  const size_t expected = first < limit ? first : ByteBuffer::npos;
  FUZZ_CHECK_EQ(side.buffer.Find(byte, limit), expected);
}

// Checks the buffer against the model: its size, and its first kStepCheckBytes bytes (through
// FrontBlock and through Peek), or with `full` every byte, also through GatherFront block by
// block, and Find of the bytes at block boundaries.
void CheckSide(Side& side, bool full) {
  FUZZ_CHECK_EQ(side.buffer.size(), side.model.size());
  FUZZ_CHECK_EQ(side.buffer.empty(), side.model.empty());
  const size_t size = side.model.size();
  const size_t checked = full ? size : std::min(size, kStepCheckBytes);
  const std::string_view front = side.buffer.FrontBlock();
  FUZZ_CHECK_EQ(front.empty(), side.model.empty());
  FUZZ_CHECK(front.size() <= size);
  FUZZ_CHECK(side.model.view().substr(0, std::min(front.size(), checked)) ==
             front.substr(0, checked));
  CheckedCopy(side, checked, false);
  if (!full) return;

  std::vector<iovec> blocks(kMaxGatheredBlocks);
  const size_t used = side.buffer.GatherFront(blocks.data(), blocks.size(), size);
  size_t offset = 0;
  for (size_t i = 0; i < used; ++i) {
    const std::string_view block(static_cast<const char*>(blocks[i].iov_base), blocks[i].iov_len);
    FUZZ_CHECK(!block.empty());
    FUZZ_CHECK(side.model.view().substr(offset, block.size()) == block);
    // The bytes at block boundaries, whose first occurrence may lie in this block (patterned
    // bytes come in runs): Find reports it, and npos with the limit just before it.
    for (const char byte : {block.front(), block.back()}) {
      const size_t first = side.model.view().find(byte);
      FUZZ_CHECK_EQ(side.buffer.Find(byte, size), first);
      FUZZ_CHECK_EQ(side.buffer.Find(byte, first), ByteBuffer::npos);
    }
    offset += block.size();
  }
  if (used < blocks.size()) FUZZ_CHECK_EQ(offset, size);
}

// PrepareAppend(min_size), `n` bytes written (and `extra` more past them, which must not be
// stored), CommitAppend(n); n is cut to the space offered and to `cap`.
void Receive(Side& side, size_t min_size, size_t n, size_t extra, size_t cap, uint8_t seed) {
  const iovec space = side.buffer.PrepareAppend(min_size);
  FUZZ_CHECK(space.iov_base != nullptr);
  FUZZ_CHECK(space.iov_len >= std::clamp<size_t>(min_size, 1, kBlock));
  const size_t usable = std::min(space.iov_len, cap);
  n = std::min(n, usable);
  extra = std::min(extra, usable - n);
  char* out = static_cast<char*>(space.iov_base);
  FillPattern(side.model, out, n, seed);
  std::memset(out + n, 0xee, extra);
  const std::string_view received(out, n);
  side.model.Append(received);  // Before the commit: `out` is the buffer's memory.
  side.buffer.CommitAppend(n);
}

// A long read as the socket makes it: a ReadSpace offering up to `want` bytes, `n` of them
// written across its iovecs in order (and `extra` more past them, which must not be stored),
// then Commit(n).
void ReceiveLong(Side& side, size_t want, size_t n, size_t extra, uint8_t seed) {
  ReadSpace space(side.buffer, want);
  FUZZ_CHECK(space.count() >= 1 && space.count() <= ReadSpace::kMaxIov);
  size_t offered = 0;
  for (size_t i = 0; i < space.count(); ++i) {
    FUZZ_CHECK(space.iov()[i].iov_base != nullptr && space.iov()[i].iov_len > 0);
    offered += space.iov()[i].iov_len;
  }
  FUZZ_CHECK_EQ(offered, space.capacity());
  FUZZ_CHECK(space.capacity() <= want);
  // At least a block's worth (or all that was asked) is always offered.
  FUZZ_CHECK(space.capacity() >= std::min(want, kBlock));
  n = std::min(n, space.capacity());
  extra = std::min(extra, space.capacity() - n);
  std::string bytes(n + extra, '\xee');
  FillPattern(side.model, bytes.data(), n, seed);
  size_t copied = 0;
  for (size_t i = 0; i < space.count() && copied < bytes.size(); ++i) {
    const size_t length = std::min(space.iov()[i].iov_len, bytes.size() - copied);
    std::memcpy(space.iov()[i].iov_base, bytes.data() + copied, length);
    copied += length;
  }
  side.model.Append(std::string_view{bytes}.substr(0, n));
  space.Commit(n);
}

// LocalSocket::ReadLine(max_size) as the socket implements it, checked against the model.
void ReadLine(Side& side, size_t max_size) {
  const size_t size = side.model.size();
  const size_t model_newline = side.model.view().find('\n');
  FUZZ_CHECK_EQ(side.buffer.Find('\n', size) != ByteBuffer::npos,
                model_newline != std::string_view::npos);  // CanReadLine.
  const size_t limit = max_size == 0 ? size : std::min(max_size, size);
  const size_t newline = side.buffer.Find('\n', limit);
  const size_t expected = model_newline < limit ? model_newline : ByteBuffer::npos;
  FUZZ_CHECK_EQ(newline, expected);
  const size_t length = newline == ByteBuffer::npos ? limit : newline + 1;
  FUZZ_CHECK_EQ(CheckedCopy(side, length, true), length);
}

// GatherFront as the socket's flush uses it, then a send of `taken` of the offered bytes:
// they leave `from` and arrive in `to`.
void Send(Side& from, Side& to, size_t max_iov, size_t max_bytes, size_t taken) {
  std::vector<iovec> iov(max_iov + 1, iovec{nullptr, 12345});
  const size_t used = from.buffer.GatherFront(iov.data(), max_iov, max_bytes);
  FUZZ_CHECK(used <= max_iov);
  FUZZ_CHECK_EQ(iov[max_iov].iov_len, 12345U);  // Nothing written past max_iov.
  const std::string_view model = from.model.view();
  size_t offered = 0;
  for (size_t i = 0; i < used; ++i) {
    FUZZ_CHECK(iov[i].iov_len > 0);
    FUZZ_CHECK(model.substr(offered, iov[i].iov_len) ==
               std::string_view(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len));
    offered += iov[i].iov_len;
  }
  const size_t available = std::min(max_bytes, model.size());
  FUZZ_CHECK(offered <= available);
  // Fewer bytes only when the iovecs ran out, and at least one byte when any is available.
  if (used < max_iov) FUZZ_CHECK_EQ(offered, available);
  if (max_iov > 0 && available > 0) FUZZ_CHECK(used > 0);
  taken = std::min(taken, offered);
  Append(to, model.substr(0, taken));  // The two models never share storage.
  from.buffer.Consume(taken);
  from.model.Consume(taken);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* models = new Model[2];  // Never destroyed: their storage serves every input.
  models[0].Reset();
  models[1].Reset();
  std::vector<std::weak_ptr<const std::string>> lent;
  {
    ByteBuffer buffers[2];
    Side sides[2] = {{buffers[0], models[0]}, {buffers[1], models[1]}};
    fuzz::FuzzInput input(data, size);
    while (!input.empty()) {
      const uint8_t opcode = input.Byte();
      Side& side = sides[opcode & 1];
      Side& other = sides[(opcode & 1) ^ 1];
      switch (static_cast<Op>((opcode >> 1) % kOpCount)) {
        case kAppendBytes:
          Append(side, input.Bytes(WithinBudget(side, input.InRange(0, 1100))));
          break;
        case kAppendPattern: {
          const size_t n = WithinBudget(side, input.InRange(0, kBlock + 1100));
          AppendPattern(side, n, input.Byte());
          break;
        }
        case kReceive: {
          const size_t min_size = input.InRange(0, kBlock + 16);
          const size_t n = WithinBudget(side, input.InRange(0, kBlock));
          const size_t extra = input.InRange(0, 64);
          Receive(side, min_size, n, extra, kBlock, input.Byte());
          break;
        }
        case kReceiveLimited: {
          const size_t limit = input.InRange(1, 5 * kBlock);
          const size_t n = WithinBudget(side, input.InRange(0, kBlock));
          const uint8_t seed = input.Byte();
          const size_t stored = side.model.size();
          if (stored >= limit) break;  // The read side pauses: the kernel keeps the data.
          const size_t want = std::min(kBlock, limit - stored);
          Receive(side, want, n, 0, want, seed);
          FUZZ_CHECK(side.buffer.size() <= limit);
          break;
        }
        case kPeek:
          CheckedCopy(side, input.InRange(0, 3 * kBlock), false);
          break;
        case kPeekBuffered: {
          const std::string_view view = side.buffer.FrontBlock();
          FUZZ_CHECK_EQ(view.empty(), side.model.empty());
          FUZZ_CHECK(view.size() <= side.model.size());
          const size_t used = input.InRange(0, kBlock) % (view.size() + 1);
          const size_t seen = std::min(view.size(), used + kStepCheckBytes);
          FUZZ_CHECK(side.model.view().substr(0, seen) == view.substr(0, seen));
          side.buffer.Consume(used);
          side.model.Consume(used);
          break;
        }
        case kParseInPlace: {
          // The loop of README's zero-copy example: each view's first `step` bytes are used.
          // At most kMaxParseSteps views per operation keep a 1-byte parser over 16 MiB fast.
          const size_t step = input.InRange(1, 4096);
          size_t views = 0;
          std::string_view view = side.buffer.FrontBlock();
          for (; !view.empty() && views < kMaxParseSteps; view = side.buffer.FrontBlock()) {
            ++views;
            FUZZ_CHECK(view.size() <= side.model.size());
            const size_t used = std::min(step, view.size());
            FUZZ_CHECK(side.model.view().substr(0, used) == view.substr(0, used));
            side.buffer.Consume(used);
            side.model.Consume(used);
          }
          FUZZ_CHECK_EQ(view.empty(), side.model.empty());
          break;
        }
        case kSkip: {
          const size_t n = input.InRange(0, 4 * kBlock);
          side.buffer.Consume(n);
          side.model.Consume(n);
          break;
        }
        case kRead:
          CheckedCopy(side, input.InRange(0, 3 * kBlock), true);
          break;
        case kReadLine:
          ReadLine(side, input.InRange(0, 2 * kBlock));
          break;
        case kFind: {
          // The byte is mostly one the buffer holds, and the limit often just around it.
          const uint8_t how = input.Byte();
          const std::string_view model = side.model.view();
          size_t position = 0;
          char byte = 0;
          if ((how & 1) != 0 && !model.empty()) {
            position = input.InRange(0, model.size() - 1);
            byte = model[position];
          } else {
            byte = static_cast<char>(input.Byte());
          }
          size_t limit = model.size();
          switch ((how >> 1) & 3) {
            case 1:
              limit = position;
              break;
            case 2:
              limit = position + 1;
              break;
            case 3:
              limit = input.InRange(0, 3 * kBlock);
              break;
            default:
              break;
          }
          CheckFind(side, byte, limit);
          break;
        }
        case kSend: {
          const size_t max_iov = input.InRange(0, 66);
          const size_t max_bytes = input.InRange(0, 4 * kBlock);
          const size_t taken = input.InRange(0, 4 * kBlock);
          Send(side, other, max_iov, max_bytes, taken);
          break;
        }
        case kClear:
          side.buffer.Clear();
          side.model.Clear();
          break;
        case kReadAll:
          CheckedCopy(side, side.model.size(), true);
          FUZZ_CHECK(side.buffer.empty());
          break;
        case kReceiveLong: {
          const size_t want = input.InRange(1, ReadSpace::kMaxIov * kBlock);
          const size_t n = WithinBudget(side, input.InRange(0, ReadSpace::kMaxIov * kBlock));
          const size_t extra = input.InRange(0, 64);
          ReceiveLong(side, want, n, extra, input.Byte());
          break;
        }
        case kAppendBorrowed: {
          const size_t n = WithinBudget(side, input.InRange(0, 2 * kBlock));
          AppendBorrowed(side, n, input.Byte(), lent);
          break;
        }
        case kOpCount:
          break;
      }
      CheckSide(side, input.empty());
      CheckSide(other, input.empty());
    }
  }
  for (const auto& bytes : lent) FUZZ_CHECK(bytes.expired());
  return 0;
}
