#pragma once
// The integer LayerNorm both simulators run (isa/program_common.proto, message LayerNorm;
// docs/quant.md "Integer LayerNorm"). Written independently of compiler/quant: the arithmetic
// is the contract, not the code. xDNN's host reads the parameters from the instruction, PULP's
// kernel from its call and its L1 table.

#include <cstdint>
#include <span>
#include <string>

#include "isa/program_common.pb.h"

namespace wb::sim {

// The per-row constants of a LayerNorm.
struct LayerNormRow {
  std::int64_t output_lo = 0, output_hi = 0;
  std::uint64_t eps_mantissa = 0;  // epsilon in the sum of squares' units: eps_mantissa * 2^eps_exponent
  int eps_exponent = 0;
  std::uint64_t eps_ceil = 0;  // >= that epsilon: sizes the radicand without overflow
  int shift = 0;
  bool rms = false;  // an RMSNorm: d[i] = x[i], no mean subtracted
};

// y[i] for the row x (gamma, beta and y of its length); the caller checked the bounds of the
// parameters (layernorm_problem, or the target's own call check).
void layernorm_row(std::span<const std::int32_t> x, std::span<const std::int64_t> gamma,
                   std::span<const std::int64_t> beta, const LayerNormRow& row, std::span<std::int32_t> y);

// The same with the parameters as a program carries them.
LayerNormRow layernorm_row_constants(const isa::LayerNorm& params);
void layernorm_row(std::span<const std::int32_t> x, const isa::LayerNorm& params, std::span<std::int32_t> y);

// "" when `params` can normalise rows of `channels` values in [input_lo, input_hi] without
// overflowing 64 bits (the bounds in the proto's comment), else why not.
std::string layernorm_problem(const isa::LayerNorm& params, std::uint32_t channels, std::int64_t input_lo,
                              std::int64_t input_hi);

// floor(sqrt(v)) by Newton's iteration from 2^ceil(bit_width(v) / 2), and how many divisions
// it took (PULP's core program charges the bound, 7).
std::uint64_t integer_sqrt(std::uint64_t v, int* divisions = nullptr);

// ceil(m * 2^e); the uint64 maximum when it needs more than 63 bits.
std::uint64_t epsilon_ceiling(std::uint64_t mantissa, int exponent);

}  // namespace wb::sim
