#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/quant/integer_layernorm.h"
#include "support/error.h"

namespace wb::quant {
namespace {

// --- isqrt_floor ---------------------------------------------------------------------------------

// r^2 <= v < (r+1)^2, without a 128-bit type: r <= 2^32 - 1, so r^2 fits; (r+1)^2 = 2^64 exceeds
// every v.
bool is_floor_sqrt(std::uint64_t v, std::uint64_t r) {
  if (r > 0xFFFFFFFFu || r * r > v) return false;
  const std::uint64_t next = r + 1;
  return next == (std::uint64_t{1} << 32) || next * next > v;
}

// Checks one value and returns the divisions it took.
int check_isqrt(std::uint64_t v) {
  int divisions = 0;
  const std::uint64_t r = detail::isqrt_floor_counting(v, divisions);
  EXPECT_TRUE(is_floor_sqrt(v, r)) << "isqrt_floor(" << v << ") = " << r;
  EXPECT_LE(divisions, kIsqrtMaxSteps) << "the iteration was cut short for v = " << v;
  EXPECT_EQ(isqrt_floor(v), r);
  return divisions;
}

TEST(IsqrtFloor, EdgeCases) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::pair<std::uint64_t, std::uint64_t> cases[] = {
      {0, 0},
      {1, 1},
      {2, 1},
      {3, 1},
      {4, 2},
      {8, 2},
      {9, 3},
      {15, 3},
      {16, 4},
      {24, 4},
      {25, 5},
      {std::uint64_t{1} << 62, std::uint64_t{1} << 31},
      {(std::uint64_t{1} << 62) - 1, (std::uint64_t{1} << 31) - 1},
      {(std::uint64_t{1} << 63), 3037000499u},  // floor(2^31.5)
      {kMax, 0xFFFFFFFFu},
      {0xFFFFFFFE00000001u, 0xFFFFFFFFu},  // (2^32 - 1)^2, the largest square
      {0xFFFFFFFE00000000u, 0xFFFFFFFEu},  // (2^32 - 1)^2 - 1
  };
  for (const auto& [v, root] : cases) {
    EXPECT_EQ(isqrt_floor(v), root) << v;
    check_isqrt(v);
  }
}

TEST(IsqrtFloor, ExactOnSmallValuesSquaresPowersOfTwoAndRandomValues) {
  int most_divisions = 0;
  auto check = [&](std::uint64_t v) { most_divisions = std::max(most_divisions, check_isqrt(v)); };
  for (std::uint64_t v = 0; v < (1u << 18); ++v) check(v);
  // Squares and their neighbours, where an off-by-one would show; r^2 + 2r = (r+1)^2 - 1 fits
  // even for r = 2^32 - 1.
  std::mt19937_64 rng(20210101);
  std::vector<std::uint64_t> roots;
  for (std::uint64_t r = 0; r < 70000; r += 7) roots.push_back(r);
  for (std::uint64_t r = 0xFFFFFFFFu - 5000; r <= 0xFFFFFFFFu; ++r) roots.push_back(r);
  for (int i = 0; i < 20000; ++i) roots.push_back(rng() >> 32);
  for (std::uint64_t r : roots) {
    check(r * r);
    if (r > 0) check(r * r - 1);
    check(r * r + 2 * r);
  }
  // Powers of two and their neighbours: the starting guess 2^ceil(bits/2) is up to twice the
  // root just above an even power of two (2^62 + 1: guess 2^32, root 2^31).
  for (int j = 0; j < 64; ++j) {
    const std::uint64_t p = std::uint64_t{1} << j;
    check(p);
    check(p - 1);
    check(p + 1);
    check(p + p / 2);
  }
  for (int i = 0; i < 300000; ++i) {
    check(rng());
    check(rng() >> (i % 64));
  }
  std::printf("[ measured ] isqrt_floor: at most %d divisions (bound %d)\n", most_divisions, kIsqrtMaxSteps);
}

// --- float reference -----------------------------------------------------------------------------

struct Row {
  LayerNormSpec spec;
  std::vector<std::int64_t> x;
  std::vector<float> gamma, beta;
};

// The output before rounding, in output steps: LayerNorm in double, divided by scale_out. The
// mean is taken of the integers and x - mean scaled afterwards: for a constant row that makes
// x - mean exactly 0, where the mean of the scaled values keeps a rounding residue (1e-14) that
// epsilon 0 would normalise to +-1. A zero variance with epsilon 0 gives 0, not ONNX's NaN.
// An RMSNorm (spec.rms) subtracts no mean: x / sqrt(mean(x^2) + epsilon).
std::vector<double> reference_unrounded(const Row& row) {
  const auto n = static_cast<double>(row.spec.n);
  double mean_q = 0;
  for (std::int64_t q : row.x) mean_q += static_cast<double>(q);
  mean_q = row.spec.rms ? 0.0 : mean_q / n;
  std::vector<double> centred(row.x.size());  // x - mean in real units
  for (std::size_t i = 0; i < centred.size(); ++i) {
    centred[i] = row.spec.scale_in * (static_cast<double>(row.x[i]) - mean_q);
  }
  double var = 0;
  for (double c : centred) var += c * c;
  var /= n;
  const double denominator = std::sqrt(var + row.spec.epsilon);
  std::vector<double> out(centred.size());
  for (std::size_t i = 0; i < centred.size(); ++i) {
    const double normalised = denominator == 0 ? 0.0 : centred[i] / denominator;
    out[i] = (normalised * row.gamma[i] + row.beta[i]) / row.spec.scale_out;
  }
  return out;
}

// Round half to even (the default rounding mode), then clamp: ONNX QuantizeLinear.
std::int64_t reference_output(double unrounded, const IntFormat& out) {
  const double clamped =
      std::clamp(std::nearbyint(unrounded), static_cast<double>(out.lo()), static_cast<double>(out.hi()));
  return static_cast<std::int64_t>(clamped);
}

std::vector<std::int64_t> run(const Row& row) {
  const LayerNormParams p = make_layernorm_params(row.spec, row.gamma, row.beta);
  std::vector<std::int64_t> y(row.x.size());
  layernorm_row(row.x, p, y);
  return y;
}

// How the integer rows compare with the reference, over many rows.
struct Agreement {
  std::size_t elements = 0;
  std::size_t saturated = 0;
  std::size_t differ_from_half_even = 0;
  double max_pre_rounding_error = 0;     // |acc / 2^shift - v| where v is within a step of the range
  double max_output_error = 0;           // |y - clamp(v, lo, hi)|, every element
  std::int64_t max_step_difference = 0;  // |y - y_ref|
  std::size_t ties_broken_apart = 0;     // y != y_ref although v is not within the bound of a half step
  std::string worst;                     // where max_pre_rounding_error was seen

