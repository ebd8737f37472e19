#pragma once
// The integer primitives of docs/quant.md ("Integer arithmetic"), written for the golden
// model only: the simulators implement the same contract on their own (DESIGN.md §3), so
// that "bit-exact" compares two independent implementations.
//
// Everything is computed in int64 exactly as the contract states it. A value that would
// leave int64 is not wrapped silently: it throws std::logic_error (a quantizer bug, since
// the contract promises the arithmetic fits).

#include <cstddef>
#include <cstdint>

#include "compiler/quant/qgraph.h"

namespace wb::golden {

// a + b and a * b, or std::logic_error (naming `what`) if the result leaves int64.
std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what);

// rshift_round(v, s) = s > 0 ? (v + 2^(s-1)) >> s   (arithmetic shift: rounds half up)
//                    : s == 0 ? v
//                    : v << -s                       (a left shift, i.e. v * 2^-s)
// s must be in [-62, 63]; std::logic_error if the result (or v + 2^(s-1)) leaves int64.
std::int64_t rshift_round(std::int64_t v, int s);

// The requantisation of Conv, Add and AvgPool for one value of output channel `channel`:
//   r   = rshift_round(v * multiplier[c] + offset[c], shift[c])
//   r16 = intermediate_bits == 16 ? (int16_t) r : r     (low 16 bits, two's complement)
//   y   = clamp(r16, lo, hi)
// A Requant with single-entry vectors applies them to every channel; otherwise `channel`
// must index them (std::logic_error if it does not).
std::int64_t requantize(std::int64_t v, const quant::Requant& r, std::size_t channel);

}  // namespace wb::golden
