// The integer kernels called directly, on what the executor's tests leave out: Mul with both
// inputs broadcasting along different dimensions, Softmax per row (rounding and the clamp at
// 255), ChannelGather and PixelGather, a conv over a zero-inserted input (a ConvTranspose). Expected values are docs/quant.md's definitions evaluated here
// independently: explicit indices, and the probability as a long double rounded half up.

#include "compiler/golden/integer_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace wb::golden::integer {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

int add_tensor(QGraph& graph, Shape shape, int bits, bool is_signed) {
  QTensor t;
  t.name = std::to_string(graph.tensors.size());
  t.shape = std::move(shape);
  t.bits = bits;
  t.is_signed = is_signed;
  graph.tensors.push_back(t);
  return static_cast<int>(graph.tensors.size()) - 1;
}

QNode node(QOpKind kind, std::vector<int> inputs, int output) {
  QNode n;
  n.kind = kind;
  n.inputs = std::move(inputs);
  n.output = output;
  return n;
}

TEST(IntegerKernels, MulBroadcastsBothInputsAlongDifferentDimensions) {
  QGraph graph;
  const int a = add_tensor(graph, {2, 1, 3, 1}, 8, true);
  const int b = add_tensor(graph, {1, 2, 1, 2}, 8, true);
  const int y = add_tensor(graph, {2, 2, 3, 2}, 16, true);
  QNode n = node(QOpKind::Mul, {a, b}, y);
  n.requant.multiplier = {1};
  n.requant.offset = {0};
  n.requant.shift = {0};
  n.requant.lo = -32768;
  n.requant.hi = 32767;
  const std::vector<std::int8_t> av{-128, -3, 5, 7, 11, 127};
  const std::vector<std::int8_t> bv{2, -1, -128, 13};
  const Tensor out = run_mul(graph, n, Tensor::from_vector<std::int8_t>({2, 1, 3, 1}, av),
                             Tensor::from_vector<std::int8_t>({1, 2, 1, 2}, bv));
  ASSERT_EQ(out.dtype(), DType::I16);
  const std::vector<std::int64_t> got = out.to_int64_vector();
  std::size_t i = 0;
  for (std::size_t bn = 0; bn < 2; ++bn)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t h = 0; h < 3; ++h)
        for (std::size_t w = 0; w < 2; ++w, ++i)
          EXPECT_EQ(got[i], std::int64_t{av[bn * 3 + h]} * bv[c * 2 + w]) << bn << c << h << w;
}

TEST(IntegerKernels, SoftmaxRoundsEachRowsProbabilityAndClampsAt255) {
  // exp_table[i] = round_half_even(exp((i - 255) * s_x) * 2^16), s_x = 1/16.
  std::vector<std::int64_t> table(256);
  for (std::size_t i = 0; i < table.size(); ++i) {
    table[i] = static_cast<std::int64_t>(std::nearbyint(std::exp((static_cast<double>(i) - 255) / 16) * 65536));
  }
  // Equal values (256/3 rounds down); a spread row (one probability rounds up, not down); a
  // row whose maximum takes everything (256 clamps to 255, the others' entries are 0).
  const std::vector<std::int8_t> x{10, 10, 10, 127, -128, 100, 127, -128, -128};
  for (const Shape& shape : {Shape{3, 3}, Shape{3, 3, 1, 1}, Shape{1, 3, 3}}) {  // the last: scores [h, T, T']
    QGraph graph;
    const int in = add_tensor(graph, shape, 8, true);
    const int out = add_tensor(graph, shape, 8, false);
    QNode n = node(QOpKind::Softmax, {in}, out);
    n.softmax_exp_table = table;
    const std::vector<std::int64_t> got =
        run_softmax(graph, n, Tensor::from_vector<std::int8_t>(shape, x)).to_int64_vector();
    for (std::size_t row = 0; row < 3; ++row) {
      const auto begin = x.begin() + static_cast<std::ptrdiff_t>(row * 3);
      const std::int64_t top = *std::max_element(begin, begin + 3);
      std::int64_t sum = 0;
      for (std::size_t c = 0; c < 3; ++c) sum += table[static_cast<std::size_t>(x[row * 3 + c] - top + 255)];
      for (std::size_t c = 0; c < 3; ++c) {
        const auto e = static_cast<long double>(table[static_cast<std::size_t>(x[row * 3 + c] - top + 255)]);
        const auto rounded = static_cast<std::int64_t>(std::floor(256.0L * e / static_cast<long double>(sum) + 0.5L));
        EXPECT_EQ(got[row * 3 + c], std::min<std::int64_t>(rounded, 255)) << "row " << row << " channel " << c;
      }
    }
    EXPECT_EQ(got[2], 85);   // the edges the rows are there for, stated once by hand
    EXPECT_EQ(got[6], 255);
  }
}