  void add(const Row& row, const std::string& what) {
    const LayerNormParams p = make_layernorm_params(row.spec, row.gamma, row.beta);
    std::vector<std::int64_t> acc(row.x.size());
    detail::layernorm_row_accumulators(row.x, p, acc);
    const std::vector<std::int64_t> y = run(row);
    const std::vector<double> v = reference_unrounded(row);
    const auto lo = static_cast<double>(row.spec.output.lo());
    const auto hi = static_cast<double>(row.spec.output.hi());
    for (std::size_t i = 0; i < y.size(); ++i) {
      ++elements;
      if (v[i] < lo - 0.5 || v[i] > hi + 0.5) ++saturated;
      if (v[i] >= lo - 1 && v[i] <= hi + 1) {
        const double error = std::abs(std::ldexp(static_cast<double>(acc[i]), -p.shift) - v[i]);
        if (error > max_pre_rounding_error) {
          max_pre_rounding_error = error;
          worst = what + ", element " + std::to_string(i);
        }
      }
      max_output_error = std::max(max_output_error, std::abs(static_cast<double>(y[i]) - std::clamp(v[i], lo, hi)));
      const std::int64_t y_ref = reference_output(v[i], row.spec.output);
      max_step_difference = std::max(max_step_difference, std::abs(y[i] - y_ref));
      if (y[i] != y_ref) {
        ++differ_from_half_even;
        if (std::abs(v[i] - std::floor(v[i]) - 0.5) > kLayerNormMaxPreRoundingError) ++ties_broken_apart;
      }
    }
  }

