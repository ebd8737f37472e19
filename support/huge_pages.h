#pragma once
// Large buffers on transparent huge pages. A network's weights (tens of MB, read from the model
// cache and packed into a program) are touched once, page by page; on a machine whose page
// faults are dear (this VM: 24,095 faults cost 0.21 s of system time in a timing-only ResNet-50
// run, about 9 us each) their 4 KiB pages' faults were most of that run (BENCHMARKS.md, "Tool
// speed"). Linux's default THP mode (`madvise`) gives 2 MiB pages only to ranges that ask, so
// the owners of such buffers ask, before the first touch.

#include <cstddef>

namespace wb {

// Buffers below this get no huge pages: their faults are few, and a 2 MiB page would be mostly
// empty.
inline constexpr std::size_t kHugePageBufferBytes = std::size_t{1} << 20;

// Asks the kernel for huge pages under [data, data + bytes) (its whole 4 KiB pages), when
// `bytes` >= kHugePageBufferBytes; call it before the buffer is written. Only advice: where THP
// is off, or on another OS, the buffer stays as it is.
void advise_huge_pages(void* data, std::size_t bytes);

// `bytes` of storage: from operator new below kHugePageBufferBytes, else its own mapping, 2 MiB
// aligned and rounded up to 2 MiB pages, advised as above (so each of its 2 MiB is one fault).
// Release it with release_large_buffer(p, bytes) of the same size. std::bad_alloc when it fails.
void* allocate_large_buffer(std::size_t bytes);
void release_large_buffer(void* p, std::size_t bytes) noexcept;

// A std allocator over those: for containers of large buffers (a tensor's bytes).
template <class T>
struct LargeBufferAllocator {
  using value_type = T;
  LargeBufferAllocator() = default;
  template <class U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_large_buffer(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { release_large_buffer(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const LargeBufferAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace wb
