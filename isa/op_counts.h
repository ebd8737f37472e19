#pragma once
// Ops per output element of the operators whose count DESIGN.md §4.4 does not spell out, one
// figure for both targets' reports (and xDNN's host time): a softmax's row max (a compare per
// element), exp lookup, row sum (an add per element) and rounded division; a resize's four
// weighted taps (a multiply and an add each, nearest or bilinear alike: the integer form
// always sums four); a LayerNorm's per element row sum, centring (n * x - sum), square
// accumulation, normalisation (a multiply by the row's reciprocal) and gamma/beta multiply-add
// (the row's square root and one division are per row, not counted per element); a product
// of two activations (attention's Q.K^T and A.V): a multiply and an add per MAC, as a conv's.

#include <cstdint>

namespace wb::isa {

inline constexpr std::uint64_t kSoftmaxOpsPerElement = 4;
inline constexpr std::uint64_t kResizeOpsPerElement = 8;
inline constexpr std::uint64_t kLayerNormOpsPerElement = 5;
inline constexpr std::uint64_t kMatMulOpsPerMac = 2;

}  // namespace wb::isa
