// KERNEL_MATMUL's functional kernel (sim/pulp/kernels/matmul.cpp) against a plain reference
// written here from isa/pulp.proto's contract: random operands of every signedness, b in both
// layouts, a reduction that is not a multiple of 4, outputs that saturate; malformed calls are
// refused by kernel_problem with the problem named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sim/pulp/kernels/kernels.h"
#include "sim/pulp/kernels/matmul.h"
#include "support/error.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using testing::HasSubstr;

struct ProductCase {
  std::uint32_t rows = 0, reduction = 0, columns = 0;  // h_out, c_in, c_out
  bool a_signed = false, b_signed = true, y_signed = true, b_by_rows = false;
  std::int64_t multiplier = 1, offset = 0;
  int shift = 0;
  bool bias = false;  // Swin's scores: an int32 per output starts its sum
};

// The operands as values: a[m][k], and b(n, k) whatever the layout in L1.
struct Operands {
  std::vector<std::int32_t> a, b;  // a: rows x reduction; b: columns x reduction, b(n, k) at n * reduction + k
  std::vector<std::int32_t> bias;  // rows x columns, or empty
};

Operands random_operands(const ProductCase& p, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto draw = [&](bool is_signed) {
    return std::uniform_int_distribution<std::int32_t>(is_signed ? -128 : 0, is_signed ? 127 : 255)(rng);
  };
  Operands o;
  o.a.resize(std::size_t{p.rows} * p.reduction);
  o.b.resize(std::size_t{p.columns} * p.reduction);
  for (auto& v : o.a) v = draw(p.a_signed);
  for (auto& v : o.b) v = draw(p.b_signed);
  if (p.bias) {
    o.bias.resize(std::size_t{p.rows} * p.columns);
    for (auto& v : o.bias) v = std::uniform_int_distribution<std::int32_t>(-200000, 200000)(rng);
  }
  return o;
}

// y = clamp(round_half_up((v * multiplier + offset) / 2^shift)), docs/quant.md's requantisation.
std::vector<std::int32_t> reference(const ProductCase& p, const Operands& o) {
  const std::int64_t lo = p.y_signed ? -128 : 0, hi = p.y_signed ? 127 : 255;
  std::vector<std::int32_t> y(std::size_t{p.rows} * p.columns);
  for (std::uint32_t m = 0; m < p.rows; ++m) {
    for (std::uint32_t n = 0; n < p.columns; ++n) {
      std::int64_t v = o.bias.empty() ? 0 : o.bias[std::size_t{m} * p.columns + n];
      for (std::uint32_t k = 0; k < p.reduction; ++k) {
        v += std::int64_t{o.a[std::size_t{m} * p.reduction + k]} * o.b[std::size_t{n} * p.reduction + k];
      }
      std::int64_t scaled = v * p.multiplier + p.offset;
      if (p.shift > 0) scaled = (scaled + (std::int64_t{1} << (p.shift - 1))) >> p.shift;
      y[std::size_t{m} * p.columns + n] = static_cast<std::int32_t>(std::clamp(scaled, lo, hi));
    }
  }
  return y;
}

struct ProductRun {
  KernelCall call;
  std::vector<std::uint8_t> l1;
};

