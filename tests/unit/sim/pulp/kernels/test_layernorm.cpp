// KERNEL_LAYERNORM's functional kernel (sim/pulp/kernels/layernorm.cpp), written from the
// contract without compiler code: on random rows, edge rows (constant, n = 1, extremes, no
// epsilon, a long row) and whole calls of several pixels it equals quant::layernorm_row (the
// golden model's arithmetic); malformed calls are refused before running and table data the
// quantizer cannot write is a UserError before any output byte changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "compiler/quant/integer_layernorm.h"
#include "isa/pulp_timing.h"
#include "sim/pulp/kernels/kernels.h"
#include "sim/common/layernorm.h"
#include "sim/pulp/kernels/layernorm.h"
#include "support/error.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using testing::HasSubstr;

// Parameters of a node over rows of n 8-bit values, gamma and beta random (seeded).
quant::LayerNormParams params(std::size_t n, bool in_signed, bool out_signed, double epsilon, std::uint32_t seed,
                              double scale_in = 0.05, double scale_out = 0.02, bool rms = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(1.0f, 0.5f), b(0.0f, 1.0f);
  std::vector<float> gamma(n), beta(n);
  for (std::size_t i = 0; i < n; ++i) {
    gamma[i] = g(rng);
    beta[i] = b(rng);
  }
  quant::LayerNormSpec spec;
  spec.n = n;
  spec.scale_in = scale_in;
  spec.input = quant::IntFormat{8, in_signed};
  spec.scale_out = scale_out;
  spec.output = quant::IntFormat{8, out_signed};
  spec.epsilon = epsilon;
  spec.rms = rms;
  return quant::make_layernorm_params(spec, gamma, beta);
}

LayerNormRow row_params(const quant::LayerNormParams& p) {
  LayerNormRow r;
  r.output_lo = p.output_lo;
  r.output_hi = p.output_hi;
  r.eps_mantissa = p.eps_mantissa;
  r.eps_exponent = p.eps_exponent;
  r.eps_ceil = p.eps_ceil;
  r.shift = p.shift;
  r.rms = p.rms;
  return r;
}

// The simulator's row against quant's on x.
void expect_row_agrees(const std::vector<std::int32_t>& x, const quant::LayerNormParams& p, const std::string& what) {
  const std::vector<std::int64_t> x64(x.begin(), x.end());
  std::vector<std::int64_t> expected(x.size());
  quant::layernorm_row(x64, p, expected);
  std::vector<std::int32_t> got(x.size());
  layernorm_row(x, p.gamma_multiplier, p.beta_offset, row_params(p), got);
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], expected[i]) << what << ", element " << i;
}

std::vector<std::int32_t> random_row(std::size_t n, bool is_signed, std::mt19937& rng) {
  std::uniform_int_distribution<std::int32_t> v(is_signed ? -128 : 0, is_signed ? 127 : 255);
  std::vector<std::int32_t> x(n);
  for (auto& e : x) e = v(rng);
  return x;
}

TEST(PulpLayerNormKernel, TheSquareRootChargedMatchesQuantsBound) {
  EXPECT_EQ(kLayerNormIsqrtSteps, quant::kIsqrtMaxSteps);
  EXPECT_EQ(kLayerNormDividesPerPixel, 20);
  // The simulator's square root is quant's, steps included, up to the top of uint64.
  std::mt19937_64 rng(3);
  int most = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    int steps = 0, divisions = 0;
    ASSERT_EQ(integer_sqrt(v, &steps), quant::detail::isqrt_floor_counting(v, divisions)) << v;
    ASSERT_EQ(steps, v < 2 ? 0 : divisions) << v;
    most = std::max(most, steps);
  }
  EXPECT_LE(most, kLayerNormIsqrtSteps);
  int steps = 0;
  EXPECT_EQ(integer_sqrt(~std::uint64_t{0}, &steps), 4294967295u);
}

