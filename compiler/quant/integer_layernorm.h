#pragma once
// Integer-only LayerNorm over one row (the channels of one pixel, the features of one token),
// after I-BERT (Kim et al. 2021, "I-BERT: Integer-only BERT Quantization"): statistics in
// integers, the standard deviation by an integer square root (Newton's iteration), one integer
// division per row. docs/quant.md, "Integer LayerNorm", is the contract in prose.
//
// Tensors are symmetric, no zero points: real = scale * q. For a row q[0..n) at scale s_x,
// float gamma[i], beta[i], epsilon and an output scale s_y the node computes
//
//   y[i] = clamp(round(((x[i] - mean) / sqrt(var + epsilon) * gamma[i] + beta[i]) / s_y), lo, hi)
//
// with x = s_x * q, mean and (biased) variance over the row. In integers:
//
//   sum  = sum_j q[j]                          d[i] = n * q[i] - sum    (exact: the mean times n)
//   V    = sum_j d[j]^2                        (= n^3 var / s_x^2, exact)
//   E    = epsilon * n^3 / s_x^2               (epsilon in V's units, a constant of the node)
//   (x[i] - mean) / sqrt(var + epsilon) = sqrt(n) * d[i] / sqrt(V + E)
//
// so with r[i] = d[i] / sqrt(V + E), |r[i]| <= 1, the output before rounding is
//   v[i] = r[i] * G[i] + B[i],   G[i] = sqrt(n) * gamma[i] / s_y,   B[i] = beta[i] / s_y.
//
// Run-time arithmetic (int64 unless said; all shifts arithmetic; "round" = half up, i.e.
// floor(v / 2^s + 1/2), as the QGraph's rshift_round):
//   1. sum, V as above (V in uint64; V < 2^62, see the bounds).
//   2. V == 0 (a constant row, or n == 1): r[i] = 0 for all i, whatever E (so the output is
//      round(beta[i] / s_y); ONNX's float LayerNorm gives the same when epsilon > 0).
//   3. (V > 0, hence V >= 2: the d[i] sum to 0)
//      k = (64 - bit_width(V + ceil(E))) / 2   (per row; 0 <= k <= 31)
//      A = V * 4^k + round(E * 4^k)            (uint64: 2^61 <= A < 2^64)
//      sigma = isqrt_floor(A)                  (~ sqrt(V + E) * 2^k, 31-32 bits)
//      inv = round(2^62 / sigma)               (the row's one division; 2^30 < inv < 2^32)
//      Scaling the radicand to the top of uint64 is what keeps short or low-variance rows
//      accurate: I-BERT's floor(sqrt(V)) is 1 for V = 2, a 41% error.
//   4. r_q30[i] = round(d[i] * 2^k * inv / 2^32)   (r[i] in Q30; |d[i] * 2^k| <= sigma)
//   5. acc[i] = r_q30[i] * gamma_multiplier[i] + beta_offset[i]
//      y[i] = clamp(round(acc[i] / 2^shift), lo, hi)
//   with gamma_multiplier[i] = round(G[i] * 2^(shift - 30)) (|.| < 2^31) and
//   beta_offset[i] = round(B'[i] * 2^shift) (|.| <= 2^61), B' = B clamped to
//   [lo - M - 2, hi + M + 2], M = max |G|: a beta beyond that saturates every output anyway.
//   shift is one per node, the largest in [0, 61] for which both fit; one shift (not one per
//   element) keeps beta in the same accumulator. For M <= 2^20 it is at least 40.
//
// RMSNorm (rms = true; Llama's, ONNX's RMSNormalization) is the same arithmetic without the
// mean: x[i] / sqrt(mean(x^2) + epsilon) * gamma[i] + beta[i]. With d[i] = q[i] (no centring),
// V = sum q[j]^2 = n mean(q^2) and E = epsilon * n / s_x^2, x[i] / sqrt(mean(x^2) + epsilon) =
// sqrt(n) * d[i] / sqrt(V + E): steps 2-5 and G, B are unchanged. V == 0 only for a row of
// zeros; V >= 1 otherwise, and |d[i]| <= sqrt(V) keeps step 4's bound. V <= n max(|lo|, hi)^2 is
// checked below 2^62.
//
// Widths: inputs of 2..32 bits (8 in practice), outputs of 2..16 bits, sums in int64,
// V in uint64 < 2^62 (checked at parameter time as n^3 * (hi - lo)^2 < 2^64, which holds for
// 8-bit inputs up to n = 65536 and a little beyond), sigma < 2^32, r in Q30, gamma as a
// Q(shift - 30) multiplier below 2^31, so |r_q30 * gamma_multiplier| < 2^61 + 2^32 and every
// int64 above stays below 2^63.
//
// Accuracy (derived here, measured by tests/unit/compiler/quant/test_integer_layernorm.cpp):
// with M = max_i sqrt(n) |gamma[i]| / s_y <= 2^20 (checked), |acc / 2^shift - v| <=
//   M * 2^-29 (sqrt floor 2^-30.5, reciprocal 2^-31, Q30 rounding 2^-31, all relative to |r| <= 1)
//   + 2^-11 (gamma_multiplier's rounding) + 2^-41 (beta_offset's)  <= kLayerNormMaxPreRoundingError
// output steps. Hence y is round-half-up of the exact value except where that value lies within
// 2^-8 of a half step; against a float reference rounding half to even, |y - y_ref| <= 1 and
// they differ only near ties. Measured (RandomRowsAgreeWithTheFloatReference, 0.9M elements):
// at most 4.8e-4 steps with M = 2^19.9 (16-bit outputs), at most 5.1e-6 with M <= 2^13.5 (8-bit).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wb::quant {