// The call with its operands placed in an L1 of 64 KiB: a, b (in the case's layout), the
// scratch when b comes by rows, the output; the output's bytes start as 0xee.
ProductRun product_run(const ProductCase& p, const Operands& o) {
  ProductRun r;
  KernelCall& c = r.call;
  c.set_kind(isa::pulp::KERNEL_MATMUL);
  c.set_parallel(isa::pulp::PARALLEL_HO);
  c.set_h_in(p.rows);
  c.set_h_out(p.rows);
  c.set_w_in(1);
  c.set_w_out(1);
  c.set_c_in(p.reduction);
  c.set_c_out(p.columns);
  c.set_k_h(1);
  c.set_k_w(1);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_input_signed(p.a_signed);
  c.set_input_b_signed(p.b_signed);
  c.set_output_signed(p.y_signed);
  c.set_matmul_b_by_rows(p.b_by_rows);
  isa::Requant& q = *c.mutable_requant();
  q.add_multiplier(p.multiplier);
  q.add_offset(p.offset);
  q.add_shift(p.shift);
  q.set_lo(p.y_signed ? -128 : 0);
  q.set_hi(p.y_signed ? 127 : 255);
  const std::uint64_t a_bytes = std::uint64_t{p.rows} * p.reduction, b_bytes = std::uint64_t{p.columns} * p.reduction;
  c.set_input(64);
  c.set_input_b(c.input() + a_bytes + 8);
  c.set_im2col(c.input_b() + b_bytes + 8);
  c.set_output(c.im2col() + (p.b_by_rows ? b_bytes : 0) + 8);
  r.l1.assign(1 << 16, 0);
  for (std::size_t i = 0; i < o.a.size(); ++i) r.l1[c.input() + i] = static_cast<std::uint8_t>(o.a[i]);
  for (std::uint32_t n = 0; n < p.columns; ++n) {
    for (std::uint32_t k = 0; k < p.reduction; ++k) {
      const std::uint64_t at = p.b_by_rows ? std::uint64_t{k} * p.columns + n : std::uint64_t{n} * p.reduction + k;
      r.l1[c.input_b() + at] = static_cast<std::uint8_t>(o.b[std::size_t{n} * p.reduction + k]);
    }
  }
  std::fill_n(r.l1.begin() + static_cast<std::ptrdiff_t>(c.output()), std::uint64_t{p.rows} * p.columns, 0xee);
  if (p.bias) {
    // int32 little-endian rows x columns, a word past the output and its guard byte.
    c.set_has_bias(true);
    c.set_bias((c.output() + std::uint64_t{p.rows} * p.columns + 8) / 4 * 4);
    for (std::size_t i = 0; i < o.bias.size(); ++i) {
      const auto v = static_cast<std::uint32_t>(o.bias[i]);
      for (int byte = 0; byte < 4; ++byte) r.l1[c.bias() + 4 * i + static_cast<std::size_t>(byte)] = (v >> (8 * byte)) & 0xffu;
    }
  }
  return r;
}

std::int32_t output_value(const ProductRun& r, std::size_t i) {
  const std::uint8_t byte = r.l1[r.call.output() + i];
  return r.call.output_signed() ? std::int32_t{static_cast<std::int8_t>(byte)} : std::int32_t{byte};
}

void expect_equals_reference(const ProductCase& p, std::uint32_t seed, const std::string& what) {
  const Operands o = random_operands(p, seed);
  ProductRun r = product_run(p, o);
  ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "") << what;
  run_kernel(r.call, r.l1);
  const std::vector<std::int32_t> expected = reference(p, o);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(output_value(r, i), expected[i]) << what << ", output " << i / p.columns << "," << i % p.columns;
  }
  // Nothing past the output: the byte after it keeps L1's zero.
  EXPECT_EQ(r.l1[r.call.output() + expected.size()], 0) << what;
}

TEST(PulpMatMulKernel, RandomProductsEqualTheReferenceInBothLayoutsAndEveryType) {
  std::uint32_t seed = 1;
  for (const bool by_rows : {false, true}) {
    for (const bool a_signed : {false, true}) {
      for (const bool b_signed : {false, true}) {
        for (const bool y_signed : {false, true}) {
          ProductCase p;
          p.rows = 5;
          p.reduction = 11;  // two words and three leftover bytes
          p.columns = 7;
          p.a_signed = a_signed;
          p.b_signed = b_signed;
          p.y_signed = y_signed;
          p.b_by_rows = by_rows;
          // Scales the sums (up to 11 * 255 * 255 in magnitude) into the 8-bit range, mostly.
          p.multiplier = 3;
          p.offset = y_signed ? 0 : 500;
          p.shift = 12;
          expect_equals_reference(p, seed++, fmt::format("by_rows {} a {} b {} y {}", by_rows, a_signed, b_signed,
                                                         y_signed));
        }
      }
    }
  }
}

