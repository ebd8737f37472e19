#include "compiler/quant/requant_params.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/error.h"
#include "tests/support/quant_testing.h"

namespace wb::quant {
namespace {

TEST(FixedPointFactor, UsesTheLargestShiftThatFits) {
  for (double f : {0.3, 0.000123, 0.99, 1.7, 123.4}) {
    const FixedPointFactor p = fixed_point_factor(f, 32767);
    EXPECT_LE(p.multiplier, 32767) << f;
    EXPECT_GT(p.multiplier, 32767 / 2) << f;  // one more shift would not fit
    EXPECT_NEAR(std::ldexp(static_cast<double>(p.multiplier), -p.shift), f, f * std::ldexp(1.0, -14)) << f;
  }
  const FixedPointFactor exact = fixed_point_factor(1.0 / 32, 32767);
  EXPECT_EQ(std::ldexp(static_cast<double>(exact.multiplier), -exact.shift), 1.0 / 32);
}

TEST(FixedPointFactor, LargeFactorsShiftLeftAndBoundsAreErrors) {
  const FixedPointFactor p = fixed_point_factor(1e6, 32767);
  EXPECT_LT(p.shift, 0);
  EXPECT_THROW(fixed_point_factor(0.0, 32767), UserError);
  EXPECT_THROW(fixed_point_factor(std::nan(""), 32767), UserError);
  EXPECT_THROW(fixed_point_factor(1e12, 32767, 0, 16), UserError);
  // With shifts capped at 16, a tiny factor becomes a tiny multiplier (precision is lost).
  EXPECT_EQ(fixed_point_factor(1e-6, 32767, 0, 16).shift, 16);
}

TEST(LutTable, SigmoidOverASignedInputSaturatesAndRoundsHalfToEven) {
  const QTensor x{"x", {1, 1, 1, 1}, 8, true, 0.05, 0};
  const QTensor y{"y", {1, 1, 1, 1}, 8, false, 1.0 / 255, 0};
  const auto table = lut_table(x, y, "sigmoid", 0, 0);
  ASSERT_EQ(table.size(), 256u);
  // Entry i is x = (i - 128) * 0.05: sigmoid(-6.4) * 255 = 0.42 -> 0; sigmoid(0) * 255 =
  // 127.5 -> 128 (half to even); sigmoid(6.35) * 255 = 254.55 -> 255.
  EXPECT_EQ(table.front(), 0);
  EXPECT_EQ(table[128], 128);
  EXPECT_EQ(table.back(), 255);
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end()));
}

TEST(LutTable, UnsignedInputsAndClampedOutputs) {
  // hardswish of an unsigned input in [0, 2.55] into a signed output too narrow for it.
  const QTensor x{"x", {1}, 8, false, 0.01, 0};
  const QTensor y{"y", {1}, 8, true, 0.01, 0};
  const auto table = lut_table(x, y, "hardswish", 1.0f / 6.0f, 0.5f);
  ASSERT_EQ(table.size(), 256u);
  EXPECT_EQ(table[0], 0);                   // hardswish(0) = 0
  EXPECT_EQ(table[100], 67);                // 1 * (1/6 + 0.5) = 0.6667 -> 66.67 -> 67
  EXPECT_EQ(table[255], 127);               // 2.55 * 0.925 = 2.36 -> 236 -> clamped to 127
  EXPECT_THROW(lut_table(x, y, "swish_of_gelu", 0, 0), UserError);
  // GELU (x * Phi(x)): 1.00 -> 0.8413 -> 84 levels of 0.01; 0 -> 0.
  const auto gelu = lut_table(x, y, "gelu", 0, 0);
  EXPECT_EQ(gelu[0], 0);
  EXPECT_EQ(gelu[100], 84);
}

