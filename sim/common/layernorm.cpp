#include "sim/common/layernorm.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <vector>

namespace wb::sim {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // bounds of sums of squares, a rounding carry

constexpr std::int64_t kMaxGamma = (std::int64_t{1} << 31) - 1;
constexpr std::int64_t kMaxBeta = std::int64_t{1} << 61;
constexpr std::uint64_t kMaxEpsCeil = std::uint64_t{1} << 62;

// eps_mantissa * 2^exponent rounded half up; 0 when nothing survives a right shift.
std::uint64_t scaled_mantissa(std::uint64_t mantissa, int exponent) {
  if (mantissa == 0) return 0;
  if (exponent >= 0) return mantissa << exponent;
  if (exponent < -63) return 0;
  const int right = -exponent;
  const Uint128 half = static_cast<Uint128>(1) << (right - 1);
  return static_cast<std::uint64_t>((static_cast<Uint128>(mantissa) + half) >> right);
}

}  // namespace

std::uint64_t integer_sqrt(std::uint64_t v, int* divisions) {
  int steps = 0;
  std::uint64_t root = v;
  if (v >= 2) {
    root = std::uint64_t{1} << ((std::bit_width(v) + 1) / 2);
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
  // V = sum d^2 with |d| <= C (hi - lo): C^3 (hi - lo)^2 must stay below 2^64.
  const Uint128 range = static_cast<Uint128>(input_hi - input_lo);
  const Uint128 c = channels;
  if (c * c * c * range * range >= (static_cast<Uint128>(1) << 64) || channels > (1u << 21)) {
    return fmt::format("{} channels of range [{}, {}]: the sum of squares could overflow 64 bits", channels, input_lo,
                       input_hi);
  }
  if (p.eps_ceil() > kMaxEpsCeil) return fmt::format("eps_ceil {} exceeds 2^62", p.eps_ceil());
  if (p.eps_mantissa() >= (std::uint64_t{1} << 53) || p.eps_exponent() > 62 ||
      (p.eps_exponent() >= 0 && std::bit_width(p.eps_mantissa()) + p.eps_exponent() > 63) ||
      scaled_mantissa(p.eps_mantissa(), p.eps_exponent()) > p.eps_ceil()) {
    return fmt::format("epsilon {} * 2^{} is not bounded by eps_ceil {}", p.eps_mantissa(), p.eps_exponent(),
                       p.eps_ceil());
  }
  return {};
}

void layernorm_row(std::span<const std::int32_t> x, const isa::LayerNorm& p, std::span<std::int32_t> y) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::int64_t sum = 0;
  for (const std::int32_t v : x) sum += v;
  std::uint64_t squares = 0;
  for (const std::int32_t v : x) {
    const std::int64_t d = n * v - sum;
    squares += static_cast<std::uint64_t>(d * d);
  }
  int k = 0;
  std::int64_t inv = 0;
  if (squares != 0) {
    k = (64 - std::bit_width(squares + p.eps_ceil())) / 2;
    const std::uint64_t radicand = (squares << (2 * k)) + scaled_mantissa(p.eps_mantissa(), p.eps_exponent() + 2 * k);
    const std::uint64_t sigma = integer_sqrt(radicand);
    const std::uint64_t one = std::uint64_t{1} << 62;
    inv = static_cast<std::int64_t>(one / sigma + ((one % sigma) * 2 >= sigma ? 1 : 0));
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto c = static_cast<int>(i);
    std::int64_t acc = p.beta_offset(c);
    if (squares != 0) {
      const std::int64_t d = (n * x[i] - sum) * (std::int64_t{1} << k);
      const std::int64_t r = (d * inv + (std::int64_t{1} << 31)) >> 32;
      acc += r * p.gamma_multiplier(c);
    }
    const std::int64_t rounded = (acc + (std::int64_t{1} << (p.shift() - 1))) >> p.shift();
    y[i] = static_cast<std::int32_t>(std::clamp(rounded, p.lo(), p.hi()));
  }
}

}  // namespace wb::sim