// Attention's two products: uint8 probabilities times int8 V (A.V, V's pixels the reduction,
// so b by rows), int8 Q times int8 K (Q.K^T) at a ViT's 17 tokens of 16 channels.
TEST(PulpMatMulKernel, AttentionShapesEqualTheReference) {
  ProductCase scores;
  scores.rows = 17;
  scores.reduction = 16;
  scores.columns = 17;
  scores.a_signed = true;
  scores.b_signed = true;
  scores.multiplier = 5;
  scores.shift = 10;
  expect_equals_reference(scores, 21, "scores");
  ProductCase context;
  context.rows = 17;
  context.reduction = 17;
  context.columns = 16;
  context.a_signed = false;
  context.b_signed = true;
  context.b_by_rows = true;
  context.multiplier = 7;
  context.shift = 11;
  expect_equals_reference(context, 22, "context");
}

// A multiplier of 2^20 sends nearly every non-zero sum past the clamp: the outputs are the
// type's ends with the sum's sign, checked against the reference, and both ends occur.
TEST(PulpMatMulKernel, OutputsSaturateAtTheClamp) {
  for (const bool y_signed : {false, true}) {
    ProductCase p;
    p.rows = 4;
    p.reduction = 6;
    p.columns = 9;
    p.a_signed = true;
    p.b_signed = true;
    p.y_signed = y_signed;
    p.multiplier = 1 << 20;
    const Operands o = random_operands(p, 31);
    ProductRun r = product_run(p, o);
    ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
    run_kernel(r.call, r.l1);
    const std::vector<std::int32_t> expected = reference(p, o);
    int lows = 0, highs = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(output_value(r, i), expected[i]) << i;
      lows += output_value(r, i) == (y_signed ? -128 : 0);
      highs += output_value(r, i) == (y_signed ? 127 : 255);
    }
    EXPECT_GT(lows, 0);
    EXPECT_GT(highs, 0);
  }
}

// By rows, the scratch holds b transposed afterwards (what the cores leave there).
TEST(PulpMatMulKernel, ByRowsTheScratchHoldsBTransposed) {
  ProductCase p;
  p.rows = 2;
  p.reduction = 3;
  p.columns = 2;
  p.b_by_rows = true;
  p.b_signed = false;
  Operands o;
  o.a = {1, 0, 0, 0, 1, 0};
  o.b = {10, 20, 30, 40, 50, 60};  // b(0, .) = 10 20 30, b(1, .) = 40 50 60
  ProductRun r = product_run(p, o);
  // In L1 by rows: b[k][n], so 10 40 20 50 30 60.
  const std::vector<std::uint8_t> stored(r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.input_b()),
                                         r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.input_b() + 6));
  EXPECT_EQ(stored, (std::vector<std::uint8_t>{10, 40, 20, 50, 30, 60}));
  ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
  run_kernel(r.call, r.l1);
  const std::vector<std::uint8_t> scratch(r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.im2col()),
                                          r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.im2col() + 6));
  EXPECT_EQ(scratch, (std::vector<std::uint8_t>{10, 20, 30, 40, 50, 60}));
  // Row 0 of a picks k = 0: y[0] = (10, 40); row 1 picks k = 1: y[1] = (20, 50).
  EXPECT_EQ(output_value(r, 0), 10);
  EXPECT_EQ(output_value(r, 1), 40);
  EXPECT_EQ(output_value(r, 2), 20);
  EXPECT_EQ(output_value(r, 3), 50);
}

