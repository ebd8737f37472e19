// The integer golden executor on small QGraphs: hand-computed cases for every node kind and
// the edges of docs/quant.md, and convolutions against a direct seven-loop convolution in
// int64 followed by an independent (long double) requantisation.

#include "compiler/golden/integer_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/error.h"

namespace wb::golden {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

// ---------------------------------------------------------------------------------------
// Building small QGraphs and tensors.

Tensor ints(DType dtype, Shape shape, const std::vector<std::int64_t>& values) {
  Tensor t(dtype, std::move(shape));
  if (static_cast<std::int64_t>(values.size()) != t.numel()) throw std::logic_error("ints: wrong value count");
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      for (std::size_t i = 0; i < values.size(); ++i) t.data<T>()[i] = static_cast<T>(values[i]);
    } else {
      throw std::logic_error("ints: not an integer dtype");
    }
  });
  return t;
}

std::vector<std::int64_t> random_values(std::size_t count, std::int64_t lo, std::int64_t hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> dist(lo, hi);
  std::vector<std::int64_t> values(count);
  for (auto& v : values) v = dist(rng);
  return values;
}

quant::Requant requant(std::vector<std::int64_t> multiplier, std::vector<int> shift, std::int64_t lo, std::int64_t hi) {
  quant::Requant r;
  r.offset.assign(multiplier.size(), 0);
  r.multiplier = std::move(multiplier);
  r.shift = std::move(shift);
  r.lo = lo;
  r.hi = hi;
  return r;
}

struct Builder {
  QGraph graph;

  int tensor(const std::string& name, Shape shape, int bits, bool is_signed, double scale = 1.0) {
    QTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.bits = bits;
    t.is_signed = is_signed;
    t.scale = scale;
    graph.tensors.push_back(t);
    return static_cast<int>(graph.tensors.size()) - 1;
  }
  int input(const std::string& name, Shape shape, int bits, bool is_signed, double scale = 1.0) {
    const int index = tensor(name, std::move(shape), bits, is_signed, scale);
    graph.inputs.push_back(index);
    return index;
  }
  QNode& node(QOpKind kind, const std::string& name, std::vector<int> inputs, int output) {
    QNode n;
    n.kind = kind;
    n.name = name;
    n.inputs = std::move(inputs);
    n.output = output;
    graph.nodes.push_back(std::move(n));
    return graph.nodes.back();
  }
  QNode& conv(const std::string& name, int input, int output, Tensor weights, std::int64_t group = 1) {
    QNode& n = node(QOpKind::Conv, name, {input}, output);
    n.kernel = {weights.shape()[2], weights.shape()[3]};
    n.weight_bits = weights.dtype() == DType::I16 ? 16 : 8;
    n.weights = std::move(weights);
    n.weight_scale = {1.0};
    n.group = group;
    return n;
  }
};

// ---------------------------------------------------------------------------------------
// Independent references.

// clamp(floor((v * m + o) / 2^s + 1/2), lo, hi) in long double (exact for |v * m| < 2^63).
std::int64_t reference_requant(std::int64_t v, std::int64_t m, std::int64_t o, int s, std::int64_t lo,
                               std::int64_t hi) {
  const long double exact = (static_cast<long double>(v) * m + o) / std::ldexp(1.0L, s);
  const auto rounded = static_cast<std::int64_t>(std::floor(exact + 0.5L));
  return std::min(std::max(rounded, lo), hi);
}