// Attention's products on 2 heads of 2 channels, 3 queries and 2 keys; images [1, h d, 1, T]
// are channel-major. The requant halves, rounding half up: (v + 1) >> 1.
TEST(IntegerKernels, MatMulScoresAndContextPerHead) {
  const auto requant = [](QNode& n, std::int64_t lo, std::int64_t hi) {
    n.requant.multiplier = {1};
    n.requant.offset = {0};
    n.requant.shift = {1};
    n.requant.lo = lo;
    n.requant.hi = hi;
  };
  // q[channel][token], k[channel][token]
  const std::vector<std::int8_t> q{1, 2, 3, -4, 5, -6, 7, 8, 9, -10, 11, 12};
  const std::vector<std::int8_t> k{127, -128, 3, 1, -2, 5, 0, 7};
  QGraph scores_graph;
  const int qi = add_tensor(scores_graph, {1, 4, 1, 3}, 8, true);
  const int ki = add_tensor(scores_graph, {1, 4, 1, 2}, 8, true);
  const int si = add_tensor(scores_graph, {2, 3, 2}, 16, true);
  QNode scores = node(QOpKind::MatMul, {qi, ki}, si);
  scores.matmul_form = quant::MatMulForm::Scores;
  scores.matmul_heads = 2;
  requant(scores, -32768, 32767);
  const std::vector<std::int64_t> s =
      run_matmul(scores_graph, scores, Tensor::from_vector<std::int8_t>({1, 4, 1, 3}, q),
                 Tensor::from_vector<std::int8_t>({1, 4, 1, 2}, k))
          .to_int64_vector();
  const auto half_up = [](std::int64_t v) { return (v + 1) >> 1; };
  for (std::size_t h = 0; h < 2; ++h)
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 2; ++j) {
        const std::int64_t v = std::int64_t{q[(2 * h) * 3 + i]} * k[(2 * h) * 2 + j] +
                               std::int64_t{q[(2 * h + 1) * 3 + i]} * k[(2 * h + 1) * 2 + j];
        EXPECT_EQ(s[(h * 3 + i) * 2 + j], half_up(v)) << h << i << j;
      }
  EXPECT_EQ(s[0], (1 * 127 + -4 * 3 + 1) >> 1);  // head 0, query 0, key 0: 58

  // p[head][query][key] (probabilities, uint8), v[channel][token]
  const std::vector<std::uint8_t> p{255, 0, 128, 128, 1, 254, 10, 20, 30, 40, 50, 60};
  const std::vector<std::int8_t> v{-128, 127, 3, -3, 9, 8, -7, 6};
  QGraph context_graph;
  const int pi = add_tensor(context_graph, {2, 3, 2}, 8, false);
  const int vi = add_tensor(context_graph, {1, 4, 1, 2}, 8, true);
  const int oi = add_tensor(context_graph, {1, 4, 1, 3}, 16, true);
  QNode context = node(QOpKind::MatMul, {pi, vi}, oi);
  context.matmul_form = quant::MatMulForm::Context;
  context.matmul_heads = 2;
  requant(context, -32768, 32767);
  const std::vector<std::int64_t> o =
      run_matmul(context_graph, context, Tensor::from_vector<std::uint8_t>({2, 3, 2}, p),
                 Tensor::from_vector<std::int8_t>({1, 4, 1, 2}, v))
          .to_int64_vector();
  for (std::size_t h = 0; h < 2; ++h)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t i = 0; i < 3; ++i) {
        std::int64_t sum = 0;
        for (std::size_t j = 0; j < 2; ++j) sum += std::int64_t{p[(h * 3 + i) * 2 + j]} * v[(2 * h + c) * 2 + j];
        EXPECT_EQ(o[(2 * h + c) * 3 + i], half_up(sum)) << h << c << i;
      }
  EXPECT_EQ(o[0], (255 * -128 + 1) >> 1);  // channel 0, query 0: all weight on key 0
}