// One conv [c_out, 1, 1, 1] reading an 8-bit input and writing an 8-bit output.
QGraph one_conv(Scheme scheme, std::vector<double> weight_scale, double x_scale, double y_scale, bool signed_out,
                std::int64_t c_out = 2) {
  Tensor weights(DType::I8, {c_out, 1, 1, 1});
  for (std::int64_t c = 0; c < c_out; ++c) weights.data<std::int8_t>()[c] = static_cast<std::int8_t>(100 - 30 * c);
  QGraph g = test::single_conv(
      scheme, QTensor{"x", {1, 1, 2, 2}, 8, true, x_scale, 0}, QTensor{"y", {1, c_out, 2, 2}, 8, signed_out, y_scale, 0},
      std::move(weights), std::move(weight_scale),
      Tensor::from_vector<std::int32_t>({c_out}, std::vector<std::int32_t>(static_cast<std::size_t>(c_out), 1000)));
  return g;
}

TEST(AssignRequant, Pow2ConvIsAPureShift) {
  QGraph g = one_conv(Scheme::Pow2, {1.0 / 128}, 1.0 / 64, 1.0 / 16, true);
  assign_requant(g);
  const Requant& r = g.nodes[0].requant;
  EXPECT_EQ(r.multiplier, std::vector<std::int64_t>{1});
  EXPECT_EQ(r.shift, std::vector<int>{9});  // (1/16) / (1/64 * 1/128) = 2^9
  EXPECT_EQ(r.offset, std::vector<std::int64_t>{0});
  EXPECT_EQ(r.lo, -128);
  EXPECT_EQ(r.hi, 127);
  g = one_conv(Scheme::Pow2, {0.01}, 1.0 / 64, 1.0 / 16, true);
  EXPECT_THROW(assign_requant(g), UserError);
}

TEST(AssignRequant, XdnnIsPerChannel16Bit) {
  QGraph g = one_conv(Scheme::Xdnn, {0.01, 0.003}, 0.02, 0.05, false);
  g.nodes[0].act_min = 0;
  assign_requant(g);
  const Requant& r = g.nodes[0].requant;
  ASSERT_EQ(r.channels(), 2u);
  for (std::size_t c = 0; c < 2; ++c) {
    const double f = 0.02 * (c == 0 ? 0.01 : 0.003) / 0.05;
    EXPECT_LE(r.multiplier[c], 32767);
    EXPECT_NEAR(std::ldexp(static_cast<double>(r.multiplier[c]), -r.shift[c]), f, f * 1e-4);
  }
  EXPECT_NE(r.multiplier[0] * (1LL << 20) >> r.shift[0], r.multiplier[1] * (1LL << 20) >> r.shift[1]);
  EXPECT_EQ(r.lo, 0);  // unsigned output
  EXPECT_EQ(r.hi, 255);
}

TEST(AssignRequant, PulpBatchNormPathUsesFifteenBitK) {
  QGraph g = one_conv(Scheme::Pulp, {0.01, 0.003}, 0.02, 0.05, false, 2);
  g.nodes[0].folded_batchnorm = true;
  assign_requant(g);
  const Requant& r = g.nodes[0].requant;
  ASSERT_EQ(r.channels(), 2u);
  EXPECT_EQ(r.intermediate_bits, 0);
  EXPECT_EQ(r.shift[0], r.shift[1]);  // one d per layer
  EXPECT_LE(std::max(r.multiplier[0], r.multiplier[1]), 32767);
  EXPECT_GT(std::max(r.multiplier[0], r.multiplier[1]), 32767 / 2);  // one more bit of d would not fit
  for (std::size_t c = 0; c < 2; ++c) {
    const double f = 0.02 * (c == 0 ? 0.01 : 0.003) / 0.05;
    EXPECT_NEAR(std::ldexp(static_cast<double>(r.multiplier[c]), -r.shift[c]), f, f * 2e-3);
  }
  // Weights 100 and 70 at int8 input (|x| <= 128) plus bias 1000: |k * acc| stays far below
  // 2^31, so PULP-NN's 32-bit kernel suffices.
  const auto bounds = conv_accumulator_bounds(g, g.nodes[0]);
  EXPECT_EQ(bounds, (std::vector<std::int64_t>{100 * 128 + 1000, 70 * 128 + 1000}));
  EXPECT_FALSE(pulp_batchnorm_needs_64bit(g, g.nodes[0]));
}