struct ConvCase {
  std::string name;
  Shape input;  // N, C, H, W
  int input_bits;
  bool input_signed;
  std::int64_t out_channels;
  std::vector<std::int64_t> kernel;
  std::int64_t group;
  std::vector<std::int64_t> strides, dilations, pads_begin, pads_end;
  int weight_bits;
  Shape output_hw;  // empty: the floor formula
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

// Every output element summed over its receptive field, positions outside the input skipped.
std::vector<std::int64_t> direct_conv(const ConvCase& c, const std::vector<std::int64_t>& x,
                                      const std::vector<std::int64_t>& w, const std::vector<std::int64_t>& bias,
                                      std::int64_t oh, std::int64_t ow) {
  const std::int64_t n_ = c.input[0], ch = c.input[1], h = c.input[2], wd = c.input[3];
  const std::int64_t m_ = c.out_channels, cg = ch / c.group, mg = m_ / c.group;
  std::vector<std::int64_t> y(static_cast<std::size_t>(n_ * m_ * oh * ow));
  for (std::int64_t n = 0; n < n_; ++n)
    for (std::int64_t m = 0; m < m_; ++m)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          std::int64_t acc = bias[static_cast<std::size_t>(m)];
          for (std::int64_t ci = 0; ci < cg; ++ci)
            for (std::int64_t ky = 0; ky < c.kernel[0]; ++ky)
              for (std::int64_t kx = 0; kx < c.kernel[1]; ++kx) {
                const std::int64_t iy = oy * c.strides[0] - c.pads_begin[0] + ky * c.dilations[0];
                const std::int64_t ix = ox * c.strides[1] - c.pads_begin[1] + kx * c.dilations[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const std::int64_t cin = (m / mg) * cg + ci;
                acc += x[static_cast<std::size_t>(((n * ch + cin) * h + iy) * wd + ix)] *
                       w[static_cast<std::size_t>(((m * cg + ci) * c.kernel[0] + ky) * c.kernel[1] + kx)];
              }
          y[static_cast<std::size_t>(((n * m_ + m) * oh + oy) * ow + ox)] = acc;
        }
  return y;
}

class IntegerConvAgainstDirect : public ::testing::TestWithParam<ConvCase> {};

TEST_P(IntegerConvAgainstDirect, IsBitExact) {
  const ConvCase& c = GetParam();
  auto out_size = [&](std::size_t i) {
    if (!c.output_hw.empty()) return c.output_hw[i];
    const std::int64_t extent = (c.kernel[i] - 1) * c.dilations[i] + 1;
    return (c.input[2 + i] + c.pads_begin[i] + c.pads_end[i] - extent) / c.strides[i] + 1;
  };
  const std::int64_t oh = out_size(0), ow = out_size(1);
  const Shape w_shape{c.out_channels, c.input[1] / c.group, c.kernel[0], c.kernel[1]};
  const Shape y_shape{c.input[0], c.out_channels, oh, ow};

  Builder b;
  const int x = b.input("x", c.input, c.input_bits, c.input_signed);
  const int y = b.tensor("y", y_shape, c.input_bits, true);
  // Copies: adding tensors to the graph moves them.
  const QTensor xt = b.graph.tensor(x);
  const std::int64_t x_lo = xt.lo(), x_hi = xt.hi();
  const std::int64_t w_max = (std::int64_t{1} << (c.weight_bits - 1)) - 1;
  const auto w_values = random_values(static_cast<std::size_t>(num_elements(w_shape)), -w_max, w_max, 1);
  const auto x_values = random_values(static_cast<std::size_t>(num_elements(c.input)), x_lo, x_hi, 2);
  const auto bias = random_values(static_cast<std::size_t>(c.out_channels), -5000, 5000, 3);
  const auto acc = direct_conv(c, x_values, w_values, bias, oh, ow);

  // Per-channel multipliers in [2^13, 2^14] and one shift that brings the largest |acc| to
  // about 3/4 of the output range, so that results span the range and a few saturate.
  const auto multipliers = random_values(static_cast<std::size_t>(c.out_channels), 1 << 13, 1 << 14, 4);
  std::int64_t peak = 1;
  for (std::int64_t v : acc) peak = std::max(peak, std::abs(v));
  const QTensor yt = b.graph.tensor(y);
  const int shift = static_cast<int>(std::lround(std::log2(static_cast<double>(peak) * (1 << 14) / (0.75 * yt.hi()))));
  std::vector<std::int64_t> offsets = random_values(static_cast<std::size_t>(c.out_channels), -100, 100, 5);

  QNode& n = b.conv("conv", x, y, ints(c.weight_bits == 8 ? DType::I8 : DType::I16, w_shape, w_values), c.group);
  n.bias = ints(DType::I32, {c.out_channels}, bias);
  n.strides = c.strides;
  n.dilations = c.dilations;
  n.pads_begin = c.pads_begin;
  n.pads_end = c.pads_end;
  n.requant = requant(multipliers, std::vector<int>(static_cast<std::size_t>(c.out_channels), shift), yt.lo(), yt.hi());
  n.requant.offset = offsets;
  b.graph.outputs = {y};

  const IntegerExecutor executor(b.graph);
  const std::vector<std::int64_t> actual =
      executor.run_quantized({ints(xt.dtype(), c.input, x_values)})[0].to_int64_vector();
  ASSERT_EQ(actual.size(), acc.size());
  const std::int64_t plane = oh * ow;
  std::size_t inside = 0;
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const auto m = static_cast<std::size_t>((static_cast<std::int64_t>(i) / plane) % c.out_channels);
    const std::int64_t expected = reference_requant(acc[i], multipliers[m], offsets[m], shift, yt.lo(), yt.hi());
    ASSERT_EQ(actual[i], expected) << "element " << i << ", accumulator " << acc[i];
    if (expected > yt.lo() && expected < yt.hi()) ++inside;
  }
  EXPECT_GT(inside, acc.size() / 2) << "the case saturates too much to test anything";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, IntegerConvAgainstDirect,
    ::testing::Values(
        ConvCase{"stride2_pad1", {1, 3, 9, 9}, 8, false, 4, {3, 3}, 1, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 8, {}},
        ConvCase{"dilation2", {1, 2, 8, 7}, 8, true, 3, {3, 3}, 1, {1, 1}, {2, 2}, {2, 2}, {2, 2}, 8, {}},
        ConvCase{"groups2_batch2", {2, 4, 6, 6}, 8, false, 6, {3, 3}, 2, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 8, {}},
        ConvCase{
            "depthwise_stride2_asym_pads", {1, 5, 7, 7}, 8, true, 5, {3, 3}, 5, {2, 2}, {1, 1}, {0, 0}, {1, 1}, 8, {}},
        ConvCase{"depthwise_multiplier2", {1, 3, 6, 6}, 8, false, 6, {3, 3}, 3, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 8, {}},
        ConvCase{"pointwise", {1, 8, 5, 5}, 8, false, 4, {1, 1}, 1, {1, 1}, {1, 1}, {0, 0}, {0, 0}, 8, {}},
        ConvCase{"pointwise_stride2", {1, 4, 6, 6}, 8, false, 3, {1, 1}, 1, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 8, {}},
        ConvCase{"mixed_geometry", {1, 3, 6, 9}, 8, true, 2, {2, 3}, 1, {1, 2}, {2, 1}, {1, 0}, {0, 2}, 8, {}},
        ConvCase{
            "large_kernel_7x7_stride2", {1, 3, 16, 16}, 8, false, 4, {7, 7}, 1, {2, 2}, {1, 1}, {3, 3}, {3, 3}, 8, {}},
        ConvCase{"ceil_mode_output", {1, 1, 6, 6}, 8, false, 2, {3, 3}, 1, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 8, {3, 3}},
        ConvCase{"int16", {1, 3, 5, 5}, 16, true, 2, {3, 3}, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 16, {}},
        ConvCase{"uint16_input_int16_weights",
                 {1, 4, 4, 4},
                 16,
                 false,
                 3,
                 {3, 3},
                 1,
                 {2, 1},
                 {1, 1},
                 {1, 1},
                 {1, 0},
                 16,
                 {}}),
    [](const ::testing::TestParamInfo<ConvCase>& param) { return param.param.name; });

