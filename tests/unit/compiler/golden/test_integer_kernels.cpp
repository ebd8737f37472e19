// The integer kernels called directly, on what the executor's tests leave out: Mul with both
// inputs broadcasting along different dimensions, Softmax per row (rounding and the clamp at
// 255) and ChannelGather. Expected values are docs/quant.md's definitions evaluated here
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
  for (const Shape& shape : {Shape{3, 3}, Shape{3, 3, 1, 1}}) {
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

}  // namespace
}  // namespace wb::golden::integer
