#include "ipc/state_machine.h"

#include <cstdio>
#include <cstdlib>

namespace ipc {
namespace internal {

void ReportUndefinedCell(const char* machine, const char* state, const char* event) {
#ifndef NDEBUG
  std::fprintf(stderr, "localsocket: %s state machine: event %s cannot happen in state %s\n",
               machine, event, state);
  std::abort();
#else
  (void)machine;
  (void)state;
  (void)event;
#endif
}

}  // namespace internal
}  // namespace ipc