// ---------------------------------------------------------------------------------------
// Conv by hand.

TEST(IntegerExecutorConv, SmallCaseByHand) {
  // x = 1..9 (3x3), w = [[1, 0], [0, -1]]: y[i][j] = x[i][j] - x[i+1][j+1] = -4, plus bias 10.
  Builder b;
  const int x = b.input("x", {1, 1, 3, 3}, 8, false);
  const int y = b.tensor("y", {1, 1, 2, 2}, 8, true);
  QNode& n = b.conv("conv", x, y, ints(DType::I8, {1, 1, 2, 2}, {1, 0, 0, -1}));
  n.bias = ints(DType::I32, {1}, {10});
  n.requant = requant({1}, {0}, -128, 127);
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::I8);
  EXPECT_EQ(out[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{6, 6, 6, 6}));
}

TEST(IntegerExecutorConv, PaddingIsZeroAndStrideSkips) {
  // x = [[1, 2], [3, 4]], a 3x3 kernel of ones, stride 2, pads 1 before and 2 after: a 2x2
  // output whose windows start at rows/columns -1 and 1.
  Builder b;
  const int x = b.input("x", {1, 1, 2, 2}, 8, false);
  const int y = b.tensor("y", {1, 1, 2, 2}, 8, false);
  QNode& n = b.conv("conv", x, y, ints(DType::I8, {1, 1, 3, 3}, std::vector<std::int64_t>(9, 1)));
  n.strides = {2, 2};
  n.pads_begin = {1, 1};
  n.pads_end = {2, 2};
  n.requant = requant({1}, {0}, 0, 255);
  b.graph.outputs = {y};
  // (0,0) sees all of x: 10; (0,1) columns 1..3 of rows -1..1: x[0][1] + x[1][1] = 6;
  // (1,0) rows 1..3, columns -1..1: x[1][0] + x[1][1] = 7; (1,1) only x[1][1] = 4.
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {1, 1, 2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{10, 6, 7, 4}));
}

TEST(IntegerExecutorConv, PerChannelRequantGivesPerChannelResults) {
  // Three output channels with identical weights (1): only the requant tells them apart.
  auto run = [](quant::Requant r) {
    Builder b;
    const int x = b.input("x", {1, 1, 1, 2}, 8, false);
    const int y = b.tensor("y", {1, 3, 1, 2}, 8, true);
    b.conv("conv", x, y, ints(DType::I8, {3, 1, 1, 1}, {1, 1, 1})).requant = std::move(r);
    b.graph.outputs = {y};
    return IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {1, 1, 1, 2}, {10, 20})})[0].to_int64_vector();
  };
  EXPECT_EQ(run(requant({1, 2, 3}, {0, 0, 0}, -128, 127)), (std::vector<std::int64_t>{10, 20, 20, 40, 30, 60}));
  // (10 * 5) >> 2 = 12.5 -> 13, (20 * 5) >> 2 = 25 for every channel.
  EXPECT_EQ(run(requant({5}, {2}, -128, 127)), (std::vector<std::int64_t>{13, 25, 13, 25, 13, 25}));
  // Per-channel shifts.
  EXPECT_EQ(run(requant({1, 1, 1}, {0, 1, 3}, -128, 127)), (std::vector<std::int64_t>{10, 20, 5, 10, 1, 3}));
}