  void expect_within_bounds(const std::string& test) const {
    EXPECT_LE(max_pre_rounding_error, kLayerNormMaxPreRoundingError) << "worst at " << worst;
    EXPECT_LE(max_output_error, 0.5 + kLayerNormMaxPreRoundingError);
    EXPECT_LE(max_step_difference, 1);
    EXPECT_EQ(ties_broken_apart, 0u);
    std::printf(
        "[ measured ] %s: %zu elements (%zu saturated), max |acc/2^shift - v| = %.3g steps (bound %.3g), "
        "max |y - y_ref| = %lld, %zu differ from round-half-even (%zu of them not within %.3g of a half step)\n",
        test.c_str(), elements, saturated, max_pre_rounding_error, kLayerNormMaxPreRoundingError,
        static_cast<long long>(max_step_difference), differ_from_half_even, ties_broken_apart,
        kLayerNormMaxPreRoundingError);
  }
};

// --- hand-computed cases -------------------------------------------------------------------------

LayerNormSpec spec(std::size_t n, double scale_in, double scale_out, double epsilon, IntFormat output = {}) {
  return {.n = n, .scale_in = scale_in, .input = {}, .scale_out = scale_out, .output = output, .epsilon = epsilon};
}

TEST(IntegerLayerNorm, WorkedExampleParametersAccumulatorsAndOutputs) {
  // x = [0, 0, 4, 4] at 0.5 is [0, 0, 2, 2]: mean 1, variance 1, epsilon 0, so the normalised
  // row is [-1, -1, 1, 1]; times gamma [1, -2, 0.5, 3] plus beta [0.25, 0, 0, -1] is
  // [-0.75, 2, 0.5, 2], which at scale_out 0.25 is [-3, 8, 2, 8] exactly.
  const Row row{spec(4, 0.5, 0.25, 0.0), {0, 0, 4, 4}, {1, -2, 0.5f, 3}, {0.25f, 0, 0, -1}};
  const LayerNormParams p = make_layernorm_params(row.spec, row.gamma, row.beta);
  // G = sqrt(4) * gamma / 0.25 = [8, -16, 4, 24] steps per unit r, B = [1, 0, 0, -4]. shift 57
  // would need 24 * 2^27 > 2^31 - 1, so shift = 56: gamma_multiplier = G * 2^26, beta_offset =
  // B * 2^56.
  EXPECT_EQ(p.shift, 56);
  const std::int64_t two26 = std::int64_t{1} << 26;
  EXPECT_EQ(p.gamma_multiplier, (std::vector<std::int64_t>{8 * two26, -16 * two26, 4 * two26, 24 * two26}));
  EXPECT_EQ(p.beta_offset, (std::vector<std::int64_t>{std::int64_t{1} << 56, 0, 0, -(std::int64_t{1} << 58)}));
  EXPECT_EQ(p.eps_ceil, 0u);
  // sum = 8, d = 4x - 8 = [-8, -8, 8, 8], V = 256; k = (64 - bit_width(256)) / 2 = 27; A = 256 *
  // 2^54 = 2^62, sigma = 2^31, inv = 2^31; r_q30 = round(+-8 * 2^27 * 2^31 / 2^32) = +-2^29 (r =
  // d / sqrt(V) = 0.5). acc = r_q30 * gamma_multiplier + beta_offset:
  //   -2^58 + 2^56 = -3 * 2^56,  2^59 = 8 * 2^56,  2^57 = 2 * 2^56,  24 * 2^55 - 2^58 = 8 * 2^56.
  std::vector<std::int64_t> acc(4);
  detail::layernorm_row_accumulators(row.x, p, acc);
  const std::int64_t two56 = std::int64_t{1} << 56;
  EXPECT_EQ(acc, (std::vector<std::int64_t>{-3 * two56, 8 * two56, 2 * two56, 8 * two56}));
  EXPECT_EQ(run(row), (std::vector<std::int64_t>{-3, 8, 2, 8}));
}

TEST(IntegerLayerNorm, HandComputedSmallRows) {
  // [-1, 1] at scale 1: mean 0, variance 1, normalised [-1, 1]; at scale_out 1/64: [-64, 64].
  EXPECT_EQ(run({spec(2, 1.0, 1.0 / 64, 0.0), {-1, 1}, {1, 1}, {0, 0}}), (std::vector<std::int64_t>{-64, 64}));
  // Epsilon in the real domain: variance 1 + epsilon 3 = 4, std 2, normalised [-0.5, 0.5]; at
  // scale_out 1/16: [-8, 8]. (In V's units: V = 8, E = 3 * 2^3 / 1 = 24, sqrt(2) * 2 / sqrt(32) = 0.5.)
  EXPECT_EQ(run({spec(2, 1.0, 1.0 / 16, 3.0), {-1, 1}, {1, 1}, {0, 0}}), (std::vector<std::int64_t>{-8, 8}));
  // A short low-variance row, where I-BERT's floor(sqrt(V)) = floor(sqrt(2)) = 1 would be 41%
  // off: [0, 1] has mean 0.5 and std 0.5, normalised [-1, 1]; gamma [1, -0.5], scale_out 0.01:
  // [-100, -50].
  EXPECT_EQ(run({spec(2, 1.0, 0.01, 0.0), {0, 1}, {1, -0.5f}, {0, 0}}), (std::vector<std::int64_t>{-100, -50}));
  // n = 1: x - mean is 0, so y = round(beta / scale_out) = round(0.3 / 0.1) = 3 for any x.
  EXPECT_EQ(run({spec(1, 0.05, 0.1, 1e-5), {77}, {3}, {0.3f}}), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(run({spec(1, 0.05, 0.1, 0.0), {-128}, {3}, {-0.3f}}), (std::vector<std::int64_t>{-3}));
}

TEST(IntegerLayerNorm, ConstantRowGivesBetaRoundedHalfUp) {
  // Variance 0: y = round(beta / scale_out) = round([2.5, -2.5, 1.5, 0.25 / 0.25 = 1]). Ties round
  // half up (toward +inf) like every QGraph requantisation: [3, -2, 2, 1]; the float reference
  // rounds half to even: [2, -2, 2, 1]. That tie is the one kind of difference between them.
  for (double epsilon : {1e-5, 0.0}) {
    const Row row{spec(4, 0.1, 0.25, epsilon), {5, 5, 5, 5}, {1, -1, 2, 0.5f}, {0.625f, -0.625f, 0.375f, 0.25f}};
    EXPECT_EQ(run(row), (std::vector<std::int64_t>{3, -2, 2, 1})) << epsilon;
    const std::vector<double> v = reference_unrounded(row);
    std::vector<std::int64_t> y_ref;
    for (double u : v) y_ref.push_back(reference_output(u, row.spec.output));
    EXPECT_EQ(y_ref, (std::vector<std::int64_t>{2, -2, 2, 1})) << epsilon;
  }
}

TEST(IntegerLayerNorm, SaturatesAtTheOutputRange) {
  // [-128, 127] normalises to [-1, 1] (epsilon 0); at scale_out 0.001 that is [-1000, 1000].
  const auto with_output = [](IntFormat out) {
    return Row{spec(2, 0.05, 0.001, 0.0, out), {-128, 127}, {1, 1}, {0, 0}};
  };
  EXPECT_EQ(run(with_output({8, true})), (std::vector<std::int64_t>{-128, 127}));
  EXPECT_EQ(run(with_output({8, false})), (std::vector<std::int64_t>{0, 255}));
  EXPECT_EQ(run(with_output({16, true})), (std::vector<std::int64_t>{-1000, 1000}));
  // A beta far outside the range saturates every element (it is clamped to hi + M + 2 inside).
  EXPECT_EQ(run({spec(3, 0.05, 0.01, 1e-5), {-100, 3, 90}, {2, -2, 1}, {1e6f, -1e6f, 3e4f}}),
            (std::vector<std::int64_t>{127, -128, 127}));
  // 1e30 / 0.01 steps has no int64 fixed-point form at all; the clamp is what makes it work.
  EXPECT_EQ(run({spec(3, 0.05, 0.01, 1e-5), {-100, 3, 90}, {2, -2, 1}, {-1e30f, 1e30f, -3e38f}}),
            (std::vector<std::int64_t>{-128, 127, -128}));
}

TEST(IntegerLayerNorm, InPlaceMatchesSeparateOutput) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-128, 127);
  std::uniform_real_distribution<float> g(-2, 2);
  Row row{spec(192, 0.03, 0.02, 1e-5), {}, {}, {}};
  for (int i = 0; i < 192; ++i) {
    row.x.push_back(value(rng));
    row.gamma.push_back(g(rng));
    row.beta.push_back(g(rng) / 4);
  }
  const std::vector<std::int64_t> separate = run(row);
  const LayerNormParams p = make_layernorm_params(row.spec, row.gamma, row.beta);
  std::vector<std::int64_t> in_place = row.x;
  layernorm_row(in_place, p, in_place);
  EXPECT_EQ(in_place, separate);
}

