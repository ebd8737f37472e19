#pragma once
// Steps the kernel programs share (sim/pulp/programs/*.cpp): the requantisation of one output
// (sim/common/requant.h's arithmetic as the core executes it) and the per-pixel row walk.
// Internal to sim/pulp.

#include <cstdint>

#include "isa/program_common.pb.h"
#include "sim/pulp/cores/core_ops.h"
#include "sim/pulp/programs/families.h"

namespace wb::sim::pulp {

// True when a requant field has one entry per output channel (else one for the tensor, held in
// a register for the whole call).
inline bool requant_per_channel(const isa::Requant& requant) {
  return requant.multiplier_size() > 1 || requant.offset_size() > 1 || requant.shift_size() > 1;
}

// A channel's requant constants (PULP-NN's k and lambda, two lw) when they differ per channel.
// The call holds no L1 address for them (they travel in the KernelCall, isa/pulp.proto; the
// tiler budgets their bytes but the tile program places no buffer), so each load is an issue
// slot that takes no TCDM bank: an Alu op. The model misses their bank conflicts, nothing else.
inline void requant_channel_constants(CoreProgramBuilder& b, const isa::Requant& requant) {
  if (requant_per_channel(requant)) b.alu(2);
}

// y = clip(wrap16?((v * multiplier + offset) >> shift)) into the output byte, as PULP-NN's
// pulp_nn_bn_quant_u8: p.mul, add (the offset with the rounding half folded in, PULP-NN's
// lambda), sra, p.exths when the requant wraps to 16 bits, p.clip; then sb.
inline void requant_and_store(CoreProgramBuilder& b, const isa::Requant& requant, std::uint32_t output_address) {
  b.alu(requant.intermediate_bits() == 16 ? 5 : 4);
  b.store(output_address, 1);
}

// The program of a kernel that works pixel by pixel over all of a pixel's channels (softmax,
// layernorm): each core its share of the output rows, per row its input and output pointers
// (two ALU ops), then `pixel(index, builder)` for each pixel of the row.
template <typename PixelSteps>
CoreProgram per_pixel_program(const isa::pulp::KernelCall& call, int core, int cores, PixelSteps pixel) {
  CoreProgram program;
  const CoreItems rows = core_items(call.h_out(), core, cores);
  if (rows.count() == 0) return program;
  CoreProgramBuilder b(program);
  for (std::uint32_t oh = rows.begin; oh < rows.end; ++oh) {
    b.alu(2);
    for (std::uint32_t ow = 0; ow < call.w_out(); ++ow) pixel(std::uint64_t{oh} * call.w_out() + ow, b);
  }
  return program;
}

}  // namespace wb::sim::pulp
