#include "compiler/pulp/l2_allocator.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace wb::pulp {

FirstFitAllocator::FirstFitAllocator(std::uint64_t bytes, std::uint64_t alignment) : alignment_(alignment) {
  if (alignment_ == 0) throw std::logic_error("FirstFitAllocator: zero alignment");
  const std::uint64_t usable = bytes / alignment_ * alignment_;
  if (usable > 0) free_[0] = usable;
}

std::optional<std::uint64_t> FirstFitAllocator::allocate(std::uint64_t bytes) {
  const std::uint64_t size = aligned(std::max<std::uint64_t>(bytes, 1));
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < size) continue;
    const std::uint64_t address = it->first;
    const std::uint64_t rest = it->second - size;
    free_.erase(it);
    if (rest > 0) free_[address + size] = rest;
    high_water_ = std::max(high_water_, address + size);
    return address;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> FirstFitAllocator::allocate_high(std::uint64_t bytes) {
  const std::uint64_t size = aligned(std::max<std::uint64_t>(bytes, 1));
  for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
    if (it->second < size) continue;
    const std::uint64_t address = it->first + it->second - size;
    it->second -= size;
    if (it->second == 0) free_.erase(std::next(it).base());
    high_water_ = std::max(high_water_, address + size);
    return address;
  }
  return std::nullopt;
}

void FirstFitAllocator::release(std::uint64_t address, std::uint64_t bytes) {
  std::uint64_t size = aligned(std::max<std::uint64_t>(bytes, 1));
  auto next = free_.lower_bound(address);
  if (next != free_.end() && next->first < address + size) throw std::logic_error("FirstFitAllocator: double free");
  if (next != free_.end() && next->first == address + size) {
    size += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto previous = std::prev(next);
    if (previous->first + previous->second > address) throw std::logic_error("FirstFitAllocator: double free");
    if (previous->first + previous->second == address) {
      previous->second += size;
      return;
    }
  }
  free_[address] = size;
}

std::uint64_t FirstFitAllocator::largest_free() const {
  std::uint64_t best = 0;
  for (const auto& [address, size] : free_) best = std::max(best, size);
  return best;
}

}  // namespace wb::pulp