// floor(sqrt(v)) exactly, for every uint64 v, by Newton's iteration on integers (I-BERT's
// I-SQRT): x0 = 2^ceil(bit_width(v) / 2) >= sqrt(v), x' = (x + v / x) / 2 until x stops
// decreasing. x0 is at most twice the root (odd bit widths), a relative error of 1; each step
// maps an error e to at most e^2 / (2 (1 + e)): 1/4, 1/40, 3e-4, 5e-8, 1e-15, so after five
// divisions x is floor(sqrt(v)) or one more, the sixth reaches the floor and the seventh sees the
// iteration stop. kIsqrtMaxSteps = 7 bounds the loop (tests measure 7 as the worst case).
std::uint64_t isqrt_floor(std::uint64_t v);
inline constexpr int kIsqrtMaxSteps = 7;

// Upper bound of |acc / 2^shift - exact value| in output steps (see above), and the limit on
// M = max sqrt(n) |gamma| / scale_out that the bound needs.
inline constexpr double kLayerNormMaxPreRoundingError = 1.0 / 256;
inline constexpr double kLayerNormMaxStepsPerStd = 1048576.0;  // 2^20

// An integer tensor type: b bits, signed [-2^(b-1), 2^(b-1)-1] or unsigned [0, 2^b-1].
struct IntFormat {
  int bits = 8;
  bool is_signed = true;
  std::int64_t lo() const { return is_signed ? -(std::int64_t{1} << (bits - 1)) : 0; }
  std::int64_t hi() const { return is_signed ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1; }
};

// What a LayerNorm node is, before its integer parameters are chosen.
struct LayerNormSpec {
  std::size_t n = 0;      // length of the normalised row
  double scale_in = 0;    // s_x > 0
  IntFormat input{};      // 2..32 bits; its range bounds V (see above)
  double scale_out = 0;   // s_y > 0
  IntFormat output{};     // 2..16 bits
  double epsilon = 1e-5;  // >= 0, added to the variance in real units (ONNX's epsilon)
  bool rms = false;       // RMSNorm: no mean subtracted (above)
};

// Everything the run-time arithmetic reads; computed once per node.
struct LayerNormParams {
  std::size_t n = 0;
  bool rms = false;  // d[i] = q[i] (RMSNorm), not n q[i] - sum
  std::int64_t input_lo = 0, input_hi = 0;
  std::int64_t output_lo = 0, output_hi = 0;
  // E = epsilon * n^3 / scale_in^2 (RMSNorm: epsilon * n / scale_in^2) = eps_mantissa * 2^eps_exponent exactly (eps_mantissa < 2^53),
  // and its ceiling, which sizes the row's radicand without overflow.
  std::uint64_t eps_mantissa = 0;
  int eps_exponent = 0;
  std::uint64_t eps_ceil = 0;
  int shift = 0;                               // one for the node, in [40, 61]
  std::vector<std::int64_t> gamma_multiplier;  // round(sqrt(n) * gamma[i] / scale_out * 2^(shift - 30))
  std::vector<std::int64_t> beta_offset;       // round(clamped beta[i] / scale_out * 2^shift)
};

// Throws UserError naming the offending parameter: n == 0; a scale that is not
// positive and finite; epsilon negative or not finite; gamma or beta not of n finite values;
// input bits outside 2..32 or output bits outside 2..16; n^3 * (input range)^2 >= 2^64
// (V could overflow; RMSNorm: n max(|lo|, hi)^2 >= 2^62); E > 2^62; sqrt(n) * |gamma| / scale_out > 2^20.
LayerNormParams make_layernorm_params(const LayerNormSpec& spec, std::span<const float> gamma,
                                      std::span<const float> beta);

// y = LayerNorm of the row x, pure integer arithmetic (steps 1-5 above). x and y hold p.n
// values; y may be x itself (in place). Throws UserError when a size differs from
// p.n or an x lies outside the input range the parameters were made for (it could overflow).
void layernorm_row(std::span<const std::int64_t> x, const LayerNormParams& p, std::span<std::int64_t> y);

namespace detail {
// Steps 1-5 without the final rounding: acc[i] / 2^p.shift is output i before rounding and
// clamping. For tests that measure the arithmetic's error; acc may be x itself.
void layernorm_row_accumulators(std::span<const std::int64_t> x, const LayerNormParams& p, std::span<std::int64_t> acc);
// isqrt_floor, also counting its divisions; kIsqrtMaxSteps + 1 would mean the iteration was cut
// short before it converged (the tests check that it never is).
std::uint64_t isqrt_floor_counting(std::uint64_t v, int& divisions);
}  // namespace detail

}  // namespace wb::quant