TEST(PulpMatMulKernel, MalformedCallsAreRefusedByName) {
  ProductCase p;
  p.rows = 4;
  p.reduction = 8;
  p.columns = 6;
  p.b_by_rows = true;
  const ProductRun good = product_run(p, random_operands(p, 41));
  const std::size_t l1 = good.l1.size();
  ASSERT_EQ(kernel_problem(good.call, l1), "");
  const auto problem = [&](auto change) {
    KernelCall c = good.call;
    change(c);
    return kernel_problem(c, l1);
  };
  EXPECT_THAT(problem([](KernelCall& c) { c.mutable_requant()->add_multiplier(2); }),
              HasSubstr("matmul needs one requant entry (per tensor), has 2/1/1 multiplier/offset/shift"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_w_in(2);
                c.set_w_out(2);
              }),
              HasSubstr("matmul with w_in 2 and w_out 2 (1 expected"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_output(65536 - 10); }),
              HasSubstr("output: 24 bytes at 65526 end beyond L1 (65536 bytes)"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_input_b(65536 - 47); }),
              HasSubstr("input_b: 48 bytes at 65489 end beyond L1"));
  // By rows the scratch must be there: an im2col address past L1 is refused, naming it.
  EXPECT_THAT(problem([](KernelCall& c) { c.set_im2col(65536); }),
              HasSubstr("matmul scratch (im2col): 48 bytes at 65536 end beyond L1"));
  // A scratch never placed (im2col left at 0, where nothing says a is not) or over b or y.
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_input(0);
                c.set_im2col(0);
              }),
              HasSubstr("matmul scratch (im2col) at 0 (48 bytes) overlaps input (32 bytes at 0): b by rows needs a "
                        "scratch of its own"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_im2col(c.input_b() + 47); }), HasSubstr("overlaps input_b"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_im2col(c.output() - 47); }), HasSubstr("overlaps output"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_parallel(isa::pulp::PARALLEL_CO); }),
              HasSubstr("matmul with a parallel other than ho"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_has_bias(true); }), HasSubstr("matmul with has_bias"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_k_h(3);
                c.set_h_in(6);
              }),
              HasSubstr("matmul with a 3x1 window and stride 1x1 (1x1 and 1x1 expected)"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_c_in(kMatMulMaxReduction + 1);
                c.set_input_b(0);
                c.set_input(0);
                c.set_im2col(0);
              }),
              HasSubstr("matmul over c_in 33026 (at most 33025"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_kind(isa::pulp::KERNEL_POINTWISE); }),
              HasSubstr("matmul_b_by_rows on kind pointwise (only matmul has it)"));
  // Without matmul_b_by_rows the scratch is not read: any address passes.
  EXPECT_EQ(problem([](KernelCall& c) {
              c.set_matmul_b_by_rows(false);
              c.set_im2col(1u << 30);
            }),
            "");
}

// A head's later tile (matmul_b_transposed): the call reads the transposed copy the head's first
// call left in the scratch and not b, whose bytes are overwritten here; its output equals the
// reference and what a call that transposes b again gives, and the scratch is left as it was.
TEST(PulpMatMulKernel, ACallWithBTransposedReadsTheCopyAnEarlierCallLeft) {
  ProductCase p;
  p.rows = 6;
  p.reduction = 13;
  p.columns = 10;
  p.b_by_rows = true;
  p.a_signed = false;
  p.b_signed = true;
  p.multiplier = 3;
  p.shift = 10;
  const Operands first = random_operands(p, 51);
  ProductRun r = product_run(p, first);
  ASSERT_EQ(kernel_problem(r.call, r.l1.size()), "");
  run_kernel(r.call, r.l1);
  Operands second = random_operands(p, 52);
  second.b = first.b;
  for (std::size_t i = 0; i < second.a.size(); ++i) r.l1[r.call.input() + i] = static_cast<std::uint8_t>(second.a[i]);
  std::vector<std::uint8_t> transposing = r.l1;
  const auto bytes_at = [](const std::vector<std::uint8_t>& l1, std::uint64_t at, std::uint64_t n) {
    return std::vector<std::uint8_t>(l1.begin() + static_cast<std::ptrdiff_t>(at),
                                     l1.begin() + static_cast<std::ptrdiff_t>(at + n));
  };
  const std::uint64_t b_bytes = std::uint64_t{p.columns} * p.reduction, y_bytes = std::uint64_t{p.rows} * p.columns;
  const std::vector<std::uint8_t> scratch = bytes_at(r.l1, r.call.im2col(), b_bytes);
  std::fill_n(r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.input_b()), b_bytes, 0x5a);
  std::fill_n(r.l1.begin() + static_cast<std::ptrdiff_t>(r.call.output()), y_bytes, 0xee);
  KernelCall flagged = r.call;
  flagged.set_matmul_b_transposed(true);
  ASSERT_EQ(kernel_problem(flagged, r.l1.size()), "");
  run_kernel(flagged, r.l1);
  const std::vector<std::int32_t> expected = reference(p, second);
  for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(output_value(r, i), expected[i]) << "output " << i;
  run_kernel(r.call, transposing);
  EXPECT_EQ(bytes_at(r.l1, r.call.output(), y_bytes), bytes_at(transposing, r.call.output(), y_bytes));
  EXPECT_EQ(bytes_at(r.l1, r.call.im2col(), b_bytes), scratch);
}

