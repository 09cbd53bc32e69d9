// Internal: a table-driven state machine. A table maps (event, state) to a cell; Feed() is the
// only way the state changes, and it looks the cell up. A cell the table leaves undefined is a
// bug in the caller: debug builds abort, naming the machine, the state and the event.
#ifndef LOCALSOCKET_IPC_STATE_MACHINE_H_
#define LOCALSOCKET_IPC_STATE_MACHINE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ipc {
namespace internal {

// What an event does in a state.
enum class CellKind : uint8_t {
  kMove,       // To `next`.
  kStay,       // Handled; the state does not change.
  kRefuse,     // Misuse in this state: the operation is refused (kOperation).
  kIgnore,     // Harmless in this state: nothing happens.
  kUndefined,  // Cannot happen in this state: a bug (debug builds abort).
};

template <typename State>
struct Cell {
  CellKind kind;
  State next;  // For kMove; otherwise unused.
};

// Cell constructors for the tables.
template <typename State>
constexpr Cell<State> Move(State next) {
  return {CellKind::kMove, next};
}
template <typename State>
constexpr Cell<State> Stay() {
  return {CellKind::kStay, State{}};
}
template <typename State>
constexpr Cell<State> Refuse() {
  return {CellKind::kRefuse, State{}};
}
template <typename State>
constexpr Cell<State> Ignore() {
  return {CellKind::kIgnore, State{}};
}
template <typename State>
constexpr Cell<State> Undefined() {
  return {CellKind::kUndefined, State{}};
}

// Reports an undefined cell: aborts in debug builds with a message naming the machine, the
// state and the event; does nothing in release builds (the event is ignored).
void ReportUndefinedCell(const char* machine, const char* state, const char* event);

// Renders a table as text, one line per event: the event's name, then one cell per state
// ("-> kConnected", "=", "refuse", "ignore", "X"). Used to keep the header comments that show
// the tables in step with the code.
template <typename Traits>
std::string RenderTable();

// A state machine over `Traits`, which provides:
//   using State; using Event;                 (enums numbered from 0)
//   static constexpr size_t kStateCount, kEventCount;
//   static constexpr State kInitial;
//   static constexpr const char* kName;
//   static constexpr Cell<State> kTable[kEventCount][kStateCount];   (rows: events)
//   static const char* StateName(State); static const char* EventName(Event);
template <typename Traits>
class StateMachine {
 public:
  using State = typename Traits::State;
  using Event = typename Traits::Event;

  constexpr StateMachine() = default;

  State state() const { return state_; }

  // The cell for (`state`, `event`).
  static constexpr Cell<State> Lookup(State state, Event event) {
    return Traits::kTable[static_cast<size_t>(event)][static_cast<size_t>(state)];
  }
  // The cell the current state has for `event`; nothing changes.
  Cell<State> Peek(Event event) const { return Lookup(state_, event); }
  // Looks up the cell and, for a kMove, enters its state. Returns the cell.
  Cell<State> Feed(Event event) {
    const Cell<State> cell = Peek(event);
    if (cell.kind == CellKind::kMove) {
      state_ = cell.next;
    } else if (cell.kind == CellKind::kUndefined) {
      ReportUndefinedCell(Traits::kName, Traits::StateName(state_), Traits::EventName(event));
    }
    return cell;
  }

 private:
  State state_ = Traits::kInitial;
};

template <typename Traits>
std::string RenderTable() {
  using State = typename Traits::State;
  std::string cells[Traits::kEventCount][Traits::kStateCount];
  size_t name_width = 0;
  size_t width = 0;
  for (size_t e = 0; e < Traits::kEventCount; ++e) {
    name_width = std::max(
        name_width, std::string(Traits::EventName(static_cast<typename Traits::Event>(e))).size());
    for (size_t s = 0; s < Traits::kStateCount; ++s) {
      const Cell<State> cell = Traits::kTable[e][s];
      std::string& shown = cells[e][s];
      switch (cell.kind) {
        case CellKind::kMove:
          shown = std::string("-> ") + Traits::StateName(cell.next);
          break;
        case CellKind::kStay:
          shown = "=";
          break;
        case CellKind::kRefuse:
          shown = "refuse";
          break;
        case CellKind::kIgnore:
          shown = "ignore";
          break;
        case CellKind::kUndefined:
          shown = "X";
          break;
      }
      width = std::max(width, shown.size());
    }
  }
  std::string text;
  for (size_t e = 0; e < Traits::kEventCount; ++e) {
    std::string line = Traits::EventName(static_cast<typename Traits::Event>(e));
    for (size_t s = 0; s < Traits::kStateCount; ++s) {
      line.resize(name_width + 1 + s * (width + 1), ' ');
      line += cells[e][s];
    }
    text += line + "\n";
  }
  return text;
}

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_STATE_MACHINE_H_