// A conv over its zero-inserted input (QNode::input_dilations: a ConvTranspose) against the
// transposed convolution written out here as ONNX defines it: every input pixel i and tap k of
// the ONNX weights w[c_in][c_out] add x[i] w[k] at output i s + k - pad (the conv's weights are
// those flipped, channel axes swapped; its pads K - 1 - pad). Identity requant (multiplier 1,
// shift 0) and a wide clamp, so the sums themselves are compared.
TEST(IntegerKernels, AConvOverAZeroInsertedInputIsTheTransposedConv) {
  constexpr std::int64_t kIn = 2, kOut = 3, kH = 3, kW = 2, kK = 3, kStride = 2, kPad = 1, kOutputPadding = 1;
  constexpr std::int64_t kOh = (kH - 1) * kStride + kK - 2 * kPad + kOutputPadding;  // 6
  constexpr std::int64_t kOw = (kW - 1) * kStride + kK - 2 * kPad + kOutputPadding;  // 4
  QGraph graph;
  const int in = add_tensor(graph, {1, kIn, kH, kW}, 8, true);
  const int out = add_tensor(graph, {1, kOut, kOh, kOw}, 16, true);
  std::vector<std::int8_t> onnx_w(kIn * kOut * kK * kK), x(kIn * kH * kW);
  for (std::size_t i = 0; i < onnx_w.size(); ++i) onnx_w[i] = static_cast<std::int8_t>(static_cast<int>(i * 7 % 23) - 11);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(static_cast<int>(i * 5 % 17) - 8);
  std::vector<std::int8_t> conv_w(onnx_w.size());
  for (std::int64_t co = 0; co < kOut; ++co)
    for (std::int64_t ci = 0; ci < kIn; ++ci)
      for (std::int64_t y = 0; y < kK; ++y)
        for (std::int64_t z = 0; z < kK; ++z) {
          conv_w[static_cast<std::size_t>(((co * kIn + ci) * kK + y) * kK + z)] =
              onnx_w[static_cast<std::size_t>(((ci * kOut + co) * kK + (kK - 1 - y)) * kK + (kK - 1 - z))];
        }
  QNode n = node(QOpKind::Conv, {in}, out);
  n.weights = Tensor::from_vector<std::int8_t>({kOut, kIn, kK, kK}, conv_w);
  n.kernel = {kK, kK};
  n.input_dilations = {kStride, kStride};
  n.pads_begin = {kK - 1 - kPad, kK - 1 - kPad};
  n.pads_end = {kK - 1 - kPad + kOutputPadding, kK - 1 - kPad + kOutputPadding};
  n.requant.multiplier = {1};
  n.requant.offset = {0};
  n.requant.shift = {0};
  n.requant.lo = -32768;
  n.requant.hi = 32767;
  const std::vector<std::int64_t> got =
      run_conv(graph, n, Tensor::from_vector<std::int8_t>({1, kIn, kH, kW}, x)).to_int64_vector();
  std::vector<std::int64_t> want(static_cast<std::size_t>(kOut * kOh * kOw), 0);
  for (std::int64_t ci = 0; ci < kIn; ++ci)
    for (std::int64_t iy = 0; iy < kH; ++iy)
      for (std::int64_t ix = 0; ix < kW; ++ix)
        for (std::int64_t co = 0; co < kOut; ++co)
          for (std::int64_t ky = 0; ky < kK; ++ky)
            for (std::int64_t kx = 0; kx < kK; ++kx) {
              const std::int64_t oy = iy * kStride + ky - kPad, ox = ix * kStride + kx - kPad;
              if (oy < 0 || oy >= kOh || ox < 0 || ox >= kOw) continue;
              want[static_cast<std::size_t>((co * kOh + oy) * kOw + ox)] +=
                  std::int64_t{x[static_cast<std::size_t>((ci * kH + iy) * kW + ix)]} *
                  onnx_w[static_cast<std::size_t>(((ci * kOut + co) * kK + ky) * kK + kx)];
            }
  EXPECT_EQ(got, want);
}

