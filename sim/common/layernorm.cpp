#include "sim/common/layernorm.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>

namespace wb::sim {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // the bound on a row's sum of squares

constexpr std::int64_t kMaxGamma = (std::int64_t{1} << 31) - 1;
constexpr std::int64_t kMaxBeta = std::int64_t{1} << 61;
constexpr std::uint64_t kMaxEpsCeil = std::uint64_t{1} << 62;
constexpr int kReciprocalBits = 62;  // inv = round(2^62 / sigma), sigma in [2^30.5, 2^32)
constexpr int kProductShift = 32;    // r = round(d 2^k inv / 2^32): r in Q30

// floor(v / 2^s + 1/2), arithmetic: rounded half up.
std::int64_t round_shift(std::int64_t v, int s) { return (v + (std::int64_t{1} << (s - 1))) >> s; }

// round_half_up(m * 2^e); the caller's radicand bound keeps it below 2^64.
std::uint64_t scaled_mantissa(std::uint64_t m, int e) {
  if (m == 0) return 0;
  if (e >= 0) return m << e;
  const int right = -e;
  if (right > 60) return 0;  // m < 2^53: nothing survives the shift
  return (m + (std::uint64_t{1} << (right - 1))) >> right;
}

}  // namespace

std::uint64_t integer_sqrt(std::uint64_t v, int* divisions) {
  int steps = 0;
  std::uint64_t root = v;
  if (v >= 2) {
    root = std::uint64_t{1} << ((std::bit_width(v) + 1) / 2);  // >= sqrt(v)
    // From above each step stays at or above floor(sqrt(v)) and decreases until it reaches it.
    for (;;) {
      ++steps;
      const std::uint64_t next = (root + v / root) / 2;
      if (next >= root) break;
      root = next;
    }
  }
  if (divisions != nullptr) *divisions = steps;
  return root;
}

std::uint64_t epsilon_ceiling(std::uint64_t m, int e) {
  if (m == 0) return 0;
  if (e >= 0) {
    if (std::bit_width(m) + e > 63) return std::numeric_limits<std::uint64_t>::max();
    return m << e;
  }
  const int right = -e;
  if (right >= 64) return 1;  // 0 < m * 2^e < 1
  return (m >> right) + ((m & ((std::uint64_t{1} << right) - 1)) != 0 ? 1 : 0);
}

void layernorm_row(std::span<const std::int32_t> x, std::span<const std::int64_t> gamma,
                   std::span<const std::int64_t> beta, const LayerNormRow& p, std::span<std::int32_t> y) {
  // d[i] = n x[i] - sum, or x[i] for an RMSNorm (n 1, sum 0).
  const auto n = p.rms ? std::int64_t{1} : static_cast<std::int64_t>(x.size());
  std::int64_t sum = 0;
  if (!p.rms) {
    for (const std::int32_t v : x) sum += v;
  }
  std::uint64_t squares = 0;
  for (const std::int32_t v : x) {
    const std::int64_t d = n * v - sum;
    squares += static_cast<std::uint64_t>(d * d);
  }
  int k = 0;
  std::int64_t inv = 0;
  if (squares != 0) {  // else a constant row (or n = 1): r = 0 whatever epsilon
    // The radicand scaled to the top of 64 bits: bound >= V + E.
    k = (64 - std::bit_width(squares + p.eps_ceil)) / 2;
    const std::uint64_t radicand = (squares << (2 * k)) + scaled_mantissa(p.eps_mantissa, p.eps_exponent + 2 * k);
    const std::uint64_t sigma = integer_sqrt(radicand);
    constexpr std::uint64_t one = std::uint64_t{1} << kReciprocalBits;
    inv = static_cast<std::int64_t>(one / sigma + ((one % sigma) * 2 >= sigma ? 1 : 0));  // half up
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::int64_t acc = beta[i];
    if (squares != 0) {
      const std::int64_t d = (n * x[i] - sum) * (std::int64_t{1} << k);  // |.| <= sigma
      acc += round_shift(d * inv, kProductShift) * gamma[i];
    }
    y[i] = static_cast<std::int32_t>(std::clamp(round_shift(acc, p.shift), p.output_lo, p.output_hi));
  }
}

LayerNormRow layernorm_row_constants(const isa::LayerNorm& params) {
  LayerNormRow row;
  row.output_lo = params.lo();
  row.output_hi = params.hi();
  row.eps_mantissa = params.eps_mantissa();
  row.eps_exponent = params.eps_exponent();
  row.eps_ceil = params.eps_ceil();
  row.shift = params.shift();
  row.rms = params.rms();
  return row;
}

void layernorm_row(std::span<const std::int32_t> x, const isa::LayerNorm& params, std::span<std::int32_t> y) {
  layernorm_row(x, {params.gamma_multiplier().data(), static_cast<std::size_t>(params.gamma_multiplier_size())},
                {params.beta_offset().data(), static_cast<std::size_t>(params.beta_offset_size())},
                layernorm_row_constants(params), y);
}

std::string layernorm_problem(const isa::LayerNorm& p, std::uint32_t channels, std::int64_t input_lo,
                              std::int64_t input_hi) {
  if (channels == 0) return "a layer norm of no channels";
  if (p.gamma_multiplier_size() != static_cast<int>(channels) || p.beta_offset_size() != static_cast<int>(channels)) {
    return fmt::format("{} gamma multipliers and {} beta offsets for {} channels", p.gamma_multiplier_size(),
                       p.beta_offset_size(), channels);
  }
  if (p.shift() < 1 || p.shift() > 62) return fmt::format("shift {} outside 1..62", p.shift());
  if (p.lo() > p.hi()) return fmt::format("clamp [{}, {}] is empty", p.lo(), p.hi());
  for (int c = 0; c < p.gamma_multiplier_size(); ++c) {
    if (p.gamma_multiplier(c) < -kMaxGamma || p.gamma_multiplier(c) > kMaxGamma) {
      return fmt::format("gamma multiplier {} of channel {} exceeds 2^31", p.gamma_multiplier(c), c);
    }
    if (p.beta_offset(c) < -kMaxBeta || p.beta_offset(c) > kMaxBeta) {
      return fmt::format("beta offset {} of channel {} exceeds 2^61", p.beta_offset(c), c);
    }
  }
  // V = sum d^2 with |d| <= C (hi - lo): C^3 (hi - lo)^2 must stay below 2^64; an RMSNorm's
  // d = x: C max|x|^2 below 2^62.
  const auto range = static_cast<Uint128>(input_hi - input_lo);
  const auto largest = static_cast<Uint128>(std::max(-input_lo, input_hi));
  const Uint128 c = channels;
  const bool overflows = p.rms() ? c * largest * largest >= (static_cast<Uint128>(1) << 62)
                                 : c * c * c * range * range >= (static_cast<Uint128>(1) << 64);
  if (channels > (1u << 21) || overflows) {
    return fmt::format("{} channels of range [{}, {}]: the sum of squares could overflow 64 bits", channels, input_lo,
                       input_hi);
  }
  if (p.eps_ceil() > kMaxEpsCeil) return fmt::format("eps_ceil {} exceeds 2^62", p.eps_ceil());
  if (p.eps_mantissa() >= (std::uint64_t{1} << 53) || p.eps_exponent() < -1100 || p.eps_exponent() > 62 ||
      epsilon_ceiling(p.eps_mantissa(), p.eps_exponent()) > p.eps_ceil()) {
    return fmt::format("epsilon {} * 2^{} is not bounded by eps_ceil {}", p.eps_mantissa(), p.eps_exponent(),
                       p.eps_ceil());
  }
  return {};
}

}  // namespace wb::sim
