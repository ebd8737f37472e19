#include "compiler/quant/integer_layernorm.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "support/error.h"

namespace wb::quant {

namespace {

constexpr int kRFractionBits = 30;   // r[i] in Q30: |d * 2^k| * inv stays below 2^63
constexpr int kReciprocalBits = 62;  // inv = 2^62 / sigma, with sigma in [2^30.5, 2^32)
constexpr int kMaxShift = 61;        // rounding constant 2^60 leaves room in the accumulator
constexpr std::int64_t kMaxGammaMultiplier = (std::int64_t{1} << 31) - 1;
constexpr double kMaxBetaOffset = 0x1p61;
constexpr double kMaxEpsilonInVUnits = 0x1p62;  // with V < 2^62, V + ceil(E) < 2^63

[[noreturn]] void bad(const std::string& what) { throw UserError("LayerNorm: " + what); }

bool positive_finite(double v) { return v > 0 && std::isfinite(v); }

// floor(v / 2^s + 1/2), s in [1, 62]: the QGraph's rounding (half up).
std::int64_t shift_right_round_half_up(std::int64_t v, int s) { return (v + (std::int64_t{1} << (s - 1))) >> s; }

// --- parameters ------------------------------------------------------------------------------

void check_spec(const LayerNormSpec& spec) {
  if (spec.n == 0) bad("the row length n is 0");
  if (!positive_finite(spec.scale_in)) bad(fmt::format("scale_in {} is not a positive finite number", spec.scale_in));
  if (!positive_finite(spec.scale_out))
    bad(fmt::format("scale_out {} is not a positive finite number", spec.scale_out));
  if (!(spec.epsilon >= 0) || !std::isfinite(spec.epsilon)) {
    bad(fmt::format("epsilon {} is not a finite number >= 0", spec.epsilon));
  }
  if (spec.input.bits < 2 || spec.input.bits > 32) bad(fmt::format("input bits {} is outside 2..32", spec.input.bits));
  if (spec.output.bits < 2 || spec.output.bits > 16) {
    bad(fmt::format("output bits {} is outside 2..16", spec.output.bits));
  }
}

void check_per_element(std::string_view name, std::span<const float> values, std::size_t n) {
  if (values.size() != n) bad(fmt::format("{} has {} values, the row has n = {}", name, values.size(), n));
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) bad(fmt::format("{}[{}] = {} is not finite", name, i, values[i]));
  }
}

// V <= n^3 (hi - lo)^2 / 4 (the variance of values in [lo, hi] is at most (hi - lo)^2 / 4), so
// n^3 (hi - lo)^2 < 2^64 guarantees V < 2^62 for every row the input type allows.
void check_variance_fits(const LayerNormSpec& spec) {
  if (spec.rms) {  // V = sum q^2 <= n max|q|^2
    const auto largest = static_cast<double>(std::max(-spec.input.lo(), spec.input.hi()));
    if (static_cast<double>(spec.n) * largest * largest >= kMaxEpsilonInVUnits) {
      bad(fmt::format("an RMSNorm row of n = {} values of {} bits could overflow the sum of squares "
                      "(needs n * max|x|^2 < 2^62)",
                      spec.n, spec.input.bits));
    }
    return;
  }
  const auto range = static_cast<std::uint64_t>(spec.input.hi() - spec.input.lo());
  const std::uint64_t factors[] = {spec.n, spec.n, spec.n, range, range};
  std::uint64_t product = 1;
  for (std::uint64_t f : factors) {
    if (product > std::numeric_limits<std::uint64_t>::max() / f) {
      bad(
          fmt::format("a row of n = {} values of {} bits could overflow the int64 sum of squares "
                      "(needs n^3 * (hi - lo)^2 < 2^64; for 8-bit inputs n <= 65536 is safe)",
                      spec.n, spec.input.bits));
    }
    product *= f;
  }
}

void set_epsilon(const LayerNormSpec& spec, LayerNormParams& p) {
  const double n = static_cast<double>(spec.n);
  const double n_power = spec.rms ? n : n * n * n;  // V's units: n^3 var (LayerNorm), n mean square (RMS)
  const double e = spec.epsilon * n_power / (spec.scale_in * spec.scale_in);
  if (!(e <= kMaxEpsilonInVUnits)) {
    bad(fmt::format("epsilon {} is too large for scale_in {}: epsilon * {} / scale_in^2 = {} exceeds 2^62",
                    spec.epsilon, spec.scale_in, spec.rms ? "n" : "n^3", e));
  }
  if (e == 0) return;
  int exponent = 0;
  const double mantissa = std::frexp(e, &exponent);  // in [0.5, 1): 53 bits make it an integer
  p.eps_mantissa = static_cast<std::uint64_t>(std::ldexp(mantissa, 53));
  p.eps_exponent = exponent - 53;
  p.eps_ceil = static_cast<std::uint64_t>(std::ceil(e));
}