TEST(IntegerExecutorConv, AccumulatorBeyondInt32IsExact) {
  // 16-bit: 4 * 65535 * 32767 = 8589541380 (> 2^31); / 2^24 = 511.98 -> 512, and -512.
  {
    Builder b;
    const int x = b.input("x", {1, 4, 1, 1}, 16, false);
    const int y = b.tensor("y", {1, 2, 1, 1}, 16, true);
    b.conv("conv", x, y, ints(DType::I16, {2, 4, 1, 1}, {32767, 32767, 32767, 32767, -32767, -32767, -32767, -32767}))
        .requant = requant({1}, {24}, -32768, 32767);
    b.graph.outputs = {y};
    const auto out =
        IntegerExecutor(b.graph).run_quantized({ints(DType::U16, {1, 4, 1, 1}, {65535, 65535, 65535, 65535})});
    EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{512, -512}));
  }
  // A huge bias on 8-bit data: INT32_MAX + 100 * 100 = 2147493647, / 2^20 = 2048.0095 -> 2048;
  // INT32_MIN + 10000 = -2147473648, / 2^20 = -2047.99 -> -2048.
  {
    Builder b;
    const int x = b.input("x", {1, 1, 1, 1}, 8, true);
    const int y = b.tensor("y", {1, 2, 1, 1}, 16, true);
    QNode& n = b.conv("conv", x, y, ints(DType::I8, {2, 1, 1, 1}, {100, 100}));
    n.bias =
        ints(DType::I32, {2}, {std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min()});
    n.requant = requant({1}, {20}, -32768, 32767);
    b.graph.outputs = {y};
    const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::I8, {1, 1, 1, 1}, {100})});
    EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{2048, -2048}));
  }
}

TEST(IntegerExecutorConv, Int16IntermediateWrap) {
  // acc = 200 * 200 = 40000, m 1, shift 0, intermediate_bits 16: 40000 wraps to -25536, which
  // clamps to 0 in uint8 (and to -128 in int8); without the wrap it saturates to 255.
  auto run = [](int intermediate_bits, std::int64_t lo, std::int64_t hi, bool is_signed) {
    Builder b;
    const int x = b.input("x", {1, 1, 1, 1}, 8, false);
    const int y = b.tensor("y", {1, 1, 1, 1}, 8, is_signed);
    QNode& n = b.conv("conv", x, y, ints(DType::I8, {1, 1, 1, 1}, {100}));
    n.requant = requant({2}, {0}, lo, hi);
    n.requant.intermediate_bits = intermediate_bits;
    b.graph.outputs = {y};
    return IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {1, 1, 1, 1}, {200})})[0].to_int64_vector()[0];
  };
  EXPECT_EQ(run(16, 0, 255, false), 0);
  EXPECT_EQ(run(16, -128, 127, true), -128);
  EXPECT_EQ(run(0, 0, 255, false), 255);
}

// ---------------------------------------------------------------------------------------
// Pools, Add, Concat, Reshape by hand.

TEST(IntegerExecutorPool, MaxPoolPaddingNeverWinsOverNegativeValues) {
  Builder b;
  const int x = b.input("x", {1, 1, 3, 3}, 8, true);
  const int y = b.tensor("y", {1, 1, 4, 4}, 8, true);
  QNode& n = b.node(QOpKind::MaxPool, "pool", {x}, y);
  n.kernel = {2, 2};
  n.pads_begin = {1, 1};
  n.pads_end = {1, 1};
  b.graph.outputs = {y};
  const auto out =
      IntegerExecutor(b.graph).run_quantized({ints(DType::I8, {1, 1, 3, 3}, {-5, -3, -8, -1, -7, -2, -9, -4, -6})});
  // Window (oy, ox) covers rows oy-1..oy and columns ox-1..ox of the input.
  EXPECT_EQ(out[0].to_int64_vector(),
            (std::vector<std::int64_t>{-5, -3, -3, -8, -1, -1, -2, -2, -1, -1, -2, -2, -9, -4, -4, -6}));
}

TEST(IntegerExecutorPool, MaxPoolStrideAndBatch) {
  Builder b;
  const int x = b.input("x", {2, 1, 4, 4}, 8, false);
  const int y = b.tensor("y", {2, 1, 2, 2}, 8, false);
  QNode& n = b.node(QOpKind::MaxPool, "pool", {x}, y);
  n.kernel = {2, 2};
  n.strides = {2, 2};
  b.graph.outputs = {y};
  std::vector<std::int64_t> values;
  for (int i = 0; i < 32; ++i) values.push_back((i * 37) % 256);  // 0, 37, ..., not monotonic
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {2, 1, 4, 4}, values)})[0].to_int64_vector();
  std::vector<std::int64_t> expected;
  for (int n_ = 0; n_ < 2; ++n_)
    for (int oy = 0; oy < 2; ++oy)
      for (int ox = 0; ox < 2; ++ox) {
        auto at = [&](int r, int c) { return values[static_cast<std::size_t>(n_ * 16 + r * 4 + c)]; };
        expected.push_back(
            std::max({at(2 * oy, 2 * ox), at(2 * oy, 2 * ox + 1), at(2 * oy + 1, 2 * ox), at(2 * oy + 1, 2 * ox + 1)}));
      }
  EXPECT_EQ(out, expected);
}

TEST(IntegerExecutorPool, AvgPoolCountsPaddingAsZero) {
  Builder b;
  const int x = b.input("x", {1, 1, 2, 2}, 8, false);
  const int y = b.tensor("y", {1, 1, 3, 3}, 8, false);
  QNode& n = b.node(QOpKind::AvgPool, "pool", {x}, y);
  n.kernel = {2, 2};
  n.pads_begin = {1, 1};
  n.pads_end = {1, 1};
  n.divisor = 4;
  n.requant = requant({1}, {2}, 0, 255);  // / 4, rounding half up
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::U8, {1, 1, 2, 2}, {1, 2, 3, 4})});
  // Window sums [1 3 2; 4 10 6; 3 7 4] / 4 = [.25 .75 .5; 1 2.5 1.5; .75 1.75 1].
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{0, 1, 1, 1, 3, 2, 1, 2, 1}));
}