// --- random rows against the reference -----------------------------------------------------------

enum class Distribution { Uniform, Narrow, Gaussian, Extremes, NearlyConstant };

std::vector<std::int64_t> random_row(std::size_t n, Distribution d, const IntFormat& in, std::mt19937& rng) {
  const std::int64_t lo = in.lo(), hi = in.hi();
  std::uniform_int_distribution<std::int64_t> uniform(lo, hi);
  std::uniform_int_distribution<std::int64_t> narrow(-2, 2);
  std::normal_distribution<double> normal(0.0, 20.0);
  std::bernoulli_distribution coin(0.5), outlier(0.02);
  const std::int64_t base = uniform(rng) / 2;
  std::vector<std::int64_t> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t v = 0;
    switch (d) {
      case Distribution::Uniform:
        v = uniform(rng);
        break;
      case Distribution::Narrow:
        v = base + narrow(rng);
        break;
      case Distribution::Gaussian:
        v = outlier(rng) ? uniform(rng) : base + std::llround(normal(rng));
        break;
      case Distribution::Extremes:
        v = coin(rng) ? lo : hi;
        break;
      case Distribution::NearlyConstant:
        v = i == n / 2 ? base + 1 : base;
        break;
    }
    x[i] = std::clamp(v, lo, hi);
  }
  return x;
}