TEST(IntegerKernels, ChannelGatherCopiesNamedChannelsOfEveryImage) {
  QGraph graph;
  const int in = add_tensor(graph, {2, 3, 1, 2}, 8, false);
  const int out = add_tensor(graph, {2, 4, 1, 2}, 8, false);
  QNode n = node(QOpKind::ChannelGather, {in}, out);
  n.gather_channels = {2, 0, 2, 1};  // reordered, one repeated
  std::vector<std::uint8_t> x(12);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(10 * i + 1);
  const std::vector<std::int64_t> got =
      run_channel_gather(graph, n, Tensor::from_vector<std::uint8_t>({2, 3, 1, 2}, x)).to_int64_vector();
  ASSERT_EQ(got.size(), 16u);
  for (std::size_t image = 0; image < 2; ++image)
    for (std::size_t c = 0; c < 4; ++c)
      for (std::size_t w = 0; w < 2; ++w) {
        const auto from = static_cast<std::size_t>(n.gather_channels[c]);
        EXPECT_EQ(got[(image * 4 + c) * 2 + w], x[(image * 3 + from) * 2 + w]) << image << c << w;
      }
}


TEST(IntegerKernels, PixelGatherCopiesNamedPixelsWithAllTheirChannels) {
  QGraph graph;
  const int in = add_tensor(graph, {1, 2, 2, 3}, 8, true);
  const int out = add_tensor(graph, {1, 2, 1, 4}, 8, true);
  QNode n = node(QOpKind::PixelGather, {in}, out);
  n.gather_pixels = {5, 0, 5, 3};  // (1, 2), (0, 0), (1, 2) again, (1, 0)
  std::vector<std::int8_t> x(12);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(10 * i - 60);
  const std::vector<std::int64_t> got =
      run_pixel_gather(graph, n, Tensor::from_vector<std::int8_t>({1, 2, 2, 3}, x)).to_int64_vector();
  ASSERT_EQ(got.size(), 8u);
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t p = 0; p < 4; ++p) {
      EXPECT_EQ(got[c * 4 + p], x[c * 6 + static_cast<std::size_t>(n.gather_pixels[p])]) << c << p;
    }
}


