#include "isa/xdnn_access.h"

#include <algorithm>
#include <limits>

#include "isa/xdnn_program.h"

namespace wb::isa::xdnn {

namespace {

Access whole_filter_cache(bool write) {
  Access access;
  access.memory = MEMORY_FILTER_CACHE;
  access.begin = 0;
  access.end = std::numeric_limits<std::uint64_t>::max();
  access.write = write;
  return access;
}

std::vector<Access> copy_accesses(const Copy& c) {
  const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
  if (c.count() == 0 || c.chunk_bytes() == 0) return {};
  const std::uint64_t source_extent =
      (rows - 1) * c.source_row_stride() + (c.count() - 1) * c.source_stride() + c.chunk_bytes();
  const std::uint64_t destination_extent =
      (rows - 1) * c.destination_row_stride() + (c.count() - 1) * c.destination_stride() + c.chunk_bytes();
  // A load for a conv without ping-pong writes every DSP's weight memory: the whole filter cache.
  if (c.without_pingpong()) return {bytes_access(c.source_memory(), c.source(), source_extent, false), whole_filter_cache(true)};
  return {bytes_access(c.source_memory(), c.source(), source_extent, false),
          bytes_access(c.destination_memory(), c.destination(), destination_extent, true)};
}

}  // namespace

Access region_access(const Region& region, bool write) {
  Access access;
  access.memory = region.memory();
  access.begin = region.address();
  access.end = region.address() + buffer_bytes(region.layout());
  access.has_channels = region.layout().replication() <= 1;
  access.base = region.address();
  access.channel_begin = region.layout().channel_offset();
  access.channel_end = region.layout().channel_offset() + region.layout().channels();
  access.write = write;
  return access;
}

Access bytes_access(Memory memory, std::uint64_t begin, std::uint64_t bytes, bool write) {
  Access access;
  access.memory = memory;
  access.begin = begin;
  access.end = begin + bytes;
  access.write = write;
  return access;
}

std::vector<Access> instruction_accesses(const Instr& instr) {
  switch (instr.op_case()) {
    case Instr::kConv: {
      const Conv& c = instr.conv();
      const std::uint64_t groups = std::max<std::uint32_t>(c.groups(), 1);
      const std::uint64_t weights = std::uint64_t{c.output().layout().channels()} *
                                    (c.input().layout().channels() / groups) * c.window().kernel_h() *
                                    c.window().kernel_w() * c.weight_bytes();
      // Without ping-pong its weights hold every DSP's weight memory: the whole filter cache.
      return {region_access(c.input(), false), region_access(c.output(), true),
              c.without_pingpong() && !c.on_host()
                  ? whole_filter_cache(false)
                  : bytes_access(c.on_host() ? MEMORY_DDR : MEMORY_FILTER_CACHE, c.filter_address(), weights, false)};
    }
    case Instr::kPool: return {region_access(instr.pool().input(), false), region_access(instr.pool().output(), true)};
    case Instr::kEltwise:
      return {region_access(instr.eltwise().a(), false), region_access(instr.eltwise().b(), false),
              region_access(instr.eltwise().output(), true)};
    case Instr::kUpload: return copy_accesses(instr.upload());
    case Instr::kDownload: return copy_accesses(instr.download());
    case Instr::kLoadWeights: return copy_accesses(instr.load_weights());
    case Instr::kHostElementwise: {
      // The tables and the requant travel in the instruction: only the tensors are memory.
      const HostElementwise& h = instr.host_elementwise();
      std::vector<Access> accesses{region_access(h.a(), false), region_access(h.output(), true)};
      if (h.kind() == HOST_MUL || h.kind() == HOST_MATMUL) accesses.push_back(region_access(h.b(), false));
      return accesses;
    }
    case Instr::OP_NOT_SET: break;
  }
  return {};
}

bool conflict(const Access& a, const Access& b) {
  if (!a.write && !b.write) return false;
  if (a.memory != b.memory || a.end <= b.begin || b.end <= a.begin) return false;
  if (a.has_channels && b.has_channels && a.base == b.base) {
    return a.channel_begin < b.channel_end && b.channel_begin < a.channel_end;
  }
  return true;
}

}  // namespace wb::isa::xdnn
