#include "sim/common/backing_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "support/error.h"

namespace wb::sim {

BackingStore::BackingStore(std::uint64_t bytes, const std::string& what) : size_(bytes) {
  if (bytes == 0) return;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    const int error = errno;
    size_ = 0;
    throw UserError(fmt::format("the simulated {} ({} bytes) cannot be reserved as address space: {}; give its size "
                                "key a smaller value, or allow overcommit (vm.overcommit_memory 0 or 1)",
                                what, bytes, std::strerror(error)));
  }
  bytes_ = static_cast<std::uint8_t*>(p);
}

BackingStore::~BackingStore() { release(); }

BackingStore::BackingStore(BackingStore&& other) noexcept
    : bytes_(std::exchange(other.bytes_, nullptr)), size_(std::exchange(other.size_, 0)) {}

BackingStore& BackingStore::operator=(BackingStore&& other) noexcept {
  if (this != &other) {
    release();
    bytes_ = std::exchange(other.bytes_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void BackingStore::release() {
  if (bytes_ != nullptr) ::munmap(bytes_, size_);
  bytes_ = nullptr;
  size_ = 0;
}

std::uint64_t BackingStore::resident_bytes() const {
  if (bytes_ == nullptr) return 0;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  // mincore's vector is one byte a page; walked a window at a time so a 64 GiB store needs no
  // 16 MB vector.
  constexpr std::uint64_t kPagesPerWindow = 1 << 16;
  std::vector<unsigned char> resident(kPagesPerWindow);
  std::uint64_t pages = 0;
  for (std::uint64_t at = 0; at < size_; at += kPagesPerWindow * page) {
    const std::uint64_t length = std::min(size_ - at, kPagesPerWindow * page);
    if (::mincore(bytes_ + at, length, resident.data()) != 0) return 0;
    const std::uint64_t n = (length + page - 1) / page;
    for (std::uint64_t i = 0; i < n; ++i) pages += resident[i] & 1;
  }
  return pages * page;
}

}  // namespace wb::sim