// Swin's windowed products: 2 windows of 2 tokens, 1 head of 2 channels; each query pairs only
// with its window's keys, the scores are the rows [W h, L, L'] = [2, 2, 2]. Requant identity.
TEST(IntegerKernels, WindowedMatMulPairsTokensOfOneWindow) {
  const auto identity = [](QNode& n) {
    n.requant.multiplier = {1};
    n.requant.offset = {0};
    n.requant.shift = {0};
    n.requant.lo = -32768;
    n.requant.hi = 32767;
  };
  const std::vector<std::int8_t> q{1, 2, 3, 4, -1, 5, 6, 7};  // [channel][token], tokens 0-1 window 0
  const std::vector<std::int8_t> k{2, -3, 4, 1, 0, 1, -2, 3};
  QGraph g;
  const int qi = add_tensor(g, {1, 2, 1, 4}, 8, true);
  const int ki = add_tensor(g, {1, 2, 1, 4}, 8, true);
  const int si = add_tensor(g, {2, 2, 2}, 16, true);
  QNode scores = node(QOpKind::MatMul, {qi, ki}, si);
  scores.matmul_form = quant::MatMulForm::Scores;
  scores.matmul_windows = 2;
  identity(scores);
  const std::vector<std::int64_t> s = run_matmul(g, scores, Tensor::from_vector<std::int8_t>({1, 2, 1, 4}, q),
                                                 Tensor::from_vector<std::int8_t>({1, 2, 1, 4}, k))
                                          .to_int64_vector();
  ASSERT_EQ(s.size(), 8u);
  for (std::size_t w = 0; w < 2; ++w)
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 2; ++j) {
        const std::size_t query = 2 * w + i, key = 2 * w + j;
        EXPECT_EQ(s[(w * 2 + i) * 2 + j], std::int64_t{q[query]} * k[key] + std::int64_t{q[4 + query]} * k[4 + key])
            << w << i << j;
      }
  // The context of probabilities [2, 2, 2] and values [1, 2, 1, 4]: window w's rows weigh its values.
  const std::vector<std::uint8_t> p{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<std::int8_t> v{1, -1, 2, -2, 3, 4, -5, 6};
  QGraph c;
  const int pi = add_tensor(c, {2, 2, 2}, 8, false);
  const int vi = add_tensor(c, {1, 2, 1, 4}, 8, true);
  const int oi = add_tensor(c, {1, 2, 1, 4}, 16, true);
  QNode context = node(QOpKind::MatMul, {pi, vi}, oi);
  context.matmul_form = quant::MatMulForm::Context;
  context.matmul_windows = 2;
  identity(context);
  const std::vector<std::int64_t> o = run_matmul(c, context, Tensor::from_vector<std::uint8_t>({2, 2, 2}, p),
                                                 Tensor::from_vector<std::int8_t>({1, 2, 1, 4}, v))
                                          .to_int64_vector();
  for (std::size_t ch = 0; ch < 2; ++ch)
    for (std::size_t w = 0; w < 2; ++w)
      for (std::size_t i = 0; i < 2; ++i) {
        std::int64_t sum = 0;
        for (std::size_t j = 0; j < 2; ++j) sum += std::int64_t{p[(w * 2 + i) * 2 + j]} * v[ch * 4 + 2 * w + j];
        EXPECT_EQ(o[ch * 4 + 2 * w + i], sum) << ch << w << i;
      }
}


// Swin's mask as region labels: scores [W h, L, L] = [2, 2, 2] (2 windows, 1 head); window 0's
// two tokens lie in different regions, window 1's in one. A row keeps its query's region only:
// window 0's rows are one-hot on their own token whatever the scores, window 1's the plain softmax.
TEST(IntegerKernels, SoftmaxUnderAMaskKeepsEachQuerysRegion) {
  std::vector<std::int64_t> table(256);
  for (std::size_t i = 0; i < table.size(); ++i) {
    table[i] = static_cast<std::int64_t>(std::nearbyint(std::exp((static_cast<double>(i) - 255) / 16) * 65536));
  }
  QGraph graph;
  const int in = add_tensor(graph, {2, 2, 2}, 8, true);
  const int out = add_tensor(graph, {2, 2, 2}, 8, false);
  QNode n = node(QOpKind::Softmax, {in}, out);
  n.softmax_exp_table = table;
  n.softmax_labels = {0, 1, 0, 0};
  const std::vector<std::int8_t> x{-100, 120, 90, -50, 10, 10, 30, 0};
  const std::vector<std::int64_t> got = run_softmax(graph, n, Tensor::from_vector<std::int8_t>({2, 2, 2}, x)).to_int64_vector();
  EXPECT_EQ(got[0], 255) << "query 0 keeps key 0 only, though key 1 scores higher";
  EXPECT_EQ(got[1], 0);
  EXPECT_EQ(got[2], 0);
  EXPECT_EQ(got[3], 255);
  n.softmax_labels.clear();
  const std::vector<std::int64_t> plain = run_softmax(graph, n, Tensor::from_vector<std::int8_t>({2, 2, 2}, x)).to_int64_vector();
  for (std::size_t i = 4; i < 8; ++i) EXPECT_EQ(got[i], plain[i]) << "window 1 is one region: " << i;
  EXPECT_EQ(plain[1], 255) << "unmasked, key 1 takes query 0";
}

}  // namespace
}  // namespace wb::golden::integer
