#include "sim/pulp/layernorm_kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <vector>

#include "support/error.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

constexpr int kMinShift = 33;  // the rounding constant 2^(shift - 1) lies in the high word
constexpr int kMaxShift = 61;
constexpr std::uint64_t kMaxEpsCeil = std::uint64_t{1} << 62;
constexpr std::int64_t kMaxBeta = std::int64_t{1} << 61;
constexpr int kReciprocalBits = 62;  // inv = round(2^62 / sigma)
constexpr int kProductShift = 32;    // r_q30 = round(d * 2^k * inv / 2^32)

// floor(v / 2^s + 1/2) for s in 1..62: the QGraph's rounding, half up.
std::int64_t round_shift(std::int64_t v, int s) { return (v + (std::int64_t{1} << (s - 1))) >> s; }

// ceil(m * 2^e); the uint64 maximum when it needs more than 63 bits (the call is then refused).
std::uint64_t epsilon_ceiling(std::uint64_t m, int e) {
  if (m == 0) return 0;
  if (e >= 0) {
    if (std::bit_width(m) + e > 63) return std::numeric_limits<std::uint64_t>::max();
    return m << e;
  }
  const int right = -e;
  if (right >= 64) return 1;  // 0 < m * 2^e < 1
  const std::uint64_t whole = m >> right;
  return whole + ((m & ((std::uint64_t{1} << right) - 1)) != 0 ? 1 : 0);
}

// round(E * 2^two_k), E = m * 2^e; the caller's radicand bound keeps it below 2^64.
std::uint64_t scaled_epsilon(std::uint64_t m, int e, int two_k) {
  if (m == 0) return 0;
  const int shift = e + two_k;
  if (shift >= 0) return m << shift;
  const int right = -shift;
  if (right > 60) return 0;  // m < 2^53: nothing survives
  return (m + (std::uint64_t{1} << (right - 1))) >> right;
}

std::int32_t i32_at(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(v);
}

std::int64_t i64_at(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::uint64_t layernorm_table_bytes(const KernelCall& c) { return kLayerNormTableBytesPerChannel * c.c_out(); }

std::string layernorm_call_problem(const KernelCall& c) {
  if (c.parallel() != isa::pulp::PARALLEL_HO) {
    return "layernorm with a parallel other than ho (each core its output rows: a pixel's channels depend on each "
           "other)";
  }
  // V <= n^3 (hi - lo)^2 / 4 < 2^62 for every row of 8-bit values when n^3 * 255^2 < 2^64.
  std::uint64_t product = 1;
  for (const std::uint64_t f : {std::uint64_t{c.c_out()}, std::uint64_t{c.c_out()}, std::uint64_t{c.c_out()},
                                std::uint64_t{255}, std::uint64_t{255}}) {
    if (product > std::numeric_limits<std::uint64_t>::max() / f) {
      return fmt::format("layernorm over {} channels (n^3 * 255^2 must stay below 2^64: the sum of squares is "
                         "64-bit)",
                         c.c_out());
    }
    product *= f;
  }
  if (c.layernorm_shift() < kMinShift || c.layernorm_shift() > kMaxShift) {
    return fmt::format("layernorm_shift {} outside {}..{}", c.layernorm_shift(), kMinShift, kMaxShift);
  }
  if (c.layernorm_eps_mantissa() >= (std::uint64_t{1} << 53)) {
    return fmt::format("layernorm_eps_mantissa {} not below 2^53", c.layernorm_eps_mantissa());
  }
  if (c.layernorm_eps_exponent() < -1100 || c.layernorm_eps_exponent() > 1100) {
    return fmt::format("layernorm_eps_exponent {} outside -1100..1100", c.layernorm_eps_exponent());
  }
  const std::uint64_t ceiling = epsilon_ceiling(c.layernorm_eps_mantissa(), c.layernorm_eps_exponent());
  if (ceiling > kMaxEpsCeil) {
    return fmt::format("layernorm epsilon {} * 2^{} above 2^62", c.layernorm_eps_mantissa(),
                       c.layernorm_eps_exponent());
  }
  if (c.layernorm_eps_ceil() != ceiling) {
    return fmt::format("layernorm_eps_ceil {} is not ceil({} * 2^{}) = {}", c.layernorm_eps_ceil(),
                       c.layernorm_eps_mantissa(), c.layernorm_eps_exponent(), ceiling);
  }
  return {};
}

std::uint64_t layernorm_isqrt(std::uint64_t v, int& steps) {
  steps = 0;
  if (v < 2) return v;
  std::uint64_t x = std::uint64_t{1} << ((std::bit_width(v) + 1) / 2);  // >= sqrt(v), at most 2^32
  // From above each step stays at or above floor(sqrt(v)) and decreases until it reaches it.
  for (;;) {
    ++steps;
    const std::uint64_t next = (x + v / x) / 2;
    if (next >= x) return x;
    x = next;
  }
}

void layernorm_row(std::span<const std::int32_t> x, std::span<const std::int32_t> gamma,
                   std::span<const std::int64_t> beta, const LayerNormRowParams& p, std::span<std::int32_t> y) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::int64_t sum = 0;
  for (const std::int32_t v : x) sum += v;
  std::uint64_t sum_sq = 0;
  for (const std::int32_t v : x) {
    const std::int64_t d = n * v - sum;
    sum_sq += static_cast<std::uint64_t>(d * d);
  }
  const auto output = [&](std::size_t i, std::int64_t acc) {
    y[i] = static_cast<std::int32_t>(std::clamp(round_shift(acc, p.shift), p.output_lo, p.output_hi));
  };
  if (sum_sq == 0) {  // a constant row (or n == 1): r = 0 whatever epsilon
    for (std::size_t i = 0; i < x.size(); ++i) output(i, beta[i]);
    return;
  }
  // Scale the radicand to the top of 64 bits: bound >= V + E, below 2^63.
  const std::uint64_t bound = sum_sq + p.eps_ceil;
  const int k = (64 - std::bit_width(bound)) / 2;
  const std::uint64_t radicand = (sum_sq << (2 * k)) + scaled_epsilon(p.eps_mantissa, p.eps_exponent, 2 * k);
  int steps = 0;
  const std::uint64_t sigma = layernorm_isqrt(radicand, steps);  // 2^30.5 <= sigma < 2^32
  constexpr std::uint64_t numerator = std::uint64_t{1} << kReciprocalBits;
  std::uint64_t inv = numerator / sigma;
  const std::uint64_t remainder = numerator % sigma;
  if (remainder >= sigma - remainder) ++inv;  // half up
  const std::int64_t pow2_k = std::int64_t{1} << k;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t d_scaled = (n * x[i] - sum) * pow2_k;  // |.| <= sigma
    const std::int64_t r_q30 = round_shift(d_scaled * static_cast<std::int64_t>(inv), kProductShift);
    output(i, r_q30 * gamma[i] + beta[i]);
  }
}

