// Fuzzes passing fds (LocalSocket::WriteWithFds and TakeReceivedFds) between two LocalSockets
// on a FakeKernel, against a model of the stream the writer's calls accepted.
//
// Input: a sequence of operations, each an opcode byte (modulo kOpCount) followed by its
// arguments (fuzz_input.h reads them; a truncated operation reads zeros):
//   kWrite         the writer's Write of 1..2,000 patterned bytes
//   kWriteWithFds  its WriteWithFds of 0..2,000 patterned bytes (0: refused) with a count byte:
//                  255 passes 254 fds (refused), else count % 5 fds, each a byte picking one of
//                  4 open files
//   kSendBuffer    the writer's SO_SNDBUF set to exactly 1..4,096 bytes: the kernel takes the
//                  write buffer in parts
//   kCapSends      the writer's next 1..4 sends take at most 1..64 bytes each
//   kWriteLimit    the writer's SetWriteBufferLimit(0..4,096)
//   kRun           the loop runs until idle (flushes, reads, emissions)
//   kRead          the reader takes its received fds, then reads up to 1..4,096 bytes
//   kReadLimit     the reader's SetReadBufferSize(0..4,096)
//   kFlush         the writer's Flush()
//
// The model: every byte a Write or WriteWithFds accepted, and for each WriteWithFds that
// accepted its first byte, its batch of fds (the files' inodes) at that byte's offset.
// Checks, after every step: a refused call returns -1 with kOperation (or 0 bytes when the
// write limit leaves no room) and adds nothing; what the writer holds is what it accepted minus
// what bytes_written reported; every byte the reader reads is the model's next byte; at each
// kRead, the fds taken so far are exactly the batches whose byte the reader has received (an fd
// is there no later than its byte, never earlier), in order. At the end the writer disconnects
// and the reader drains: every accepted byte and batch arrived (unless the kernel refused too
// many fds in flight: ETOOMANYREFS, then kSocketResource, and what arrived is a prefix); with
// both sockets gone, only the 4 files stay open, nothing is in flight and nothing was closed
// twice.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "tools/fuzzing/fixture_files.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"

