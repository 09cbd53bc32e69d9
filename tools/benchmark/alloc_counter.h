// Heap allocation counting for the benchmark: the bench binary replaces the global operator
// new (every form) with one that counts its calls, so a process can measure how many C++ heap
// allocations a stretch of its work made. Allocations made with malloc (libevent's) are not
// counted.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_ALLOC_COUNTER_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_ALLOC_COUNTER_H_

#include <cstdint>

namespace bench {

// The number of operator new calls (any form, any thread) in this process so far.
uint64_t AllocationCount();

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_ALLOC_COUNTER_H_
