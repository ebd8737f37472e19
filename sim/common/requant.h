#pragma once
// The requantisation both simulators apply (docs/quant.md), on isa::Requant as the programs
// carry it. Written independently of compiler/golden.

#include <cstdint>
#include <string>

#include "isa/program_common.pb.h"

namespace wb::sim {

// y = clamp(wrap16?(rshift_round(v * multiplier[c] + offset[c], shift[c])), lo, hi), computed
// in 128 bits; std::runtime_error if the shifted value does not fit 64 bits.
std::int32_t requantize(std::int64_t v, const isa::Requant& requant, std::size_t channel);

// "" when `requant` is well formed for `channels` output channels (1 or `channels` entries per
// field, an empty offset meaning 0, intermediate_bits 0 or 16, shifts in range, lo <= hi),
// else why not.
std::string requant_problem(const isa::Requant& requant, std::uint32_t channels);

}  // namespace wb::sim
