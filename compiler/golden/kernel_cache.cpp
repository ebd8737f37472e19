#include <cstdlib>
#include <new>

#include "compiler/golden/kernels.h"

namespace wb::golden {
namespace {

thread_local KernelCache* current_cache = nullptr;

}  // namespace

void KernelCache::FreeDeleter::operator()(void* p) const { std::free(p); }

void* KernelCache::scratch(std::size_t slot, std::size_t bytes) {
  Buffer& buffer = scratch_[slot];
  if (buffer.size < bytes) {
    constexpr std::size_t kAlign = 64;  // a cache line: what oneDNN's kernels prefer
    const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    buffer.data.reset();  // free first: the old and new buffers need not coexist
    buffer.data.reset(std::aligned_alloc(kAlign, rounded));
    if (!buffer.data) throw std::bad_alloc();
    buffer.size = rounded;
  }
  return buffer.data.get();
}

KernelCache* current_kernel_cache() { return current_cache; }

KernelCacheScope::KernelCacheScope(KernelCache* cache) : previous_(current_cache) { current_cache = cache; }

KernelCacheScope::~KernelCacheScope() { current_cache = previous_; }

}  // namespace wb::golden
