#pragma once
// The scheme rules that turn scales into requantisation parameters (docs/quant.md,
// "Schemes"). They depend only on the QGraph's tensor scales and types, the integer weights
// and bias, and the scheme, so a QGraph rebuilt from a QDQ model gets identical parameters.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"

namespace wb::quant {

// A real factor f > 0 as multiplier * 2^-shift with multiplier <= max_multiplier, using
// the largest shift in [min_shift, max_shift] that keeps the multiplier in range.
struct FixedPointFactor {
  std::int64_t multiplier = 0;
  int shift = 0;
};
FixedPointFactor fixed_point_factor(double factor, std::int64_t max_multiplier, int min_shift = -31,
                                    int max_shift = 47);

// Largest |sum(w * x) + bias| per output channel of a Conv that its types allow.
std::vector<std::int64_t> conv_accumulator_bounds(const QGraph& graph, const QNode& node);

// PULP-NN's batch-norm requantisation computes k * acc + lambda in int32; true when some
// input the types allow would overflow that, so the layer needs PULP-NN-mixed's 64-bit
// variant (int64 k and lambda). Our arithmetic is int64 and exact in both cases.
bool pulp_batchnorm_needs_64bit(const QGraph& graph, const QNode& node);

// A Lut's table: entry i is the function of the real value (lo(in) + i) * in.scale, divided
// by out.scale, rounded half to even and clamped to the output's range. Computed in double
// once, here: both implementations read the table, so no float arithmetic runs twice.
// Softmax's exp table for an input of this scale: entry i = round_half_even(exp((i - 255) *
// s_x) * 2^16), i = 0..255 (docs/quant.md).
std::vector<std::int64_t> softmax_exp_table(const QTensor& in);

// Swin's relative-position bias in the units of a scores MatMul's sums, s_a s_b matmul_factor:
// each entry of the float bias ([1, h, L, L'] or [h, L, L']) divided by that unit, rounded half to
// even and clamped to int32, as the I32 [h, L, L'] the node adds before its requantisation.
Tensor matmul_bias_levels(const Tensor& bias, double sums_scale);

// A LayerNorm's integer parameters (compiler/quant/integer_layernorm.h) from its float gamma,
// beta and epsilon and the input and output scales and types; UserError naming the node when
// they cannot be represented.
LayerNormParams layernorm_params(const QTensor& in, const QTensor& out, const QNode& node);

std::vector<std::int64_t> lut_table(const QTensor& in, const QTensor& out, const std::string& function, float alpha,
                                    float beta);

// Fills node.requant (and input_multiplier for Add, the table of a Lut) for every node of the graph, by the
// graph's scheme. Throws UserError naming the node when its scales cannot be represented
// (pow2 scales that are not powers of two, Concat inputs with different scales, ...).
void assign_requant(QGraph& graph);

}  // namespace wb::quant