// The largest shift for which every gamma multiplier and beta offset fits its width.
int choose_shift(const std::vector<double>& g, const std::vector<double>& b) {
  for (int shift = kMaxShift; shift >= 0; --shift) {
    const bool gamma_fits = std::all_of(g.begin(), g.end(), [&](double v) {
      return std::round(std::ldexp(std::abs(v), shift - kRFractionBits)) <= static_cast<double>(kMaxGammaMultiplier);
    });
    const bool beta_fits = std::all_of(
        b.begin(), b.end(), [&](double v) { return std::round(std::ldexp(std::abs(v), shift)) <= kMaxBetaOffset; });
    if (gamma_fits && beta_fits) return shift;
  }
  // Unreachable: M <= 2^20 and |B'| < 2^21 fit at shift 40.
  throw std::logic_error("LayerNorm: no shift fits the gamma and beta of a checked node");
}

void set_affine(const LayerNormSpec& spec, std::span<const float> gamma, std::span<const float> beta,
                LayerNormParams& p) {
  const double sqrt_n = std::sqrt(static_cast<double>(spec.n));
  std::vector<double> steps_per_r(spec.n);  // G[i]: output steps per unit of r[i]
  double max_steps = 0;
  for (std::size_t i = 0; i < spec.n; ++i) {
    steps_per_r[i] = sqrt_n * static_cast<double>(gamma[i]) / spec.scale_out;
    max_steps = std::max(max_steps, std::abs(steps_per_r[i]));
  }
  if (max_steps > kLayerNormMaxStepsPerStd) {
    bad(
        fmt::format("sqrt(n) * |gamma| / scale_out = {} output steps per standard deviation exceeds 2^20 "
                    "(gamma too large for scale_out {}; the integer arithmetic would lose its 1-step accuracy)",
                    max_steps, spec.scale_out));
  }
  // |r * G| < M + 1, so a beta beyond [lo - M - 2, hi + M + 2] saturates every output: clamping it
  // there changes no result and bounds the offsets.
  const double beta_lo = static_cast<double>(spec.output.lo()) - max_steps - 2;
  const double beta_hi = static_cast<double>(spec.output.hi()) + max_steps + 2;
  std::vector<double> beta_steps(spec.n);
  for (std::size_t i = 0; i < spec.n; ++i) {
    beta_steps[i] = std::clamp(static_cast<double>(beta[i]) / spec.scale_out, beta_lo, beta_hi);
  }
  p.shift = choose_shift(steps_per_r, beta_steps);
  p.gamma_multiplier.resize(spec.n);
  p.beta_offset.resize(spec.n);
  for (std::size_t i = 0; i < spec.n; ++i) {
    p.gamma_multiplier[i] = std::llround(std::ldexp(steps_per_r[i], p.shift - kRFractionBits));
    p.beta_offset[i] = std::llround(std::ldexp(beta_steps[i], p.shift));
  }
}

// --- run time --------------------------------------------------------------------------------

// E * 2^exponent_2k rounded half up, E = eps_mantissa * 2^eps_exponent. The caller guarantees it
// is below 2^64 (it is part of the radicand A).
std::uint64_t scaled_epsilon(const LayerNormParams& p, int exponent_2k) {
  if (p.eps_mantissa == 0) return 0;
  const int e = p.eps_exponent + exponent_2k;
  if (e >= 0) return p.eps_mantissa << e;
  const int right = -e;
  if (right > 60) return 0;  // the mantissa is below 2^53: nothing survives the shift
  return (p.eps_mantissa + (std::uint64_t{1} << (right - 1))) >> right;
}

// What a row needs to turn d[i] into r[i] in Q30: r_q30 = round(d * 2^k * inv / 2^32).
struct RowNormaliser {
  int k = 0;
  std::int64_t inv = 0;
};

RowNormaliser row_normaliser(std::uint64_t sum_sq, const LayerNormParams& p) {
  // bound >= V + E and < 2^63, so bound * 4^k < 2^64 and A <= bound * 4^k cannot overflow.
  const std::uint64_t bound = sum_sq + p.eps_ceil;
  const int k = (64 - std::bit_width(bound)) / 2;
  const std::uint64_t radicand = (sum_sq << (2 * k)) + scaled_epsilon(p, 2 * k);
  const std::uint64_t sigma = isqrt_floor(radicand);  // >= 2^30.5: the radicand is at least 2^61
  constexpr std::uint64_t numerator = std::uint64_t{1} << kReciprocalBits;
  std::uint64_t inv = numerator / sigma;
  const std::uint64_t remainder = numerator % sigma;
  if (remainder >= sigma - remainder) ++inv;  // half up
  return {k, static_cast<std::int64_t>(inv)};
}