// matmul_b_transposed needs b by rows (only then is there a scratch) and a matmul; b is not read,
// so its address is not checked and the scratch may lie over it; the scratch is still checked.
TEST(PulpMatMulKernel, BTransposedNeedsBByRowsAndLeavesBUnchecked) {
  ProductCase p;
  p.rows = 4;
  p.reduction = 8;
  p.columns = 6;
  p.b_by_rows = true;
  ProductRun good = product_run(p, random_operands(p, 61));
  good.call.set_matmul_b_transposed(true);
  const std::size_t l1 = good.l1.size();
  ASSERT_EQ(kernel_problem(good.call, l1), "");
  const auto problem = [&](auto change) {
    KernelCall c = good.call;
    change(c);
    return kernel_problem(c, l1);
  };
  EXPECT_THAT(problem([](KernelCall& c) { c.set_matmul_b_by_rows(false); }),
              HasSubstr("matmul_b_transposed without matmul_b_by_rows"));
  EXPECT_THAT(problem([](KernelCall& c) {
                c.set_matmul_b_by_rows(false);
                c.set_kind(isa::pulp::KERNEL_POINTWISE);
              }),
              HasSubstr("matmul_b_transposed on kind pointwise (only matmul has it)"));
  EXPECT_EQ(problem([](KernelCall& c) { c.set_input_b(1u << 30); }), "");
  EXPECT_EQ(problem([](KernelCall& c) { c.set_input_b(c.im2col()); }), "");
  EXPECT_THAT(problem([](KernelCall& c) { c.set_im2col(65536); }),
              HasSubstr("matmul scratch (im2col): 48 bytes at 65536 end beyond L1"));
  EXPECT_THAT(problem([](KernelCall& c) { c.set_im2col(c.output() - 47); }), HasSubstr("overlaps output"));
}

// Swin's scores with the relative-position bias: each sum starts at its int32 bias, in every
// type; a bias is only for the scores (not b by rows), inside L1, and small enough that the
// cores' 32-bit sums cannot overflow (checked as the call runs: the bias arrives by DMA).
TEST(PulpMatMulKernel, ABiasStartsEachSumOfTheScores) {
  std::uint32_t seed = 71;
  for (const bool a_signed : {false, true}) {
    for (const bool y_signed : {false, true}) {
      ProductCase p;
      p.rows = 7;
      p.reduction = 9;
      p.columns = 7;
      p.a_signed = a_signed;
      p.y_signed = y_signed;
      p.multiplier = 3;
      p.offset = y_signed ? 0 : 500;
      p.shift = 12;
      p.bias = true;
      expect_equals_reference(p, seed++, fmt::format("bias, a {} y {}", a_signed, y_signed));
    }
  }
  ProductCase p;
  p.rows = 4;
  p.reduction = 8;
  p.columns = 6;
  p.bias = true;
  const Operands o = random_operands(p, 5);
  const ProductRun good = product_run(p, o);
  ASSERT_EQ(kernel_problem(good.call, good.l1.size()), "");
  KernelCall by_rows = good.call;
  by_rows.set_matmul_b_by_rows(true);
  by_rows.set_im2col(60000);
  EXPECT_THAT(kernel_problem(by_rows, good.l1.size()), HasSubstr("matmul with has_bias and matmul_b_by_rows"));
  KernelCall outside = good.call;
  outside.set_bias(65536 - 64);
  EXPECT_THAT(kernel_problem(outside, good.l1.size()), HasSubstr("matmul bias: 96 bytes at 65472 end beyond L1"));
  ProductRun huge = good;
  const auto big = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max() - 1000);
  for (int byte = 0; byte < 4; ++byte) huge.l1[huge.call.bias() + 4 * 5 + static_cast<std::size_t>(byte)] = (big >> (8 * byte)) & 0xffu;
  try {
    run_kernel(huge.call, huge.l1);
    ADD_FAILURE() << "a bias that could overflow the sums ran";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("matmul: bias entry 5 is 2147482647; with the products of c_in 8"));
  }
}

}  // namespace
}  // namespace wb::sim::pulp