namespace {

using ipc::LocalSocket;
using Error = LocalSocket::Error;
using State = LocalSocket::State;

enum Op : uint8_t {
  kWrite,
  kWriteWithFds,
  kSendBuffer,
  kCapSends,
  kWriteLimit,
  kRun,
  kRead,
  kReadLimit,
  kFlush,
  kOpCount,
};

constexpr int kFiles = 4;
constexpr size_t kMaxOps = 2000;
// Loop runs the final drain allows at most (each lets the kernel take a little more).
constexpr int kMaxDrainRounds = 100000;

// The byte at `offset` of the stream: runs of letters, so that a misplaced byte shows.
char PatternByte(uint64_t offset) { return static_cast<char>('a' + (offset / 7 + offset) % 26); }

class Session {
 public:
  Session() {
    files_ = fuzz::OpenFixtureFiles(kernel_, kFiles);
    for (const int file : files_) inodes_.push_back(Inode(file));
    int pair[2] = {-1, -1};
    FUZZ_CHECK_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair).rc, 0);
    FUZZ_CHECK(writer_.SetSocketDescriptor(pair[0]));
    FUZZ_CHECK(reader_.SetSocketDescriptor(pair[1]));
    writer_.bytes_written.Connect([this](int64_t n) { flushed_ += static_cast<uint64_t>(n); });
    writer_.error_occurred.Connect([this](Error error) { failure_ = error; });
  }

  void Run(fuzz::FuzzInput& input) {
    for (size_t ops = 0; ops < kMaxOps && !input.empty(); ++ops) {
      Step(input);
      CheckWriter();
    }
    Finish();
  }

 private:
  struct Batch {
    uint64_t offset;
    std::vector<ino_t> inodes;
  };

  ino_t Inode(int fd) {
    struct stat st {};
    FUZZ_CHECK_EQ(kernel_.Fstat(fd, &st).rc, 0);
    return st.st_ino;
  }

  void Step(fuzz::FuzzInput& input) {
    switch (static_cast<Op>(input.Byte() % kOpCount)) {
      case kWrite:
        Write(input.InRange(1, 2000), {});
        break;
      case kWriteWithFds: {
        const size_t size = input.InRange(0, 2000);
        const uint8_t count = input.Byte();
        std::vector<size_t> picks;
        if (count == 255) {
          picks.assign(254, 0);
        } else {
          for (int i = 0; i < count % 5; ++i) picks.push_back(input.Byte() % kFiles);
        }
        Write(size, picks, /*with_fds=*/true);
        break;
      }
      case kSendBuffer:
        if (writer_.socket_descriptor() >= 0) {
          kernel_.SetSendBufferSize(writer_.socket_descriptor(),
                                    static_cast<int>(input.InRange(1, 4096)));
        }
        break;
      case kCapSends: {
        const size_t max = input.InRange(1, 64);
        const int times = static_cast<int>(input.InRange(1, 4));
        if (writer_.socket_descriptor() >= 0) {
          kernel_.CapSends(writer_.socket_descriptor(), max, times);
        }
        break;
      }
      case kWriteLimit:
        writer_.SetWriteBufferLimit(static_cast<int64_t>(input.InRange(0, 4096)));
        break;
      case kRun:
        loop_.RunUntilIdle();
        break;
      case kRead:
        Read(input.InRange(1, 4096));
        break;
      case kReadLimit:
        reader_.SetReadBufferSize(static_cast<int64_t>(input.InRange(0, 4096)));
        break;
      case kFlush:
        writer_.Flush();
        break;
      case kOpCount:
        break;
    }
  }

  // Write (or WriteWithFds) of `size` patterned bytes, then the model's update.
  void Write(size_t size, const std::vector<size_t>& picks, bool with_fds = false) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = PatternByte(accepted_.size() + i);
    std::vector<int> fds;
    std::vector<ino_t> inodes;
    for (const size_t pick : picks) {
      fds.push_back(files_[pick]);
      inodes.push_back(inodes_[pick]);
    }
    const bool writable = writer_.state() == State::kConnected;
    const int64_t taken = with_fds ? writer_.WriteWithFds(data, fds) : writer_.Write(data);
    if (taken < 0) {
      // Refused: not writable, no data, too many fds, or no room to duplicate them.
      FUZZ_CHECK_EQ(writer_.error(), Error::kOperation);
      FUZZ_CHECK(!writable ||
                 (with_fds && (size == 0 || fds.size() > 253 ||
                               writer_.error_string().find("duplicate") != std::string::npos)));
      return;
    }
    FUZZ_CHECK(static_cast<size_t>(taken) <= size);
    if (taken > 0 && !fds.empty()) batches_.push_back(Batch{accepted_.size(), inodes});
    accepted_.append(data, 0, static_cast<size_t>(taken));
  }

  // Takes the reader's fds (checked against the model), then reads up to `max` bytes.
  void Read(size_t max) {
    TakeFds();
    const std::string got = reader_.Read(static_cast<int64_t>(max));
    FUZZ_CHECK(consumed_ + got.size() <= accepted_.size());
    FUZZ_CHECK_EQ(got, accepted_.substr(consumed_, got.size()));
    consumed_ += got.size();
  }

  void TakeFds() {
    for (ipc::UniqueFd& fd : reader_.TakeReceivedFds()) {
      const int number = fd.release();  // A FakeKernel descriptor: closed through the kernel.
      taken_.push_back(Inode(number));
      FUZZ_CHECK_EQ(kernel_.Close(number).rc, 0);
    }
    // Exactly the batches whose byte the reader has received, in order.
    const uint64_t received = consumed_ + static_cast<uint64_t>(reader_.BytesAvailable());
    std::vector<ino_t> due;
    for (const Batch& batch : batches_) {
      if (batch.offset < received) due.insert(due.end(), batch.inodes.begin(), batch.inodes.end());
    }
    FUZZ_CHECK(taken_ == due);
  }

  void CheckWriter() {
    if (writer_.state() != State::kConnected && writer_.state() != State::kClosing) return;
    FUZZ_CHECK_EQ(static_cast<uint64_t>(writer_.BytesToWrite()), accepted_.size() - flushed_);
  }

  void Finish() {
    writer_.SetWriteBufferLimit(0);
    reader_.SetReadBufferSize(0);
    kernel_.ClearFaults();
    if (writer_.socket_descriptor() >= 0) {
      kernel_.SetSendBufferSize(writer_.socket_descriptor(), 212992);
    }
    writer_.DisconnectFromServer();
    for (int round = 0; round < kMaxDrainRounds && reader_.state() != State::kUnconnected;
         ++round) {
      loop_.RunUntilIdle();
      Read(1 << 20);
    }
    Read(1 << 20);
    FUZZ_CHECK_EQ(reader_.state(), State::kUnconnected);
    FUZZ_CHECK_EQ(writer_.state(), State::kUnconnected);
    if (failure_ == Error::kNone) {
      FUZZ_CHECK_EQ(consumed_, accepted_.size());  // Every accepted byte and batch arrived.
      size_t all = 0;
      for (const Batch& batch : batches_) all += batch.inodes.size();
      FUZZ_CHECK_EQ(taken_.size(), all);
    } else {
      FUZZ_CHECK_EQ(failure_, Error::kSocketResource);  // ETOOMANYREFS.
    }
    writer_.Abort();
    reader_.Abort();
    FUZZ_CHECK(kernel_.open_fds() == files_);
    FUZZ_CHECK_EQ(kernel_.in_flight_count(), 0);
    FUZZ_CHECK(kernel_.bad_closes().empty());
  }

  eventloop::FakeEventLoop loop_;
  ipc::FakeKernel kernel_{loop_};
  LocalSocket writer_{loop_, kernel_};
  LocalSocket reader_{loop_, kernel_};
  std::vector<int> files_;
  std::vector<ino_t> inodes_;
  std::string accepted_;  // Every byte the writer accepted, in order.
  std::vector<Batch> batches_;
  std::vector<ino_t> taken_;      // The inodes of every fd the reader took, in order.
  uint64_t consumed_ = 0;         // Bytes the reader read.
  uint64_t flushed_ = 0;          // Bytes bytes_written reported.
  Error failure_ = Error::kNone;  // What error_occurred reported for the writer.
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  Session session;
  session.Run(input);
  return 0;
}
