// The live C++ heap of a test binary, for leak and boundedness checks that RSS cannot make
// (glibc and the sanitizers keep freed memory). Linking //testing:heap_counter into a binary
// replaces the global operator new and delete (every form) with malloc/free plus counters: the
// bytes live (each block counted at its malloc_usable_size), their peak, and the number of
// allocations. Memory taken with malloc directly (libevent's) is not seen.
//
// Threads: every function is thread-safe (relaxed atomics); the counts cover all threads.
#ifndef LOCALSOCKET_TESTING_HEAP_COUNTER_H_
#define LOCALSOCKET_TESTING_HEAP_COUNTER_H_

#include <cstdint>

namespace ipc {
namespace test {

// Bytes allocated with operator new and not yet deleted, in this process.
int64_t LiveHeapBytes();
// The highest LiveHeapBytes() since the last ResetPeakLiveHeap() (or since the start).
int64_t PeakLiveHeapBytes();
// Starts a new peak measurement at the current LiveHeapBytes().
void ResetPeakLiveHeap();
// The number of operator new calls so far (any form, any thread).
uint64_t HeapAllocationCount();

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_HEAP_COUNTER_H_
