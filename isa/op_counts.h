#pragma once
// Ops per output element of the operators whose count DESIGN.md §4.4 does not spell out, one
// figure for both targets' reports (and xDNN's host time): a softmax's row max (a compare per
// element), exp lookup, row sum (an add per element) and rounded division.

#include <cstdint>

namespace wb::isa {

inline constexpr std::uint64_t kSoftmaxOpsPerElement = 4;

}  // namespace wb::isa