TEST(PulpLayerNormKernel, RandomRowsEqualQuantsLayerNormRow) {
  std::mt19937 rng(17);
  for (const std::size_t n : {2u, 3u, 7u, 16u, 64u, 333u}) {
    for (const bool in_signed : {true, false}) {
      for (const bool out_signed : {true, false}) {
        for (const double epsilon : {1e-5, 0.0, 1e-1}) {
          const quant::LayerNormParams p = params(n, in_signed, out_signed, epsilon, static_cast<std::uint32_t>(n));
          for (int row = 0; row < 20; ++row) {
            expect_row_agrees(random_row(n, in_signed, rng), p,
                              fmt::format("n {} in {} out {} eps {} row {}", n, in_signed, out_signed, epsilon, row));
          }
        }
      }
    }
  }
}

TEST(PulpLayerNormKernel, RmsRowsEqualQuantsRmsNormRow) {
  std::mt19937 rng(23);
  for (const std::size_t n : {1u, 2u, 7u, 64u, 333u, 4096u}) {
    for (const bool in_signed : {true, false}) {
      for (const double epsilon : {1e-6, 0.0, 1e-1}) {
        const quant::LayerNormParams p =
            params(n, in_signed, true, epsilon, static_cast<std::uint32_t>(n), 0.05, 0.02, /*rms=*/true);
        for (int row = 0; row < 8; ++row) {
          expect_row_agrees(random_row(n, in_signed, rng), p, fmt::format("rms n {} in {} eps {} row {}", n, in_signed, epsilon, row));
        }
        expect_row_agrees(std::vector<std::int32_t>(n, 0), p, "rms zeros");
        std::vector<std::int32_t> one(n, 0);
        one[n / 2] = in_signed ? -1 : 1;  // V = 1
        expect_row_agrees(one, p, "rms V = 1");
        expect_row_agrees(std::vector<std::int32_t>(n, in_signed ? -128 : 255), p, "rms at the bound");
      }
    }
  }
}

TEST(PulpLayerNormKernel, EdgeRowsEqualQuantsLayerNormRow) {
  // A constant row (V = 0): beta alone, whatever epsilon.
  for (const double epsilon : {0.0, 1e-5}) {
    const quant::LayerNormParams p = params(8, true, true, epsilon, 1);
    for (const std::int32_t v : {-128, 0, 5, 127}) expect_row_agrees(std::vector<std::int32_t>(8, v), p, "constant");
  }
  // n = 1: always V = 0.
  const quant::LayerNormParams one = params(1, true, true, 1e-5, 2);
  for (const std::int32_t v : {-128, -1, 0, 127}) expect_row_agrees({v}, one, "n = 1");
  // Extremes: one value far from the rest, alternating bounds, V = 2 (the smallest nonzero),
  // no epsilon, a tiny and a huge epsilon (in V's units), a long row of 4096.
  for (const bool in_signed : {true, false}) {
    const std::int32_t lo = in_signed ? -128 : 0, hi = in_signed ? 127 : 255;
    for (const double epsilon : {0.0, 1e-12, 1e-5, 10.0}) {
      const quant::LayerNormParams p = params(16, in_signed, true, epsilon, 3);
      std::vector<std::int32_t> spike(16, lo);
      spike[5] = hi;
      expect_row_agrees(spike, p, "spike");
      std::vector<std::int32_t> alternating(16);
      for (std::size_t i = 0; i < 16; ++i) alternating[i] = i % 2 == 0 ? lo : hi;
      expect_row_agrees(alternating, p, "alternating");
      const quant::LayerNormParams two = params(2, in_signed, false, epsilon, 4);
      expect_row_agrees({lo, lo + 1}, two, "V = 2");
      expect_row_agrees({hi, lo}, two, "the widest pair");
    }
    std::mt19937 rng(9);
    const quant::LayerNormParams wide = params(4096, in_signed, true, 1e-5, 5, 0.5, 0.01);
    expect_row_agrees(random_row(4096, in_signed, rng), wide, "4096 channels");
    std::vector<std::int32_t> split(4096, lo);
    for (std::size_t i = 0; i < 2048; ++i) split[i] = hi;  // the largest V of the type
    expect_row_agrees(split, wide, "4096 channels at the bounds");
  }
}

