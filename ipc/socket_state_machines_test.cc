// LocalSocket's state machines: the header comment shows exactly the code's tables, every
// state is reachable, and every cell of every table does what it says when fed, reaching each
// state through the table itself. Undefined cells abort in debug builds.
#include "ipc/socket_state_machines.h"

#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

// The block between "// TABLE <name>" and "// END TABLE" in the header, without the "// ".
std::string TableInHeader(const std::string& name) {
  std::ifstream header("ipc/socket_state_machines.h");
  EXPECT_TRUE(header.is_open());
  std::string line;
  std::string text;
  bool inside = false;
  while (std::getline(header, line)) {
    if (line == "// TABLE " + name) {
      inside = true;
    } else if (line == "// END TABLE") {
      inside = false;
    } else if (inside) {
      text += line.substr(3) + "\n";
    }
  }
  return text;
}

// The events that lead from the initial state to each reachable state (breadth first).
template <typename Traits>
std::map<typename Traits::State, std::vector<typename Traits::Event>> PathsToStates() {
  using State = typename Traits::State;
  using Event = typename Traits::Event;
  std::map<State, std::vector<Event>> paths{{Traits::kInitial, {}}};
  std::deque<State> queue{Traits::kInitial};
  while (!queue.empty()) {
    const State from = queue.front();
    queue.pop_front();
    for (size_t e = 0; e < Traits::kEventCount; ++e) {
      const auto event = static_cast<Event>(e);
      const Cell<State> cell = StateMachine<Traits>::Lookup(from, event);
      if (cell.kind != CellKind::kMove || paths.count(cell.next) != 0) continue;
      std::vector<Event> path = paths[from];
      path.push_back(event);
      paths[cell.next] = path;
      queue.push_back(cell.next);
    }
  }
  return paths;
}

template <typename Traits>
class StateMachineTest : public ::testing::Test {};

using Machines =
    ::testing::Types<ConnectionTraits, ConnectPhaseTraits, ReadSideTraits, WriteSideTraits>;
class MachineNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(StateMachineTest, Machines, MachineNames);

TYPED_TEST(StateMachineTest, TheHeaderCommentShowsTheCodeTable) {
  EXPECT_EQ(TableInHeader(TypeParam::kName), RenderTable<TypeParam>())
      << "update the table in ipc/socket_state_machines.h to:\n"
      << RenderTable<TypeParam>();
}

TYPED_TEST(StateMachineTest, EveryStateIsReachable) {
  EXPECT_EQ(PathsToStates<TypeParam>().size(), TypeParam::kStateCount);
}

TYPED_TEST(StateMachineTest, EveryDefinedCellDoesWhatTheTableSays) {
  using State = typename TypeParam::State;
  using Event = typename TypeParam::Event;
  for (const auto& [state, path] : PathsToStates<TypeParam>()) {
    for (size_t e = 0; e < TypeParam::kEventCount; ++e) {
      const auto event = static_cast<Event>(e);
      StateMachine<TypeParam> machine;
      for (const Event step : path) machine.Feed(step);
      ASSERT_EQ(machine.state(), state);
      const Cell<State> cell = StateMachine<TypeParam>::Lookup(state, event);
      if (cell.kind == CellKind::kUndefined) continue;
      SCOPED_TRACE(::testing::Message()
                   << TypeParam::StateName(state) << " x " << TypeParam::EventName(event));
      EXPECT_EQ(machine.Peek(event).kind, cell.kind);
      EXPECT_EQ(machine.state(), state) << "Peek changes nothing";
      EXPECT_EQ(machine.Feed(event).kind, cell.kind);
      EXPECT_EQ(machine.state(), cell.kind == CellKind::kMove ? cell.next : state);
    }
  }
}

#ifndef NDEBUG
TYPED_TEST(StateMachineTest, AnUndefinedCellAbortsNamingStateAndEvent) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  using Event = typename TypeParam::Event;
  int undefined = 0;
  for (const auto& [state, path] : PathsToStates<TypeParam>()) {
    for (size_t e = 0; e < TypeParam::kEventCount; ++e) {
      const auto event = static_cast<Event>(e);
      if (StateMachine<TypeParam>::Lookup(state, event).kind != CellKind::kUndefined) continue;
      ++undefined;
      StateMachine<TypeParam> machine;
      for (const Event step : path) machine.Feed(step);
      const std::string message = std::string(TypeParam::kName) + " state machine: event " +
                                  TypeParam::EventName(event) + " cannot happen in state " +
                                  TypeParam::StateName(state);
      EXPECT_DEATH(machine.Feed(event), message);
    }
  }
  if (undefined == 0) GTEST_SKIP() << "no undefined cell";
}
#endif

TEST(SocketStateMachinesTest, EventsAndSubStatesPrintTheirNames) {
  std::ostringstream out;
  out << ConnectionEvent::kPeerEofWritesPending << " " << ConnectPhase::kBackoff << " "
      << ReadSide::kAtEof << " " << WriteSideEvent::kShutdownRequested;
  EXPECT_EQ(out.str(), "kPeerEofWritesPending kBackoff kAtEof kShutdownRequested");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
