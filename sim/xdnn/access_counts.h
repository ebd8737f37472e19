#pragma once
// What each instruction reads and writes in the overlay's on-chip memories (docs/energy.md,
// "Events"): the counts the energy model charges, derived from what the units do with an
// instruction, the way timing.h derives its cycles. Pure functions of the instruction and the
// config, so a run without data counts the same.

#include <cstdint>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::sim::xdnn {

struct OnChipAccess {
  std::uint64_t am_read_bytes = 0, am_write_bytes = 0;
  std::uint64_t filter_cache_read_bytes = 0, filter_cache_write_bytes = 0;
  std::uint64_t pool_eltwise_elements = 0;  // elements the pool/eltwise block produced

  OnChipAccess& operator+=(const OnChipAccess& other);
};

// A conv on the array: each pass cycle the array reads m input pixels (MACs per DSP) of one AM
// word per pixel (a depthwise conv: one per column, its columns take different pixels), so its
// reads are array_peak_cycles x m (x cols) AM words of `rows` lanes, from AM when its input lives
// there; it writes its output rows once; each weight enters the array once per instruction (the
// DSPs hold it while the pixels stream past).
OnChipAccess conv_access(const isa::xdnn::Conv& conv, const XdnnParams& hw);
// A pool reads every window element of every output element and writes the output; an eltwise
// reads both operands and writes the output.
OnChipAccess pool_access(const isa::xdnn::StandalonePool& pool);
OnChipAccess eltwise_access(const isa::xdnn::Eltwise& eltwise);
// A copy reads `bytes` from its source and writes them to its destination: AM or the filter
// cache count (DDR is the DDR channel's).
OnChipAccess copy_access(const isa::xdnn::Copy& copy, std::uint64_t bytes);

}  // namespace wb::sim::xdnn
