#pragma once
// The integer LayerNorm both simulators run (isa/program_common.proto, message LayerNorm;
// docs/quant.md "Integer LayerNorm"), on the fields the programs carry. Written independently
// of compiler/quant: the arithmetic is the contract, not the code.

#include <cstdint>
#include <span>
#include <string>

#include "isa/program_common.pb.h"

namespace wb::sim {

// "" when `params` can normalise rows of `channels` values in [input_lo, input_hi] without
// overflowing 64 bits (the bounds in the proto's comment), else why not.
std::string layernorm_problem(const isa::LayerNorm& params, std::uint32_t channels, std::int64_t input_lo,
                              std::int64_t input_hi);

// y[i] for the row x (both of params' length); the caller checked layernorm_problem.
void layernorm_row(std::span<const std::int32_t> x, const isa::LayerNorm& params, std::span<std::int32_t> y);

// floor(sqrt(v)) by Newton's iteration from 2^ceil(bit_width(v) / 2), and how many divisions
// it took (the cores' program charges the bound, 7).
std::uint64_t integer_sqrt(std::uint64_t v, int* divisions = nullptr);

}  // namespace wb::sim