struct Config {
  const char* name;
  double scale_in, scale_out, epsilon;
  IntFormat input, output;
  double gamma_max;   // gamma uniform in [-gamma_max, gamma_max]
  double beta_steps;  // beta / scale_out uniform in [-beta_steps, beta_steps]
};

void add_random_rows(const Config& c, std::uint32_t seed, Agreement& agreement, bool rms = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1, 1);
  for (std::size_t n : {1, 2, 7, 64, 192, 768, 3072}) {
    for (Distribution d : {Distribution::Uniform, Distribution::Narrow, Distribution::Gaussian, Distribution::Extremes,
                           Distribution::NearlyConstant}) {
      const std::size_t rows = std::max<std::size_t>(2, 1536 / n);
      for (std::size_t r = 0; r < rows; ++r) {
        Row row{{.n = n,
                 .scale_in = c.scale_in,
                 .input = c.input,
                 .scale_out = c.scale_out,
                 .output = c.output,
                 .epsilon = c.epsilon,
                 .rms = rms},
                random_row(n, d, c.input, rng),
                {},
                {}};
        for (std::size_t i = 0; i < n; ++i) {
          row.gamma.push_back(static_cast<float>(c.gamma_max * unit(rng)));
          row.beta.push_back(static_cast<float>(c.beta_steps * c.scale_out * unit(rng)));
        }
        agreement.add(row, std::string(c.name) + ", n = " + std::to_string(n) + ", distribution " +
                               std::to_string(static_cast<int>(d)) + ", row " + std::to_string(r));
      }
    }
  }
}

