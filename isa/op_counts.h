#pragma once
// Ops per output element of the operators whose count DESIGN.md §4.4 does not spell out, one
// figure for both targets' reports (and xDNN's host time): a softmax's row max (a compare per
// element), exp lookup, row sum (an add per element) and rounded division; a resize's four
// weighted taps (a multiply and an add each, nearest or bilinear alike: the integer form
// always sums four).

#include <cstdint>

namespace wb::isa {

inline constexpr std::uint64_t kSoftmaxOpsPerElement = 4;
inline constexpr std::uint64_t kResizeOpsPerElement = 8;

}  // namespace wb::isa