TEST(IntegerExecutorPool, GlobalAvgPoolWithMultiplier) {
  // 2 channels of 3x3, divisor 9 in the multiplier: m = round(2^16 / 9) = 7282, shift 16.
  Builder b;
  const int x = b.input("x", {1, 2, 3, 3}, 8, true);
  const int y = b.tensor("y", {1, 2, 1, 1}, 8, true);
  QNode& n = b.node(QOpKind::AvgPool, "gap", {x}, y);
  n.kernel = {3, 3};
  n.divisor = 9;
  n.requant = requant({7282}, {16}, -128, 127);
  b.graph.outputs = {y};
  const std::vector<std::int64_t> values{1, 2, 3, 4, 5, 6, 7, 8, 9, -10, -20, -30, -40, -50, -60, -70, -80, -100};
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::I8, {1, 2, 3, 3}, values)});
  // 45 * 7282 / 65536 = 5.0001 -> 5; -460 * 7282 / 65536 = -51.11 -> -51.
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{5, -51}));
}

TEST(IntegerExecutorAdd, InputMultipliersThenRequant) {
  Builder b;
  const int a = b.input("a", {1, 2, 1, 2}, 8, true);
  const int c = b.input("b", {1, 2, 1, 2}, 8, true);
  const int y = b.tensor("y", {1, 2, 1, 2}, 8, true);
  QNode& n = b.node(QOpKind::Add, "add", {a, c}, y);
  n.input_multiplier = {3, 2};
  n.requant = requant({1}, {1}, -128, 127);
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized(
      {ints(DType::I8, {1, 2, 1, 2}, {10, -20, 30, 127}), ints(DType::I8, {1, 2, 1, 2}, {5, 5, -128, 127})});
  // (3a + 2b) / 2: 40/2 = 20, -50/2 = -25, -166/2 = -83, 635/2 = 317.5 -> 127 (saturated).
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{20, -25, -83, 127}));
}

TEST(IntegerExecutorAdd, FloorRoundingAndInt16Wrap) {
  // PULP's add: (a * m1 + b * m2) >> d with floor (offset -2^(d-1)), kept in an int16.
  Builder b;
  const int a = b.input("a", {1, 1, 1, 4}, 8, false);
  const int c = b.input("b", {1, 1, 1, 4}, 8, false);
  const int y = b.tensor("y", {1, 1, 1, 4}, 8, false);
  QNode& n = b.node(QOpKind::Add, "add", {a, c}, y);
  n.input_multiplier = {300, 257};
  n.requant = requant({1}, {1}, 0, 255);
  n.requant.offset = {-1};
  n.requant.intermediate_bits = 16;
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized(
      {ints(DType::U8, {1, 1, 1, 4}, {1, 0, 255, 219}), ints(DType::U8, {1, 1, 1, 4}, {0, 1, 0, 255})});
  // 300 >> 1 = 150; 257 >> 1 = 128 (floor of 128.5); 76500 >> 1 = 38250 wraps to -27286 -> 0
  // (255 without the wrap); 131235 >> 1 = 65617 wraps to 81.
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{150, 128, 0, 81}));
}

TEST(IntegerExecutorLut, IndexesFromTheInputsLowestValue) {
  for (const bool is_signed : {true, false}) {
    Builder b;
    const int x = b.input("x", {1, 1, 1, 4}, 8, is_signed);
    const int y = b.tensor("y", {1, 1, 1, 4}, 8, true);
    QNode& n = b.node(QOpKind::Lut, "lut", {x}, y);
    // table[i] = the entry's own index minus 128, except the two ends.
    for (std::int64_t i = 0; i < 256; ++i) n.lut_table.push_back(i - 128);
    n.lut_table.front() = 77;
    n.lut_table.back() = -77;
    b.graph.outputs = {y};
    const DType type = is_signed ? DType::I8 : DType::U8;
    const std::vector<std::int64_t> values =
        is_signed ? std::vector<std::int64_t>{-128, -1, 0, 127} : std::vector<std::int64_t>{0, 127, 128, 255};
    const auto out = IntegerExecutor(b.graph).run_quantized({ints(type, {1, 1, 1, 4}, values)});
    // Signed: -128 -> entry 0, -1 -> 127 - 128 = -1, 0 -> 0, 127 -> entry 255.
    // Unsigned: 0 -> entry 0, 127 -> -1, 128 -> 0, 255 -> entry 255.
    EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{77, -1, 0, -77})) << is_signed;
  }
}

