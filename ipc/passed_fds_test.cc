// PassedFds and the SCM_RIGHTS helpers: where sends are split, when batches and received fds
// are closed (FdLedger), and control messages built and parsed within their bounds.
#include "ipc/passed_fds.h"

#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace internal {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class PassedFdsTest : public ::testing::Test {
 protected:
  PassedFdsTest() { EXPECT_CALL(os_, Close(_)).WillRepeatedly(ledger_.Close()); }
  ~PassedFdsTest() override {
    EXPECT_THAT(ledger_.open_fds(), IsEmpty());
    EXPECT_THAT(ledger_.bad_closes(), IsEmpty());
  }

  // A batch of `n` fresh fds.
  std::vector<OsFd> Batch(int n) {
    std::vector<OsFd> fds;
    for (int i = 0; i < n; ++i) fds.emplace_back(os_, ledger_.Mint());
    return fds;
  }

  // NextSend as (bytes, first fd of the batch or -1).
  std::pair<size_t, int> Next(const PassedFds& passed, size_t buffered) {
    const std::vector<OsFd>* fds = nullptr;
    const size_t n = passed.NextSend(buffered, &fds);
    return {n, fds == nullptr ? -1 : (*fds)[0].get()};
  }

  ::testing::StrictMock<MockOsCalls> os_;
  FdLedger ledger_;
};

TEST_F(PassedFdsTest, SendsStopBeforeEachFdCarryingByteAndStartAtIt) {
  PassedFds passed(os_);
  EXPECT_EQ(Next(passed, 10), std::make_pair(size_t{10}, -1));  // Nothing attached.
  std::vector<OsFd> first = Batch(2);
  const int first_fd = first[0].get();
  const int first_other = first[1].get();
  passed.Attach(3, std::move(first));
  std::vector<OsFd> second = Batch(1);
  const int second_fd = second[0].get();
  passed.Attach(5, std::move(second));
  EXPECT_TRUE(passed.HasOutgoing());
  EXPECT_EQ(Next(passed, 10), std::make_pair(size_t{3}, -1));
  passed.Sent(2);
  EXPECT_EQ(Next(passed, 8), std::make_pair(size_t{1}, -1));
  passed.Sent(1);
  EXPECT_EQ(Next(passed, 7), std::make_pair(size_t{2}, first_fd));
  EXPECT_TRUE(ledger_.IsOpen(first_fd));
  passed.Sent(1);  // Partly: the batch went with its byte.
  EXPECT_FALSE(ledger_.IsOpen(first_fd));
  EXPECT_FALSE(ledger_.IsOpen(first_other));
  EXPECT_EQ(Next(passed, 6), std::make_pair(size_t{1}, -1));
  passed.Sent(1);
  EXPECT_EQ(Next(passed, 5), std::make_pair(size_t{5}, second_fd));
  EXPECT_EQ(Next(passed, 1), std::make_pair(size_t{1}, second_fd));
  passed.Sent(5);
  EXPECT_FALSE(ledger_.IsOpen(second_fd));
  EXPECT_FALSE(passed.HasOutgoing());
}

TEST_F(PassedFdsTest, DroppingTheOutgoingBatchesClosesThem) {
  PassedFds passed(os_);
  passed.Attach(0, Batch(3));
  passed.Attach(4, Batch(1));
  passed.DropOutgoing();
  EXPECT_FALSE(passed.HasOutgoing());
  EXPECT_THAT(ledger_.open_fds(), IsEmpty());
  // Later batches count from the new front of the buffer.
  std::vector<OsFd> batch = Batch(1);
  const int fd = batch[0].get();
  passed.Attach(2, std::move(batch));
  EXPECT_EQ(Next(passed, 9), std::make_pair(size_t{2}, -1));
  passed.Sent(2);
  EXPECT_EQ(Next(passed, 7), std::make_pair(size_t{7}, fd));
  passed.DropOutgoing();
}

TEST_F(PassedFdsTest, ReceivedFdsAreTakenInOrderAndConsumedOnesClosed) {
  PassedFds passed(os_);
  const int a = ledger_.Mint();
  const int b = ledger_.Mint();
  const int c = ledger_.Mint();
  passed.AddReceived(a, 4);
  passed.AddReceived(b, 4);
  passed.AddReceived(c, 9);
  EXPECT_EQ(passed.received_count(), 3u);
  passed.CloseConsumed(3);  // a's and b's bytes end at 4: perhaps unread.
  EXPECT_EQ(passed.received_count(), 3u);
  passed.CloseConsumed(4);
  EXPECT_FALSE(ledger_.IsOpen(a));
  EXPECT_FALSE(ledger_.IsOpen(b));
  EXPECT_TRUE(ledger_.IsOpen(c));
  std::vector<UniqueFd> taken = passed.TakeReceived();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].release(), c);
  ledger_.Close()(c);
  EXPECT_EQ(passed.received_count(), 0u);
  const int d = ledger_.Mint();
  passed.AddReceived(d, 12);
  passed.DropReceived();
  EXPECT_FALSE(ledger_.IsOpen(d));
}

TEST_F(PassedFdsTest, ControlMessagesRoundTrip) {
  std::vector<OsFd> fds = Batch(3);
  RightsControlBuffer buffer;
  msghdr message{};
  SetRights(fds, buffer, message);
  EXPECT_EQ(message.msg_controllen, CMSG_SPACE(3 * sizeof(int)));
  std::vector<int> parsed;
  ForEachReceivedFd(message, [&](int fd) { parsed.push_back(fd); });
  EXPECT_THAT(parsed, ElementsAre(fds[0].get(), fds[1].get(), fds[2].get()));
}

TEST_F(PassedFdsTest, ParsingStaysWithinTheControlLength) {
  RightsControlBuffer buffer;
  std::memset(buffer.bytes, 0, sizeof(buffer.bytes));
  msghdr message{};
  std::vector<int> parsed;
  const auto parse = [&] {
    parsed.clear();
    ForEachReceivedFd(message, [&](int fd) { parsed.push_back(fd); });
  };
  parse();  // No control buffer.
  EXPECT_THAT(parsed, IsEmpty());
  message.msg_control = buffer.bytes;
  message.msg_controllen = sizeof(buffer.bytes);
  parse();  // A zeroed header: nothing.
  EXPECT_THAT(parsed, IsEmpty());

  // A header claiming 4 fds in a control length that holds 2.
  auto* header = reinterpret_cast<cmsghdr*>(buffer.bytes);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(4 * sizeof(int));
  const int fds[4] = {11, 12, 13, 14};
  std::memcpy(CMSG_DATA(header), fds, sizeof(fds));
  message.msg_controllen = CMSG_LEN(2 * sizeof(int));
  parse();
  EXPECT_THAT(parsed, ElementsAre(11, 12));
  message.msg_controllen = 0;
  parse();
  EXPECT_THAT(parsed, IsEmpty());

  // Another kind of control message is skipped.
  header->cmsg_type = SCM_CREDENTIALS;
  message.msg_controllen = sizeof(buffer.bytes);
  parse();
  EXPECT_THAT(parsed, IsEmpty());
}

}  // namespace
}  // namespace internal
}  // namespace ipc