TEST(IntegerLayerNorm, RandomRowsAgreeWithTheFloatReference) {
  const IntFormat i8{8, true}, u8{8, false}, i16{16, true};
  const Config configs[] = {
      {"int8, few saturate", 0.02, 0.03, 1e-5, i8, i8, 2.0, 60},
      {"int8, many saturate", 0.1, 0.01, 1e-12, i8, i8, 2.0, 100},
      {"uint8 out, epsilon 0", 1.7, 0.05, 0.0, i8, u8, 1.5, 100},
      {"epsilon near the variance", 0.004, 0.02, 1e-3, i8, i8, 2.0, 50},
      {"uint8 in (after a ReLU)", 0.05, 0.03, 1e-5, u8, i8, 2.0, 60},
      // sqrt(3072) * 2 / 1.1e-4 = 2^19.9 steps per std, near the 2^20 limit, with 16-bit outputs.
      {"int16 out, 2^19.9 steps per std", 0.05, 1.1e-4, 1e-5, i8, i16, 2.0, 20000},
  };
  Agreement all;
  std::uint32_t seed = 1;
  for (const Config& c : configs) {
    Agreement one;
    add_random_rows(c, seed++, one);
    one.expect_within_bounds(c.name);
    add_random_rows(c, seed + 100, all);
  }
  all.expect_within_bounds("all configurations (second seeds)");
}

// RMSNorm (Llama's): the same rows, the same bounds, no mean subtracted. Epsilon is in
// mean-square units, so the configurations' epsilons sit elsewhere against the rows' values:
// "epsilon near the variance" is here an epsilon near the smallest mean squares.
TEST(IntegerLayerNorm, RandomRmsRowsAgreeWithTheFloatReference) {
  const IntFormat i8{8, true}, u8{8, false}, i16{16, true};
  const Config configs[] = {
      {"rms int8, few saturate", 0.02, 0.03, 1e-5, i8, i8, 2.0, 60},
      {"rms int8, many saturate", 0.1, 0.01, 1e-12, i8, i8, 2.0, 100},
      {"rms uint8 out, epsilon 0", 1.7, 0.05, 0.0, i8, u8, 1.5, 100},
      {"rms epsilon near small mean squares", 0.004, 0.02, 1e-4, i8, i8, 2.0, 50},
      {"rms uint8 in", 0.05, 0.03, 1e-6, u8, i8, 2.0, 60},
      {"rms int16 out, 2^19.9 steps per rms", 0.05, 1.1e-4, 1e-5, i8, i16, 2.0, 20000},
  };
  std::uint32_t seed = 501;
  for (const Config& c : configs) {
    Agreement one;
    add_random_rows(c, seed++, one, true);
    one.expect_within_bounds(c.name);
  }
}

