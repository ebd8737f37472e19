#include "support/huge_pages.h"

#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace wb {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t huge_rounded(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void advise_huge_pages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (data == nullptr || bytes < kHugePageBufferBytes) return;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void* allocate_large_buffer(std::size_t bytes) {
#if defined(__linux__)
  if (bytes >= kHugePageBufferBytes) {
    const std::size_t size = huge_rounded(bytes);
    // Map a huge page more, then unmap what lies outside the aligned range.
    void* mapped = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(mapped);
    const std::uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
    if (aligned > start) munmap(mapped, aligned - start);
    const std::uintptr_t tail = aligned + size, mapped_end = start + size + kHugePage;
    if (mapped_end > tail) munmap(reinterpret_cast<void*>(tail), mapped_end - tail);
    advise_huge_pages(reinterpret_cast<void*>(aligned), size);
    return reinterpret_cast<void*>(aligned);
  }
#endif
  return ::operator new(bytes);
}

void release_large_buffer(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
#if defined(__linux__)
  if (bytes >= kHugePageBufferBytes) {
    munmap(p, huge_rounded(bytes));
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace wb