TEST(AssignRequant, WidePulpLayerNeedsTheSixtyFourBitKernel) {
  // 576 weights of 127 on int8 inputs: |acc| up to 9.4e6, and k ~ 2^14.
  QGraph g = one_conv(Scheme::Pulp, {0.01}, 0.02, 0.05, false, 1);
  g.tensors[0].shape = {1, 64, 3, 3};
  g.tensors[1].shape = {1, 1, 1, 1};
  QNode& conv = g.nodes[0];
  conv.folded_batchnorm = true;
  conv.weights = Tensor(DType::I8, {1, 64, 3, 3});
  for (auto& w : conv.weights.span<std::int8_t>()) w = 127;
  conv.bias = Tensor::from_vector<std::int32_t>({1}, {0});
  assign_requant(g);
  EXPECT_EQ(conv_accumulator_bounds(g, g.nodes[0]), std::vector<std::int64_t>{576 * 127 * 128});
  // A single channel has one weight scale, which makes it the plain path; the bound check
  // itself only reads k and d.
  g.nodes[0].requant.multiplier = {16384};
  g.nodes[0].requant.shift = {20};
  EXPECT_TRUE(pulp_batchnorm_needs_64bit(g, g.nodes[0]));
  g.nodes[0].requant.multiplier = {100};
  EXPECT_FALSE(pulp_batchnorm_needs_64bit(g, g.nodes[0]));
}

TEST(AssignRequant, PulpPlainPathIsInt16AndFloors) {
  QGraph g = one_conv(Scheme::Pulp, {0.01}, 0.02, 0.05, true);
  assign_requant(g);
  const Requant& r = g.nodes[0].requant;
  EXPECT_EQ(r.intermediate_bits, 16);
  EXPECT_EQ(r.rounding, "floor");
  ASSERT_EQ(r.channels(), 1u);
  EXPECT_LE(r.shift[0], 16);
  EXPECT_EQ(r.offset[0], -(std::int64_t{1} << (r.shift[0] - 1)));
}

TEST(AssignRequant, ReluSixClampsAtSix) {
  QGraph g = one_conv(Scheme::Pow2, {1.0 / 128}, 1.0 / 64, 1.0 / 32, false);
  g.nodes[0].act_min = 0;
  g.nodes[0].act_max = 6;
  assign_requant(g);
  EXPECT_EQ(g.nodes[0].requant.lo, 0);
  EXPECT_EQ(g.nodes[0].requant.hi, 192);  // 6 / (1/32)
}

QGraph one_add(Scheme scheme, double a_scale, double b_scale, double y_scale) {
  QGraph g;
  g.scheme = scheme;
  g.tensors = {QTensor{"a", {1, 2}, 8, true, a_scale, 0}, QTensor{"b", {1, 2}, 8, true, b_scale, 0},
               QTensor{"y", {1, 2}, 8, true, y_scale, 0}};
  g.inputs = {0, 1};
  g.outputs = {2};
  QNode add;
  add.kind = QOpKind::Add;
  add.name = "add";
  add.inputs = {0, 1};
  add.output = 2;
  g.nodes.push_back(add);
  return g;
}

TEST(AssignRequant, AddSharesAScaleExceptOnPulp) {
  QGraph same = one_add(Scheme::Pow2, 0.25, 0.25, 0.5);
  assign_requant(same);
  EXPECT_EQ(same.nodes[0].input_multiplier, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(same.nodes[0].requant.shift, std::vector<int>{1});
  QGraph different = one_add(Scheme::Xdnn, 0.25, 0.1, 0.5);
  EXPECT_THROW(assign_requant(different), UserError);
  QGraph pulp = one_add(Scheme::Pulp, 0.25, 0.1, 0.5);
  assign_requant(pulp);
  const auto& m = pulp.nodes[0].input_multiplier;
  const int d = pulp.nodes[0].requant.shift[0];
  EXPECT_NEAR(std::ldexp(static_cast<double>(m[0]), -d), 0.5, 1e-4);
  EXPECT_NEAR(std::ldexp(static_cast<double>(m[1]), -d), 0.2, 1e-4);
  EXPECT_LE(std::max(m[0], m[1]), 32767);
  EXPECT_EQ(pulp.nodes[0].requant.rounding, "floor");
}

}  // namespace
}  // namespace wb::quant