void run_layernorm(const KernelCall& c, std::span<std::uint8_t> l1) {
  const std::uint32_t n = c.c_out();
  const std::uint8_t* table = l1.data() + c.weights();
  std::vector<std::int32_t> gamma(n);
  std::vector<std::int64_t> beta(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    gamma[i] = i32_at(table + 4 * std::uint64_t{i});
    beta[i] = i64_at(table + 4 * std::uint64_t{n} + 8 * std::uint64_t{i});
    if (gamma[i] == std::numeric_limits<std::int32_t>::min()) {
      throw UserError(fmt::format("layernorm: gamma multiplier of channel {} is -2^31 (|gamma| < 2^31 expected)", i));
    }
    if (beta[i] > kMaxBeta || beta[i] < -kMaxBeta) {
      throw UserError(fmt::format("layernorm: beta offset of channel {} is {}, beyond +-2^61", i, beta[i]));
    }
  }
  LayerNormRowParams p;
  p.output_lo = c.output_signed() ? -128 : 0;
  p.output_hi = c.output_signed() ? 127 : 255;
  p.eps_mantissa = c.layernorm_eps_mantissa();
  p.eps_exponent = c.layernorm_eps_exponent();
  p.eps_ceil = c.layernorm_eps_ceil();
  p.shift = static_cast<int>(c.layernorm_shift());
  const std::uint64_t pixels = std::uint64_t{c.h_out()} * c.w_out();
  std::vector<std::int32_t> x(n), y(n);
  const std::uint8_t* in = l1.data() + c.input();
  std::uint8_t* out = l1.data() + c.output();
  for (std::uint64_t px = 0; px < pixels; ++px) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint8_t byte = in[px * n + i];
      x[i] = c.input_signed() ? static_cast<std::int8_t>(byte) : byte;
    }
    layernorm_row(x, gamma, beta, p, y);
    for (std::uint32_t i = 0; i < n; ++i) out[px * n + i] = static_cast<std::uint8_t>(y[i] & 0xff);
  }
}

}  // namespace wb::sim::pulp