// A call over h x w pixels of n channels: input, table and output in L1, random input bytes.
struct LayerNormCase {
  KernelCall call;
  std::vector<std::uint8_t> l1;
};

LayerNormCase make_case(const quant::LayerNormParams& p, std::uint32_t h, std::uint32_t w, bool in_signed,
                        bool out_signed, std::uint32_t seed) {
  LayerNormCase r;
  KernelCall& c = r.call;
  const auto n = static_cast<std::uint32_t>(p.n);
  c.set_kind(isa::pulp::KERNEL_LAYERNORM);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  c.set_h_in(h);
  c.set_w_in(w);
  c.set_c_in(n);
  c.set_h_out(h);
  c.set_w_out(w);
  c.set_c_out(n);
  c.set_k_h(1);
  c.set_k_w(1);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_input_signed(in_signed);
  c.set_output_signed(out_signed);
  c.set_layernorm_shift(static_cast<std::uint32_t>(p.shift));
  c.set_layernorm_eps_mantissa(p.eps_mantissa);
  c.set_layernorm_eps_exponent(p.eps_exponent);
  c.set_layernorm_eps_ceil(p.eps_ceil);
  c.set_layernorm_rms(p.rms);
  const std::uint64_t bytes = std::uint64_t{h} * w * n;
  c.set_input(0);
  c.set_weights((bytes + 3) / 4 * 4);
  c.set_output(c.weights() + layernorm_table_bytes(c));
  r.l1.assign(c.output() + bytes + 16, 0xa5);
  std::mt19937 rng(seed);
  for (std::uint64_t i = 0; i < bytes; ++i) r.l1[i] = static_cast<std::uint8_t>(rng());
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto g = static_cast<std::uint32_t>(static_cast<std::int32_t>(p.gamma_multiplier[i]));
    const auto b = static_cast<std::uint64_t>(p.beta_offset[i]);
    std::memcpy(&r.l1[c.weights() + 4 * std::uint64_t{i}], &g, 4);
    std::memcpy(&r.l1[c.weights() + 4 * std::uint64_t{n} + 8 * std::uint64_t{i}], &b, 8);
  }
  return r;
}

TEST(PulpLayerNormKernel, AWholeCallNormalisesEveryPixelAsQuant) {
  for (const bool in_signed : {true, false}) {
    for (const bool out_signed : {true, false}) {
      for (const std::uint32_t n : {5u, 12u}) {
        const quant::LayerNormParams p = params(n, in_signed, out_signed, 1e-5, 7);
        const LayerNormCase r = make_case(p, 3, 4, in_signed, out_signed, 21);
        ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
        std::vector<std::uint8_t> l1 = r.l1;
        run_kernel(r.call, l1);
        const std::uint64_t pixels = 12, out_end = r.call.output() + pixels * n;
        for (std::uint64_t px = 0; px < pixels; ++px) {
          std::vector<std::int64_t> x(n), y(n);
          for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint8_t byte = r.l1[px * n + i];
            x[i] = in_signed ? static_cast<std::int8_t>(byte) : byte;
          }
          quant::layernorm_row(x, p, y);
          for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint8_t got = l1[r.call.output() + px * n + i];
            ASSERT_EQ(out_signed ? static_cast<std::int8_t>(got) : got, y[i]) << "pixel " << px << " channel " << i;
          }
        }
        for (std::uint64_t i = 0; i < l1.size(); ++i) {
          if (i < r.call.output() || i >= out_end) {
            ASSERT_EQ(l1[i], r.l1[i]) << "byte " << i;
          }
        }
      }
    }
  }
}

