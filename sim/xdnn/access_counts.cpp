#include "sim/xdnn/access_counts.h"

#include <algorithm>

#include "sim/xdnn/timing.h"

namespace wb::sim::xdnn {

namespace {

std::uint64_t elements(const isa::xdnn::TensorLayout& l) { return std::uint64_t{l.channels()} * l.height() * l.width(); }

bool in_am(const isa::xdnn::Region& region) { return region.memory() == isa::xdnn::MEMORY_AM; }

// Bytes a memory access moves to or from `memory` (0 when it is not one the counts keep).
void count(isa::xdnn::Memory memory, std::uint64_t bytes, bool read, OnChipAccess& access) {
  if (memory == isa::xdnn::MEMORY_AM) (read ? access.am_read_bytes : access.am_write_bytes) += bytes;
  if (memory == isa::xdnn::MEMORY_FILTER_CACHE) {
    (read ? access.filter_cache_read_bytes : access.filter_cache_write_bytes) += bytes;
  }
}

}  // namespace

OnChipAccess& OnChipAccess::operator+=(const OnChipAccess& other) {
  am_read_bytes += other.am_read_bytes;
  am_write_bytes += other.am_write_bytes;
  filter_cache_read_bytes += other.filter_cache_read_bytes;
  filter_cache_write_bytes += other.filter_cache_write_bytes;
  pool_eltwise_elements += other.pool_eltwise_elements;
  return *this;
}

OnChipAccess conv_access(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  OnChipAccess access;
  const auto& in = conv.input().layout();
  const auto& out = conv.output().layout();
  const std::uint64_t groups = std::max<std::uint32_t>(conv.groups(), 1);
  const bool depthwise = groups > 1 && in.channels() / groups == 1 && out.channels() / groups == 1;
  const bool narrow = in.element_bytes() == 1 && conv.weight_bytes() == 1;
  const std::uint64_t m = static_cast<std::uint64_t>(narrow ? hw.array.macs_per_dsp_int8 : hw.array.macs_per_dsp_int16);
  const std::uint64_t word_bytes = static_cast<std::uint64_t>(hw.array.rows) * std::max<std::uint32_t>(in.element_bytes(), 1);
  const std::uint64_t words_per_cycle = m * (depthwise ? static_cast<std::uint64_t>(hw.array.cols) : 1);
  if (in_am(conv.input())) {
    // A transposed conv's feeder inserts the zeros between input pixels itself: one word in
    // s_h x s_w it feeds comes from AM.
    const std::uint64_t inserted = std::uint64_t{std::max<std::uint32_t>(conv.window().input_dilation_h(), 1)} *
                                   std::max<std::uint32_t>(conv.window().input_dilation_w(), 1);
    access.am_read_bytes = array_peak_cycles(conv, hw) * words_per_cycle * word_bytes / inserted;
  }
  const std::uint64_t rows = conv.row_end() > conv.row_begin() ? conv.row_end() - conv.row_begin() : 0;
  if (in_am(conv.output())) {
    access.am_write_bytes = std::uint64_t{out.channels()} * rows * out.width() * std::max<std::uint32_t>(out.element_bytes(), 1);
  }
  access.filter_cache_read_bytes = std::uint64_t{out.channels()} * (in.channels() / groups) * conv.window().kernel_h() *
                                   conv.window().kernel_w() * std::max<std::uint32_t>(conv.weight_bytes(), 1);
  return access;
}

OnChipAccess pool_access(const isa::xdnn::StandalonePool& pool) {
  OnChipAccess access;
  const auto& out = pool.output().layout();
  const auto& w = pool.pool().window();
  const std::uint64_t n = elements(out);
  if (in_am(pool.input())) {
    access.am_read_bytes = n * w.kernel_h() * w.kernel_w() * std::max<std::uint32_t>(pool.input().layout().element_bytes(), 1);
  }
  if (in_am(pool.output())) access.am_write_bytes = n * std::max<std::uint32_t>(out.element_bytes(), 1);
  access.pool_eltwise_elements = n;
  return access;
}

OnChipAccess eltwise_access(const isa::xdnn::Eltwise& eltwise) {
  OnChipAccess access;
  const auto& out = eltwise.output().layout();
  const std::uint64_t n = elements(out);
  for (const isa::xdnn::Region* operand : {&eltwise.a(), &eltwise.b()}) {
    if (in_am(*operand)) access.am_read_bytes += n * std::max<std::uint32_t>(operand->layout().element_bytes(), 1);
  }
  if (in_am(eltwise.output())) access.am_write_bytes = n * std::max<std::uint32_t>(out.element_bytes(), 1);
  access.pool_eltwise_elements = n;
  return access;
}

OnChipAccess copy_access(const isa::xdnn::Copy& copy, std::uint64_t bytes) {
  OnChipAccess access;
  count(copy.source_memory(), bytes, true, access);
  count(copy.destination_memory(), bytes, false, access);
  return access;
}

}  // namespace wb::sim::xdnn