TEST(IntegerExecutorLut, ATableOfTheWrongLengthOrRangeIsRejected) {
  Builder b;
  const int x = b.input("x", {1, 1, 1, 2}, 8, true);
  const int y = b.tensor("y", {1, 1, 1, 2}, 8, false);
  QNode& n = b.node(QOpKind::Lut, "lut", {x}, y);
  n.lut_table.assign(255, 0);
  b.graph.outputs = {y};
  EXPECT_ANY_THROW(IntegerExecutor{b.graph});
  b.graph.nodes[0].lut_table.assign(256, 0);
  b.graph.nodes[0].lut_table[3] = -1;  // below an unsigned output's range
  EXPECT_ANY_THROW(IntegerExecutor{b.graph});
}

TEST(IntegerExecutorMul, BroadcastsAndSaturates) {
  // SE scale: features [1,2,1,3] times a per-channel gate [1,2,1,1], then / 4 rounded half up.
  Builder b;
  const int gate = b.input("gate", {1, 2, 1, 1}, 8, false);
  const int f = b.input("f", {1, 2, 1, 3}, 8, true);
  const int y = b.tensor("y", {1, 2, 1, 3}, 8, true);
  QNode& n = b.node(QOpKind::Mul, "mul", {gate, f}, y);
  n.requant = requant({1}, {2}, -128, 127);
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized(
      {ints(DType::U8, {1, 2, 1, 1}, {3, 255}), ints(DType::I8, {1, 2, 1, 3}, {-128, 2, 127, -3, 1, 127})});
  // Channel 0 (gate 3): -384/4 = -96, 6/4 = 1.5 -> 2, 381/4 = 95.25 -> 95.
  // Channel 1 (gate 255): -765/4 = -191.25 -> -128 (saturated), 255/4 = 63.75 -> 64, 32385/4 -> 127.
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{-96, 2, 95, -128, 64, 127}));
}

TEST(IntegerExecutorMul, ShapesThatDoNotBroadcastAreRejected) {
  Builder b;
  const int a = b.input("a", {1, 2, 1, 3}, 8, true);
  const int c = b.input("c", {1, 3, 1, 1}, 8, true);
  const int y = b.tensor("y", {1, 2, 1, 3}, 8, true);
  b.node(QOpKind::Mul, "mul", {a, c}, y).requant = requant({1}, {0}, -128, 127);
  b.graph.outputs = {y};
  EXPECT_ANY_THROW(IntegerExecutor{b.graph});
}

TEST(IntegerExecutorConcat, PlacesInputsAlongChannelsPerImage) {
  Builder b;
  const int a = b.input("a", {2, 1, 1, 2}, 8, false);
  const int c = b.input("b", {2, 2, 1, 2}, 8, false);
  const int y = b.tensor("y", {2, 3, 1, 2}, 8, false);
  b.node(QOpKind::Concat, "concat", {a, c}, y);
  b.graph.outputs = {y};
  const auto out = IntegerExecutor(b.graph).run_quantized(
      {ints(DType::U8, {2, 1, 1, 2}, {1, 2, 3, 4}), ints(DType::U8, {2, 2, 1, 2}, {10, 11, 12, 13, 20, 21, 22, 23})});
  EXPECT_EQ(out[0].dtype(), DType::U8);
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23}));
}

TEST(IntegerExecutorReshape, KeepsTheDataInTheOutputShape) {
  Builder b;
  const int x = b.input("x", {1, 2, 2, 2}, 16, true);
  const int y = b.tensor("y", {1, 8}, 16, true);
  b.node(QOpKind::Reshape, "flatten", {x}, y);
  b.graph.outputs = {y};
  const std::vector<std::int64_t> values{-32768, 1, 2, 3, 4, 5, 6, 32767};
  const auto out = IntegerExecutor(b.graph).run_quantized({ints(DType::I16, {1, 2, 2, 2}, values)});
  EXPECT_EQ(out[0].dtype(), DType::I16);
  EXPECT_EQ(out[0].shape(), (Shape{1, 8}));
  EXPECT_EQ(out[0].to_int64_vector(), values);
}

// ---------------------------------------------------------------------------------------
// A chain, the observer and the dump.

// x [1,1,4,4] u8 -> conv 1x1 (w 1) -> maxpool 2x2/2 -> flatten [1,4]; outputs flat and pool.
Builder chain(const std::string& x_name = "x", const std::string& conv_name = "c", const std::string& pool_name = "p") {
  Builder b;
  const int x = b.input(x_name, {1, 1, 4, 4}, 8, false, 0.5);
  const int c = b.tensor(conv_name, {1, 1, 4, 4}, 8, false, 0.5);
  const int p = b.tensor(pool_name, {1, 1, 2, 2}, 8, false, 0.5);
  const int f = b.tensor("flat", {1, 4}, 8, false, 0.5);
  b.conv("conv", x, c, ints(DType::I8, {1, 1, 1, 1}, {1})).requant = requant({1}, {0}, 0, 255);
  QNode& pool = b.node(QOpKind::MaxPool, "pool", {c}, p);
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  b.node(QOpKind::Reshape, "flatten", {p}, f);
  b.graph.outputs = {f, p};
  return b;
}