TEST(PulpLayerNormKernel, AWholeRmsCallNormalisesEveryPixelAsQuant) {
  const quant::LayerNormParams p = params(12, true, true, 1e-6, 8, 0.05, 0.02, /*rms=*/true);
  const LayerNormCase r = make_case(p, 2, 3, true, true, 22);
  ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
  std::vector<std::uint8_t> l1 = r.l1;
  run_kernel(r.call, l1);
  for (std::uint64_t px = 0; px < 6; ++px) {
    std::vector<std::int64_t> x(12), y(12);
    for (std::uint32_t i = 0; i < 12; ++i) x[i] = static_cast<std::int8_t>(r.l1[px * 12 + i]);
    quant::layernorm_row(x, p, y);
    for (std::uint32_t i = 0; i < 12; ++i) {
      ASSERT_EQ(static_cast<std::int8_t>(l1[r.call.output() + px * 12 + i]), y[i]) << "pixel " << px << " channel " << i;
    }
  }
  // The same call read as a LayerNorm gives other bytes: the flag is what the kernel runs.
  KernelCall centred = r.call;
  centred.set_layernorm_rms(false);
  std::vector<std::uint8_t> other = r.l1;
  run_kernel(centred, other);
  EXPECT_NE(other, l1);
}

TEST(PulpLayerNormKernel, MalformedCallsAreRefusedByName) {
  const quant::LayerNormParams p = params(6, true, true, 1e-5, 8);
  const LayerNormCase good = make_case(p, 2, 2, true, true, 1);
  ASSERT_EQ(kernel_problem(good.call, good.l1.size()), "");
  const auto problem = [&](const std::function<void(KernelCall&)>& change) {
    KernelCall c = good.call;
    change(c);
    return kernel_problem(c, good.l1.size());
  };
  EXPECT_THAT(problem([](KernelCall& c) { c.set_parallel(isa::pulp::PARALLEL_CO); }),
              HasSubstr("layernorm with a parallel other than ho"));
  EXPECT_EQ(problem([](KernelCall& c) { c.set_layernorm_shift(32); }), "layernorm_shift 32 outside 33..61");
  EXPECT_EQ(problem([](KernelCall& c) { c.set_layernorm_shift(62); }), "layernorm_shift 62 outside 33..61");
  EXPECT_THAT(problem([](KernelCall& c) { c.set_layernorm_eps_ceil(c.layernorm_eps_ceil() + 1); }),
              HasSubstr("is not ceil("));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_layernorm_eps_mantissa(std::uint64_t{1} << 53); }),
              HasSubstr("not below 2^53"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_layernorm_eps_mantissa(1);
                c.set_layernorm_eps_exponent(63);
              }),
              HasSubstr("above 2^62"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_c_in(70000);
                c.set_c_out(70000);
              }),
              HasSubstr("layernorm over 70000 channels"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_c_in(5); }), HasSubstr("c_in 5 differs from c_out 6"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_k_h(3);
                c.set_h_in(4);
              }),
              HasSubstr("layernorm with a 3x1 window"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_weights(c.output() + 20); }), HasSubstr("layernorm table: 72 bytes"));
}

TEST(PulpLayerNormKernel, TableDataTheQuantizerCannotWriteIsAUserErrorBeforeAnyOutput) {
  const quant::LayerNormParams p = params(6, true, true, 1e-5, 8);
  const LayerNormCase good = make_case(p, 2, 2, true, true, 1);
  const auto error = [&](std::uint64_t at, const std::vector<std::uint8_t>& bytes) {
    std::vector<std::uint8_t> l1 = good.l1;
    std::copy(bytes.begin(), bytes.end(), l1.begin() + static_cast<std::ptrdiff_t>(good.call.weights() + at));
    const std::vector<std::uint8_t> before = l1;
    try {
      run_kernel(good.call, l1);
    } catch (const UserError& e) {
      EXPECT_EQ(l1, before) << "an output byte changed";
      return std::string(e.what());
    }
    return std::string("ran");
  };
  EXPECT_EQ(error(4 * 2, {0, 0, 0, 0x80}), "layernorm: gamma multiplier of channel 2 is -2^31 (|gamma| < 2^31 expected)");
  EXPECT_EQ(error(4 * 6 + 8 * 3, {0, 0, 0, 0, 0, 0, 0, 0x40}),
            "layernorm: beta offset of channel 3 is 4611686018427387904, beyond +-2^61");
}

}  // namespace
}  // namespace wb::sim::pulp
