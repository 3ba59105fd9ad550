// Caching allocator: 64-byte aligned buffers reused by size class, so that a steady-state
// training step takes no new memory from the OS. Sanitizer builds (HEED_NO_CACHING_ALLOCATOR)
// go straight to the OS so AddressSanitizer still sees use-after-free and overflows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace heed {

struct AllocatorStats {
  uint64_t os_allocations = 0;  // buffers obtained from the OS (cache misses)
  uint64_t requests = 0;        // all allocate() calls
  std::size_t bytes_in_use = 0;
  std::size_t bytes_cached = 0;  // free buffers held for reuse
  std::size_t peak_bytes_in_use = 0;
};

void* allocate(std::size_t bytes);
void deallocate(void* ptr, std::size_t bytes);
AllocatorStats allocator_stats();
bool allocator_caches();          // false in sanitizer builds
void allocator_release_cached();  // returns cached buffers to the OS
// Restarts peak_bytes_in_use from the current bytes_in_use, to measure the peak of one phase.
void allocator_reset_peak();

// n values of a plain type T (masks, bf16 operands: what is not a float tensor) from this
// allocator, so memory measurements count them; freed with the buffer.
template <class T>
class Buffer {
 public:
  explicit Buffer(int64_t n)
      : bytes_(static_cast<std::size_t>(n > 0 ? n : 1) * sizeof(T)),
        data_(static_cast<T*>(allocate(bytes_))) {}
  ~Buffer() { deallocate(data_, bytes_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* data() const { return data_; }

 private:
  std::size_t bytes_;
  T* data_;
};

}  // namespace heed