TEST(IntegerExecutor, RunQuantizesFloatInputsAndObservesEveryTensor) {
  const Builder b = chain();
  const IntegerExecutor executor(b.graph);
  std::vector<float> x(16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(i);  // q = 0..15
  std::vector<int> seen;
  const auto out = executor.run({Tensor::from_vector<float>({1, 1, 4, 4}, x)}, [&](int index, const Tensor& q) {
    seen.push_back(index);
    EXPECT_EQ(q.shape(), b.graph.tensor(index).shape);
    EXPECT_EQ(q.dtype(), b.graph.tensor(index).dtype());
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{1, 4}));
  EXPECT_EQ(out[0].to_int64_vector(), (std::vector<std::int64_t>{5, 7, 13, 15}));
  EXPECT_EQ(out[1].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(out[1].to_int64_vector(), (std::vector<std::int64_t>{5, 7, 13, 15}));
  // Running twice gives the same result (nothing is consumed).
  EXPECT_EQ(executor.run({Tensor::from_vector<float>({1, 1, 4, 4}, x)})[0], out[0]);
}

TEST(IntegerExecutor, BadInputsAreUserErrors) {
  const Builder b = chain();
  const IntegerExecutor executor(b.graph);
  try {
    executor.run({Tensor(DType::F32, {1, 1, 3, 3})});
    FAIL() << "no error";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'x'"), std::string::npos) << message;
    EXPECT_NE(message.find("[1,1,4,4]"), std::string::npos) << message;
  }
  EXPECT_THROW(executor.run({}), UserError);
  EXPECT_THROW(executor.run({Tensor(DType::F32, {1, 1, 4, 4}), Tensor(DType::F32, {1, 1, 4, 4})}), UserError);
  EXPECT_THROW(executor.run({Tensor(DType::F64, {1, 1, 4, 4})}), UserError);
  EXPECT_THROW(executor.run_quantized({Tensor(DType::I8, {1, 1, 4, 4})}), UserError);  // u8 expected
  EXPECT_THROW(executor.run_quantized({Tensor(DType::U8, {1, 16})}), UserError);
  EXPECT_NO_THROW(executor.run_quantized({Tensor(DType::U8, {1, 1, 4, 4})}));
  EXPECT_THROW(executor.run({Tensor::from_vector<float>({1, 1, 4, 4}, std::vector<float>(16, std::nanf("")))}),
               UserError);
}

TEST(IntegerExecutor, InconsistentGraphsAreRejected) {
  {
    Builder b = chain();
    b.graph.nodes[0].requant.hi = 300;  // beyond uint8
    EXPECT_THROW(IntegerExecutor{b.graph}, std::logic_error);
  }
  {
    Builder b = chain();
    b.graph.nodes[1].strides = {1, 1};  // 4x4 / 2x2 stride 1 gives 3x3, not 2x2
    EXPECT_THROW(IntegerExecutor{b.graph}, std::logic_error);
  }
  {
    Builder b = chain();
    b.graph.tensors[3].shape = {1, 5};  // reshape changes the element count
    EXPECT_THROW(IntegerExecutor{b.graph}, std::logic_error);
  }
}

// ---------------------------------------------------------------------------------------
// quantize_input and dequantize.

QTensor qtensor(Shape shape, int bits, bool is_signed, double scale) {
  return QTensor{.name = "x", .shape = std::move(shape), .bits = bits, .is_signed = is_signed, .scale = scale};
}

std::vector<std::int64_t> quantize(const QTensor& t, const std::vector<float>& x) {
  return quantize_input(t, Tensor::from_vector<float>({static_cast<std::int64_t>(x.size())}, x)).to_int64_vector();
}

TEST(QuantizeInput, RoundsHalfToEven) {
  const QTensor t = qtensor({8}, 8, true, 1.0);
  EXPECT_EQ(quantize(t, {2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -0.5f, -1.5f, 2.4f}),
            (std::vector<std::int64_t>{2, 4, -2, 0, 2, 0, -2, 2}));
  // Scale 0.5: 1.25 / 0.5 = 2.5 -> 2, 1.75 / 0.5 = 3.5 -> 4.
  const QTensor half = qtensor({2}, 8, true, 0.5);
  EXPECT_EQ(quantize(half, {1.25f, 1.75f}), (std::vector<std::int64_t>{2, 4}));
}

TEST(QuantizeInput, DividesInFloat32) {
  // scale 0.1f: the float32 quotients 0.35f / 0.1f, 0.75f / 0.1f and 0.85f / 0.1f are exactly
  // 3.5, 7.5 and 8.5 (-> 4, 8, 8 by ties-to-even), while the exact quotients are 3.4999999,
  // 7.4999999 and 8.5000001 (-> 3, 7, 9 if divided in double).
  const QTensor t = qtensor({3}, 8, true, static_cast<double>(0.1f));
  EXPECT_EQ(quantize(t, {0.35f, 0.75f, 0.85f}), (std::vector<std::int64_t>{4, 8, 8}));
}

TEST(QuantizeInput, Saturates) {
  EXPECT_EQ(quantize(qtensor({4}, 8, true, 1.0), {1000.f, -1000.f, 127.4f, -128.6f}),
            (std::vector<std::int64_t>{127, -128, 127, -128}));
  EXPECT_EQ(quantize(qtensor({3}, 8, false, 1.0), {-3.f, 300.f, 254.6f}), (std::vector<std::int64_t>{0, 255, 255}));
  EXPECT_EQ(quantize(qtensor({2}, 16, true, 1.0), {40000.f, -40000.f}), (std::vector<std::int64_t>{32767, -32768}));
  EXPECT_EQ(quantize(qtensor({2}, 16, false, 1.0), {70000.f, -1.f}), (std::vector<std::int64_t>{65535, 0}));
  EXPECT_EQ(quantize(qtensor({2}, 8, true, 1.0),
                     {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}),
            (std::vector<std::int64_t>{127, -128}));
  EXPECT_EQ(quantize_input(qtensor({1}, 16, false, 1.0), Tensor::from_vector<float>({1}, {1.f})).dtype(), DType::U16);
}

// An input of tokens given as [1, T, C] for its image [1, C, 1, T]: element (t, c) of the rows
// lands at (c, t) of the image, quantised as any input.
TEST(QuantizeInput, TokensAreTransposedIntoTheirImage) {
  QTensor t = qtensor({1, 3, 1, 2}, 8, true, 0.5);
  t.source_shape = {1, 2, 3};
  // Token 0: 1, 2, 3; token 1: -1, -2, 100 (saturates); halves to even.
  const Tensor rows = Tensor::from_vector<float>({1, 2, 3}, {0.5f, 1.0f, 1.25f, -0.5f, -1.0f, 100.f});
  const Tensor q = quantize_input(t, rows);
  EXPECT_EQ(q.shape(), (Shape{1, 3, 1, 2}));
  EXPECT_EQ(q.to_int64_vector(), (std::vector<std::int64_t>{1, -1, 2, -2, 2, 127}));
  // torch's [T, 1, C] is the same row-major [T, C].
  t.source_shape = {2, 1, 3};
  EXPECT_EQ(quantize_input(t, rows.reshaped({2, 1, 3})).to_int64_vector(), q.to_int64_vector());
  // The image's own shape is not what users give: the error names the tokens' shape.
  t.source_shape = {1, 2, 3};
  try {
    quantize_input(t, Tensor(DType::F32, {1, 3, 1, 2}));
    ADD_FAILURE() << "an image-shaped input was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("expects f32[1,2,3]"));
  }
}

// A detection head's conv [1, A K, H, W] (here A = K = 2, one row of 2 pixels) read as the H W A
// tokens of K features [1, K, 1, H W A]: element k of both in HWC order is the same value.
TEST(IntegerExecutorHwcReshape, KeepsTheHwcOrder) {
  Builder b;
  const int x = b.input("x", {1, 4, 1, 2}, 8, true);
  const int y = b.tensor("y", {1, 2, 1, 4}, 8, true);
  b.node(QOpKind::HwcReshape, "tokens", {x}, y);
  b.graph.outputs = {y};
  // x[c][w] = 10 c + w: HWC order 0, 10, 20, 30, 1, 11, 21, 31.
  const Tensor in = ints(DType::I8, {1, 4, 1, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  const Tensor out = IntegerExecutor(b.graph).run_quantized({in})[0];
  EXPECT_EQ(out.shape(), (Shape{1, 2, 1, 4}));
  // Token t has features hwc[2 t], hwc[2 t + 1]: channel 0 of the tokens 0, 20, 1, 21.
  EXPECT_EQ(out.to_int64_vector(), (std::vector<std::int64_t>{0, 20, 1, 21, 10, 30, 11, 31}));
  // Its element count must be the input's.
  b.graph.tensors[static_cast<std::size_t>(y)].shape = {1, 2, 1, 3};
  EXPECT_THROW(IntegerExecutor{b.graph}, std::logic_error);
}

// An output given to users as tokens [1, T, C] (source_shape) is dequantized into that layout:
// element (t, c) of the tokens is (c, t) of the image.
TEST(Dequantize, AnOutputOfTokensIsTransposedBackFromItsImage) {
  QTensor t = qtensor({1, 2, 1, 4}, 8, true, 0.5);
  t.source_shape = {1, 4, 2};
  const Tensor real = dequantize(t, ints(DType::I8, {1, 2, 1, 4}, {0, 20, 1, 21, 10, 30, 11, 31}));
  EXPECT_EQ(real.shape(), (Shape{1, 4, 2}));
  EXPECT_EQ(real.to_double_vector(), (std::vector<double>{0, 5, 10, 15, 0.5, 5.5, 10.5, 15.5}));
}

TEST(QuantizeInput, WrongShapeOrTypeIsAUserError) {
  EXPECT_THROW(quantize_input(qtensor({4}, 8, true, 1.0), Tensor(DType::F32, {5})), UserError);
  EXPECT_THROW(quantize_input(qtensor({4}, 8, true, 1.0), Tensor(DType::I8, {4})), UserError);
}

TEST(Dequantize, ScalesEveryValue) {
  const QTensor t = qtensor({3}, 8, true, 0.5);
  const Tensor real = dequantize(t, ints(DType::I8, {3}, {-3, 4, -128}));
  EXPECT_EQ(real.dtype(), DType::F32);
  EXPECT_EQ(real.to_double_vector(), (std::vector<double>{-1.5, 2.0, -64.0}));
  EXPECT_THROW(dequantize(t, ints(DType::U8, {3}, {1, 2, 3})), UserError);
}

}  // namespace
}  // namespace wb::golden