TEST(IntegerLayerNorm, RmsRowsWithOneSmallValueAndOfZeros) {
  // V = 1, the smallest non-zero mean square: r = +-1 / sqrt(1 + E) exactly as the reference;
  // a row of zeros normalises to 0 (beta).
  LayerNormSpec s = spec(8, 0.05, 0.02, 0.0);
  s.rms = true;
  Row one{s, {0, 0, 0, -1, 0, 0, 0, 0}, std::vector<float>(8, 0.01f), std::vector<float>(8, 0.0f)};
  Agreement agreement;
  agreement.add(one, "a single -1");
  LayerNormSpec quarter = spec(8, 0.05, 0.25, 0.0);  // beta 0.125 / scale_out 0.25: exactly half a step
  quarter.rms = true;
  Row zeros{quarter, std::vector<std::int64_t>(8, 0), std::vector<float>(8, 1.0f), std::vector<float>(8, 0.125f)};
  agreement.add(zeros, "zeros");
  agreement.expect_within_bounds("rms edge rows");
  EXPECT_EQ(run(zeros), std::vector<std::int64_t>(8, 1)) << "beta / scale_out = 0.5 rounds half up";
  // sqrt(8) * 0.01 / 0.02 = 1.41 steps for the one value, 0 elsewhere.
  EXPECT_EQ(run(one), (std::vector<std::int64_t>{0, 0, 0, -1, 0, 0, 0, 0}));
}

TEST(IntegerLayerNorm, RmsBoundsAreItsOwn) {
  // An RMSNorm's V = sum x^2 grows with n, not n^3: 2^20 int8 values fit, where a LayerNorm's
  // n^3 (hi - lo)^2 would not.
  LayerNormSpec s = spec(std::size_t{1} << 20, 0.05, 0.02, 1e-5);
  const std::vector<float> gamma(s.n, 0.001f), beta(s.n, 0.0f);
  EXPECT_THROW(make_layernorm_params(s, gamma, beta), UserError);
  s.rms = true;
  const LayerNormParams p = make_layernorm_params(s, gamma, beta);
  EXPECT_TRUE(p.rms);
  // E = epsilon * n / scale_in^2: n once, not n^3.
  EXPECT_NEAR(std::ldexp(static_cast<double>(p.eps_mantissa), p.eps_exponent), 1e-5 * 1048576 / 0.0025, 1e-6);
}

TEST(IntegerLayerNorm, LongestInt8RowsAtTheSumOfSquaresBound) {
  // n = 65536 of int8 values half -128 and half 127: the largest V the bound allows,
  // 65536^3 * 127.5^2 = 2^61.99. (UBSan sees any signed overflow.)
  constexpr std::size_t n = 65536;
  Row row{spec(n, 0.02, 0.03, 1e-5), std::vector<std::int64_t>(n), std::vector<float>(n), std::vector<float>(n)};
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> unit(-1, 1);
  for (std::size_t i = 0; i < n; ++i) {
    row.x[i] = i % 2 == 0 ? -128 : 127;
    row.gamma[i] = 0.01f * unit(rng);  // sqrt(n) = 256: keeps most outputs inside the range
    row.beta[i] = 0.5f * unit(rng);
  }
  Agreement agreement;
  agreement.add(row, "alternating -128/127");
  for (std::size_t i = 0; i < n; ++i) row.x[i] = i < 5 ? 127 : -128;  // a few outliers: large |d|
  agreement.add(row, "outliers");
  for (std::size_t i = 0; i < n; ++i) row.x[i] = rng() % 2 == 0 ? -128 : 127;
  agreement.add(row, "random -128/127");
  agreement.expect_within_bounds("n = 65536 extremes");
}

// --- bad parameters ------------------------------------------------------------------------------

void expect_invalid(const std::function<void()>& call, const std::string& names) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one naming " << names;
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
  }
}