void check_sizes(std::size_t x_size, std::size_t y_size, std::size_t n) {
  if (x_size != n) bad(fmt::format("the input row has {} values, the parameters were made for n = {}", x_size, n));
  if (y_size != n) bad(fmt::format("the output row has {} values, the parameters were made for n = {}", y_size, n));
}

std::int64_t checked_sum(std::span<const std::int64_t> x, const LayerNormParams& p) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] < p.input_lo || x[i] > p.input_hi) {
      bad(fmt::format("x[{}] = {} is outside the input range [{}, {}]", i, x[i], p.input_lo, p.input_hi));
    }
    sum += x[i];
  }
  return sum;
}

}  // namespace

std::uint64_t detail::isqrt_floor_counting(std::uint64_t v, int& divisions) {
  divisions = 0;
  if (v < 2) return v;
  const int half_width = (std::bit_width(v) + 1) / 2;  // <= 32
  std::uint64_t x = std::uint64_t{1} << half_width;    // >= sqrt(v); x + v / x < 2^33
  // From above, each step stays >= floor(sqrt(v)) (AM-GM) and strictly decreases until it
  // reaches it; the first step that does not decrease proves x = floor(sqrt(v)).
  for (divisions = 1; divisions <= kIsqrtMaxSteps; ++divisions) {
    const std::uint64_t next = (x + v / x) / 2;
    if (next >= x) return x;
    x = next;
  }
  return x;  // never reached (header); divisions = kIsqrtMaxSteps + 1 lets the tests see it
}

std::uint64_t isqrt_floor(std::uint64_t v) {
  int divisions = 0;
  return detail::isqrt_floor_counting(v, divisions);
}

LayerNormParams make_layernorm_params(const LayerNormSpec& spec, std::span<const float> gamma,
                                      std::span<const float> beta) {
  check_spec(spec);
  check_per_element("gamma", gamma, spec.n);
  check_per_element("beta", beta, spec.n);
  check_variance_fits(spec);
  LayerNormParams p;
  p.n = spec.n;
  p.rms = spec.rms;
  p.input_lo = spec.input.lo();
  p.input_hi = spec.input.hi();
  p.output_lo = spec.output.lo();
  p.output_hi = spec.output.hi();
  set_epsilon(spec, p);
  set_affine(spec, gamma, beta, p);
  return p;
}

void detail::layernorm_row_accumulators(std::span<const std::int64_t> x, const LayerNormParams& p,
                                        std::span<std::int64_t> acc) {
  check_sizes(x.size(), acc.size(), p.n);
  const std::int64_t total = checked_sum(x, p);  // also checks every value's range
  const std::int64_t sum = p.rms ? 0 : total;
  const auto n = p.rms ? std::int64_t{1} : static_cast<std::int64_t>(p.n);  // d = n q - sum, or q
  std::uint64_t sum_sq = 0;  // V < 2^62 (checked when the parameters were made)
  for (std::int64_t q : x) {
    const std::int64_t d = n * q - sum;
    sum_sq += static_cast<std::uint64_t>(d * d);
  }
  if (sum_sq == 0) {  // constant row (RMS: of zeros): every d is 0, so r is 0 whatever epsilon
    std::copy(p.beta_offset.begin(), p.beta_offset.end(), acc.begin());
    return;
  }
  const RowNormaliser row = row_normaliser(sum_sq, p);
  const std::int64_t pow2_k = std::int64_t{1} << row.k;
  for (std::size_t i = 0; i < p.n; ++i) {
    const std::int64_t d_scaled = (n * x[i] - sum) * pow2_k;  // |.| <= sigma < 2^32
    const std::int64_t r_q30 = shift_right_round_half_up(d_scaled * row.inv, kReciprocalBits - kRFractionBits);
    acc[i] = r_q30 * p.gamma_multiplier[i] + p.beta_offset[i];
  }
}

void layernorm_row(std::span<const std::int64_t> x, const LayerNormParams& p, std::span<std::int64_t> y) {
  detail::layernorm_row_accumulators(x, p, y);
  for (std::int64_t& v : y) v = std::clamp(shift_right_round_half_up(v, p.shift), p.output_lo, p.output_hi);
}

}  // namespace wb::quant
