// Checks the transition function against the table in connection_state_machine.h, cell by cell.
#include "ipc/connection_state_machine.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

using State = LocalSocket::State;
using Kind = Transition::Kind;

// One row of the header's table per event: the cell for each state, in the order
// Unconnected, Connecting, Connected, Closing. "U", "Cg", "Cd", "Cl" = move to that state,
// "U*" = to Unconnected through Closing, "=" stay, "refuse", "-" ignore.
struct Row {
  SocketEvent event;
  const char* cells[4];
};

constexpr Row kTable[] = {
    {SocketEvent::kConnectRequested, {"Cg", "refuse", "refuse", "refuse"}},
    {SocketEvent::kConnectCompleted, {"-", "Cd", "-", "-"}},
    {SocketEvent::kConnectFailed, {"-", "U", "-", "-"}},
    {SocketEvent::kConnectRetry, {"-", "=", "-", "-"}},
    {SocketEvent::kConnectTimeout, {"-", "U", "-", "-"}},
    {SocketEvent::kDescriptorAdopted, {"Cd", "refuse", "refuse", "refuse"}},
    {SocketEvent::kReadable, {"-", "-", "=", "="}},
    {SocketEvent::kWritable, {"-", "=", "=", "="}},
    {SocketEvent::kPeerEof, {"-", "-", "U*", "U"}},
    {SocketEvent::kIoError, {"-", "-", "U*", "U"}},
    {SocketEvent::kReadBufferFull, {"-", "-", "=", "="}},
    {SocketEvent::kReadBufferDrained, {"=", "=", "=", "="}},
    {SocketEvent::kDisconnectRequested, {"=", "U", "Cl", "="}},
    {SocketEvent::kClose, {"=", "U", "Cl", "="}},
    {SocketEvent::kAbort, {"=", "U", "U", "U"}},
    {SocketEvent::kWriteBufferDrained, {"-", "-", "=", "U"}},
};
constexpr State kStates[] = {State::kUnconnected, State::kConnecting, State::kConnected,
                             State::kClosing};

Transition Expected(const std::string& cell, State from) {
  if (cell == "=") return {Kind::kStay, from, false};
  if (cell == "-") return {Kind::kIgnore, from, false};
  if (cell == "refuse") return {Kind::kRefuse, from, false};
  if (cell == "U*") return {Kind::kMove, State::kUnconnected, true};
  if (cell == "U") return {Kind::kMove, State::kUnconnected, false};
  if (cell == "Cg") return {Kind::kMove, State::kConnecting, false};
  if (cell == "Cd") return {Kind::kMove, State::kConnected, false};
  if (cell == "Cl") return {Kind::kMove, State::kClosing, false};
  ADD_FAILURE() << "bad cell " << cell;
  return {};
}

TEST(ConnectionStateMachineTest, TableCoversEveryEventOnce) {
  ASSERT_EQ(sizeof(kTable) / sizeof(kTable[0]), static_cast<size_t>(kSocketEventCount));
  for (int i = 0; i < kSocketEventCount; ++i) {
    EXPECT_EQ(static_cast<int>(kTable[i].event), i) << "row " << i;
  }
}

TEST(ConnectionStateMachineTest, EveryCellMatchesTheDocumentedTable) {
  for (const Row& row : kTable) {
    for (int s = 0; s < 4; ++s) {
      const State from = kStates[s];
      const Transition want = Expected(row.cells[s], from);
      const Transition got = NextTransition(from, row.event);
      SCOPED_TRACE(testing::Message()
                   << from << " x " << row.event << " (cell " << row.cells[s] << ")");
      EXPECT_EQ(got.kind, want.kind);
      EXPECT_EQ(got.next, want.next);
      EXPECT_EQ(got.through_closing, want.through_closing);
    }
  }
}

TEST(ConnectionStateMachineTest, NonMovingCellsKeepTheState) {
  for (int e = 0; e < kSocketEventCount; ++e) {
    for (State from : kStates) {
      const Transition t = NextTransition(from, static_cast<SocketEvent>(e));
      if (t.kind != Kind::kMove) {
        EXPECT_EQ(t.next, from);
      }
    }
  }
}

TEST(ConnectionStateMachineTest, EventsPrintTheirNames) {
  std::ostringstream out;
  out << SocketEvent::kWriteBufferDrained << " " << SocketEvent::kConnectRequested;
  EXPECT_EQ(out.str(), "kWriteBufferDrained kConnectRequested");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
