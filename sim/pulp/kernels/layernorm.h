#pragma once
// KERNEL_LAYERNORM's functional kernel (isa/pulp.proto): per pixel over its channels, the
// integer LayerNorm of docs/quant.md "Integer LayerNorm", written again here from that contract
// (the simulator does not call the compiler; tests check it against quant::layernorm_row and the
// golden model). Apart from sim/pulp/kernels/kernels.cpp, which dispatches.

#include <cstdint>
#include <span>
#include <string>

#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

// The table at `weights`: c_out little-endian int32 gamma multipliers, then c_out little-endian
// int64 beta offsets.
inline constexpr std::uint64_t kLayerNormTableBytesPerChannel = 12;

// Bytes of the call's table: 12 * c_out.
std::uint64_t layernorm_table_bytes(const isa::pulp::KernelCall& call);

// "" or what the call's fields get wrong for a layernorm: a parallel other than HO, a row too
// long for the 64-bit sum of squares, a shift outside 33..61, an epsilon mantissa of 2^53 or
// more, an epsilon above 2^62, a layernorm_eps_ceil other than ceil(mantissa * 2^exponent).
std::string layernorm_call_problem(const isa::pulp::KernelCall& call);

// The arithmetic of a row is sim/common/layernorm.h's, shared with xDNN's host.

// Runs a well-formed layernorm call on the L1 bytes. The table is data (it arrives by DMA): a
// gamma of -2^31 or a beta beyond +-2^61 is a UserError naming the channel, raised before any
// output byte is written.
void run_layernorm(const isa::pulp::KernelCall& call, std::span<std::uint8_t> l1);

}  // namespace wb::sim::pulp
