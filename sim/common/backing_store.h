#pragma once
// A simulated memory's bytes, costing what a run touches. The whole size is reserved as address
// space (mmap, MAP_NORESERVE) and the kernel gives each page, zero-filled, on its first write;
// a page only read maps the shared zero page. This is how gem5's PhysicalMemory backs its
// memories: the size keys (l3_bytes, ddr_bytes...) become limits, not allocations, so
// `--set l3_bytes=64GiB` costs what the program writes, and a timing-only run, which writes no
// byte, costs nothing (docs/simulators.md, "Simulated memories").

#include <cstddef>
#include <cstdint>
#include <string>

namespace wb::sim {

// A contiguous range of bytes (data, size, begin, end), so a std::span views it.
class BackingStore {
 public:
  BackingStore() = default;
  // UserError naming `what` (e.g. "L3") when the address space cannot be reserved (a size past
  // what the machine can map, or strict overcommit: vm.overcommit_memory=2).
  BackingStore(std::uint64_t bytes, const std::string& what);
  ~BackingStore();
  BackingStore(BackingStore&& other) noexcept;
  BackingStore& operator=(BackingStore&& other) noexcept;
  BackingStore(const BackingStore&) = delete;
  BackingStore& operator=(const BackingStore&) = delete;

  std::uint8_t* data() { return bytes_; }
  const std::uint8_t* data() const { return bytes_; }
  std::uint64_t size() const { return size_; }
  std::uint8_t* begin() { return bytes_; }
  std::uint8_t* end() { return bytes_ + size_; }
  const std::uint8_t* begin() const { return bytes_; }
  const std::uint8_t* end() const { return bytes_ + size_; }

  // Bytes of the store the kernel holds pages for now (pages touched: written, or read and so
  // mapped to the zero page).
  std::uint64_t resident_bytes() const;

 private:
  void release();
  std::uint8_t* bytes_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace wb::sim