TEST(IntegerLayerNorm, BadParametersThrowNamingTheParameter) {
  const std::vector<float> ones(4, 1.0f), zeros(4, 0.0f), three(3, 1.0f);
  const LayerNormSpec good = spec(4, 0.05, 0.02, 1e-5);
  auto make = [&](LayerNormSpec s, const std::vector<float>& g = {}, const std::vector<float>& b = {}) {
    return [s, g, b] { make_layernorm_params(s, g, b); };
  };
  EXPECT_NO_THROW(make_layernorm_params(good, ones, zeros));
  expect_invalid(make(spec(0, 0.05, 0.02, 1e-5)), "n is 0");
  for (double bad_scale : {0.0, -0.1, std::nan(""), std::numeric_limits<double>::infinity()}) {
    LayerNormSpec s = good;
    s.scale_in = bad_scale;
    expect_invalid(make(s, ones, zeros), "scale_in");
    s = good;
    s.scale_out = bad_scale;
    expect_invalid(make(s, ones, zeros), "scale_out");
  }
  for (double bad_epsilon : {-1e-5, std::nan("")}) {
    LayerNormSpec s = good;
    s.epsilon = bad_epsilon;
    expect_invalid(make(s, ones, zeros), "epsilon");
  }
  expect_invalid(make(good, three, zeros), "gamma has 3 values, the row has n = 4");
  expect_invalid(make(good, ones, three), "beta has 3 values");
  expect_invalid(make(good, {1, std::nanf(""), 1, 1}, zeros), "gamma[1]");
  expect_invalid(make(good, ones, {0, 0, 0, std::numeric_limits<float>::infinity()}), "beta[3]");
  for (int bits : {1, 17}) {
    LayerNormSpec s = good;
    s.output.bits = bits;
    expect_invalid(make(s, ones, zeros), "output bits");
  }
  for (int bits : {1, 33}) {
    LayerNormSpec s = good;
    s.input.bits = bits;
    expect_invalid(make(s, ones, zeros), "input bits");
  }
  // Rows whose sum of squares could overflow: int8 beyond n = 65536 (70000^3 * 255^2 > 2^64),
  // int16 at n = 65536.
  const std::vector<float> g70000(70000, 1.0f), b70000(70000, 0.0f), g65536(65536, 0.01f), b65536(65536, 0.0f);
  expect_invalid(make(spec(70000, 0.05, 0.02, 1e-5), g70000, b70000), "sum of squares");
  LayerNormSpec wide = spec(65536, 0.05, 0.5, 1e-5);
  EXPECT_NO_THROW(make_layernorm_params(wide, g65536, b65536));
  wide.input.bits = 16;
  expect_invalid(make(wide, g65536, b65536), "sum of squares");
  // epsilon * n^3 / scale_in^2 = 1 * 64 / 1e-20 > 2^62.
  expect_invalid(make(spec(4, 1e-10, 0.02, 1.0), ones, zeros), "epsilon");
  // sqrt(4) * 1e5 / 0.02 = 1e7 steps per standard deviation > 2^20; 1e4 (1e6 steps) is allowed.
  expect_invalid(make(good, {1, 1e5f, 1, 1}, zeros), "gamma");
  EXPECT_NO_THROW(make_layernorm_params(good, std::vector<float>{1, 1e4f, 1, 1}, zeros));
}

TEST(IntegerLayerNorm, BadRowsThrow) {
  const LayerNormParams p =
      make_layernorm_params(spec(3, 0.05, 0.02, 1e-5), std::vector<float>(3, 1.0f), std::vector<float>(3, 0.0f));
  std::vector<std::int64_t> x{1, 2, 3}, y(3), short_row(2);
  EXPECT_NO_THROW(layernorm_row(x, p, y));
  expect_invalid([&] { layernorm_row(short_row, p, y); }, "input row has 2 values");
  expect_invalid([&] { layernorm_row(x, p, short_row); }, "output row has 2 values");
  std::vector<std::int64_t> outside{1, 128, 3};
  expect_invalid([&] { layernorm_row(outside, p, y); }, "x[1] = 128");
}

}  // namespace
}  // namespace wb::quant
