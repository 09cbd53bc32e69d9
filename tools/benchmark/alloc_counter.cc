// The replacement global operator new/delete of the bench binary: malloc/free underneath, plus
// an atomic count of the allocations (see alloc_counter.h).
#include "tools/benchmark/alloc_counter.h"

#include <stdlib.h>

#include <atomic>
#include <cstddef>
#include <new>

namespace bench {
namespace {

std::atomic<uint64_t> allocations{0};

// Counts one allocation and returns `size` bytes aligned to `alignment` (0: malloc's), or
// nullptr when the heap is exhausted.
void* CountedAllocate(size_t size, size_t alignment) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return malloc(size);
  void* memory = nullptr;
  return posix_memalign(&memory, alignment, size) == 0 ? memory : nullptr;
}

// CountedAllocate, throwing std::bad_alloc on exhaustion as operator new must.
void* CountedAllocateOrThrow(size_t size, size_t alignment) {
  void* memory = CountedAllocate(size, alignment);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

}  // namespace

uint64_t AllocationCount() { return allocations.load(std::memory_order_relaxed); }

}  // namespace bench

// Every replaceable form of operator new counts; every operator delete frees.
void* operator new(size_t size) { return bench::CountedAllocateOrThrow(size, 0); }
void* operator new[](size_t size) { return bench::CountedAllocateOrThrow(size, 0); }
void* operator new(size_t size, std::align_val_t alignment) {
  return bench::CountedAllocateOrThrow(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment) {
  return bench::CountedAllocateOrThrow(size, static_cast<size_t>(alignment));
}
void* operator new(size_t size, const std::nothrow_t& /*tag*/) noexcept {
  return bench::CountedAllocate(size, 0);
}
void* operator new[](size_t size, const std::nothrow_t& /*tag*/) noexcept {
  return bench::CountedAllocate(size, 0);
}
void* operator new(size_t size, std::align_val_t alignment,
                   const std::nothrow_t& /*tag*/) noexcept {
  return bench::CountedAllocate(size, static_cast<size_t>(alignment));
}
void* operator new[](size_t size, std::align_val_t alignment,
                     const std::nothrow_t& /*tag*/) noexcept {
  return bench::CountedAllocate(size, static_cast<size_t>(alignment));
}

void operator delete(void* memory) noexcept { free(memory); }
void operator delete[](void* memory) noexcept { free(memory); }
void operator delete(void* memory, size_t /*size*/) noexcept { free(memory); }
void operator delete[](void* memory, size_t /*size*/) noexcept { free(memory); }
void operator delete(void* memory, std::align_val_t /*alignment*/) noexcept { free(memory); }
void operator delete[](void* memory, std::align_val_t /*alignment*/) noexcept { free(memory); }
void operator delete(void* memory, size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  free(memory);
}
void operator delete[](void* memory, size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  free(memory);
}
void operator delete(void* memory, const std::nothrow_t& /*tag*/) noexcept { free(memory); }
void operator delete[](void* memory, const std::nothrow_t& /*tag*/) noexcept { free(memory); }
void operator delete(void* memory, std::align_val_t /*alignment*/,
                     const std::nothrow_t& /*tag*/) noexcept {
  free(memory);
}
void operator delete[](void* memory, std::align_val_t /*alignment*/,
                       const std::nothrow_t& /*tag*/) noexcept {
  free(memory);
}
