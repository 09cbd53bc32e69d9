#include "testing/long_tests.h"

#include <stdlib.h>
#include <string.h>

namespace ipc {
namespace test {

bool LongTestsEnabled() {
  const char* value = getenv(kLongTestsVariable);
  return value != nullptr && strcmp(value, "1") == 0;
}

}  // namespace test
}  // namespace ipc
