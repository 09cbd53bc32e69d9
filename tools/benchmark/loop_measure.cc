// The timers' delays (see loop_measure.h).
#include "tools/benchmark/loop_measure.h"

#include <random>

namespace bench {

std::vector<int> TimerDelaysMs(uint64_t count) {
  std::mt19937 random(20240607);
  std::uniform_int_distribution<int> delay(1, 1000);
  std::vector<int> delays(count);
  for (int& d : delays) d = delay(random);
  return delays;
}

}  // namespace bench
