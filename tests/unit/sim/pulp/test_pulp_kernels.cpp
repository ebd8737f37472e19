// The cluster's int8 kernels against the integer golden model (compiler/golden), node by node:
// each test builds a one-node QGraph of the pulp scheme, runs the golden executor on random
// integers, lays the same integers out in L1 as HWC tiles, runs the kernel and compares bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/golden/integer_executor.h"
#include "compiler/quant/requant_params.h"
#include "sim/pulp/kernels.h"
#include "tests/support/quant_testing.h"

namespace wb::sim::pulp {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

// NCHW tensor -> HWC bytes at `address` of `l1`, rows [row0, row0 + rows).
void put_hwc(const Tensor& t, std::vector<std::uint8_t>& l1, std::uint64_t address, std::int64_t row0 = 0,
             std::int64_t rows = -1) {
  const auto& s = t.shape();
  const std::int64_t c = s[1], h = s.size() > 2 ? s[2] : 1, w = s.size() > 3 ? s[3] : 1;
  if (rows < 0) rows = h;
  for (std::int64_t y = 0; y < rows; ++y) {
    for (std::int64_t x = 0; x < w; ++x) {
      for (std::int64_t k = 0; k < c; ++k) {
        l1[address + static_cast<std::uint64_t>((y * w + x) * c + k)] =
            static_cast<std::uint8_t>(t.as_int64((k * h + (row0 + y)) * w + x) & 0xff);
      }
    }
  }
}

// The golden output's rows [row0, row0 + rows) against HWC bytes at `address`.
void expect_hwc_equal(const Tensor& golden, const std::vector<std::uint8_t>& l1, std::uint64_t address, bool is_signed,
                      std::int64_t row0 = 0, std::int64_t rows = -1) {
  const auto& s = golden.shape();
  const std::int64_t c = s[1], h = s.size() > 2 ? s[2] : 1, w = s.size() > 3 ? s[3] : 1;
  if (rows < 0) rows = h;
  for (std::int64_t y = 0; y < rows; ++y) {
    for (std::int64_t x = 0; x < w; ++x) {
      for (std::int64_t k = 0; k < c; ++k) {
        const std::uint8_t byte = l1[address + static_cast<std::uint64_t>((y * w + x) * c + k)];
        const std::int64_t actual = is_signed ? static_cast<std::int8_t>(byte) : byte;
        ASSERT_EQ(actual, golden.as_int64((k * h + (row0 + y)) * w + x)) << "c " << k << " y " << row0 + y << " x " << x;
      }
    }
  }
}

isa::Requant to_isa(const quant::Requant& r) {
  isa::Requant out;
  for (const auto m : r.multiplier) out.add_multiplier(m);
  for (const auto o : r.offset) out.add_offset(o);
  for (const auto s : r.shift) out.add_shift(s);
  out.set_lo(r.lo);
  out.set_hi(r.hi);
  out.set_intermediate_bits(static_cast<std::uint32_t>(r.intermediate_bits));
  return out;
}

struct ConvCase {
  std::int64_t c_in, c_out, hw, k, stride, pad;
  bool depthwise, signed_in;
};

// A conv of the pulp scheme (per-channel weights, BN-style requant), golden-run on random inputs.
struct ConvFixture {
  QGraph graph;
  Tensor x, y;
};

ConvFixture make_conv(const ConvCase& c, std::uint32_t seed) {
  const std::int64_t out_hw = (c.hw + 2 * c.pad - c.k) / c.stride + 1;
  const std::int64_t cin_g = c.depthwise ? 1 : c.c_in;
  Tensor weights(DType::I8, {c.c_out, cin_g, c.k, c.k});
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> w8(-128, 127), b32(-5000, 5000);
  for (std::int64_t i = 0; i < weights.numel(); ++i) weights.data<std::int8_t>()[i] = static_cast<std::int8_t>(w8(rng));
  Tensor bias(DType::I32, {c.c_out});
  for (std::int64_t i = 0; i < c.c_out; ++i) bias.data<std::int32_t>()[i] = b32(rng);
  std::vector<double> scales;
  for (std::int64_t i = 0; i < c.c_out; ++i) scales.push_back(0.002 + 0.0005 * static_cast<double>(i % 5));
  ConvFixture f;
  f.graph = test::single_conv(quant::Scheme::Pulp, QTensor{"x", {1, c.c_in, c.hw, c.hw}, 8, c.signed_in, 0.05, 0},
                              QTensor{"y", {1, c.c_out, out_hw, out_hw}, 8, false, 0.04, 0}, std::move(weights), scales,
                              std::move(bias));
  QNode& node = f.graph.nodes[0];
  node.strides = {c.stride, c.stride};
  node.pads_begin = {c.pad, c.pad};
  node.pads_end = {c.pad, c.pad};
  node.group = c.depthwise ? c.c_in : 1;
  node.folded_batchnorm = true;
  node.act_min = 0;
  quant::assign_requant(f.graph);
  f.x = test::random_quantized(f.graph.tensor(0), seed + 1);
  f.y = golden::IntegerExecutor(f.graph).run_quantized({f.x}).at(0);
  return f;
}

// Weights [c_out][k_h][k_w][c_in] (depthwise [c][k_h][k_w]) as the kernels read them.
void put_weights(const QNode& node, std::vector<std::uint8_t>& l1, std::uint64_t address, std::int64_t cin0 = 0,
                 std::int64_t cins = -1) {
  const auto& s = node.weights.shape();
  const std::int64_t co = s[0], ci = s[1], kh = s[2], kw = s[3];
  if (cins < 0) cins = ci;
  std::uint64_t at = address;
  for (std::int64_t o = 0; o < co; ++o) {
    for (std::int64_t y = 0; y < kh; ++y) {
      for (std::int64_t x = 0; x < kw; ++x) {
        for (std::int64_t i = cin0; i < cin0 + cins; ++i) {
          l1[at++] = static_cast<std::uint8_t>(node.weights.as_int64(((o * ci + i) * kh + y) * kw + x) & 0xff);
        }
      }
    }
  }
}

void put_bias(const QNode& node, std::vector<std::uint8_t>& l1, std::uint64_t address) {
  for (std::int64_t o = 0; o < node.bias.numel(); ++o) {
    const auto v = static_cast<std::uint32_t>(static_cast<std::int32_t>(node.bias.as_int64(o)));
    for (int b = 0; b < 4; ++b) l1[address + static_cast<std::uint64_t>(4 * o + b)] = static_cast<std::uint8_t>(v >> (8 * b));
  }
}

isa::pulp::KernelCall conv_call(const ConvCase& c, const ConvFixture& f) {
  const QNode& node = f.graph.nodes[0];
  isa::pulp::KernelCall call;
  call.set_kind(c.depthwise ? isa::pulp::KERNEL_DEPTHWISE
                            : (c.k == 1 && c.pad == 0 && c.stride == 1 ? isa::pulp::KERNEL_POINTWISE
                                                                       : isa::pulp::KERNEL_CONV));
  call.set_input(0);
  call.set_weights(16384);
  call.set_bias(32768);
  call.set_has_bias(true);
  call.set_output(40000);
  call.set_h_in(static_cast<std::uint32_t>(c.hw));
  call.set_w_in(static_cast<std::uint32_t>(c.hw));
  call.set_c_in(static_cast<std::uint32_t>(c.c_in));
  call.set_h_out(static_cast<std::uint32_t>(f.y.shape()[2]));
  call.set_w_out(static_cast<std::uint32_t>(f.y.shape()[3]));
  call.set_c_out(static_cast<std::uint32_t>(c.c_out));
  call.set_k_h(static_cast<std::uint32_t>(c.k));
  call.set_k_w(static_cast<std::uint32_t>(c.k));
  call.set_stride_h(static_cast<std::uint32_t>(c.stride));
  call.set_stride_w(static_cast<std::uint32_t>(c.stride));
  const auto pad = static_cast<std::uint32_t>(c.pad);
  call.set_pad_top(pad);
  call.set_pad_bottom(pad);
  call.set_pad_left(pad);
  call.set_pad_right(pad);
  call.set_input_signed(c.signed_in);
  call.set_output_signed(false);
  *call.mutable_requant() = to_isa(node.requant);
  return call;
}

class PulpKernelConv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(PulpKernelConv, MatchesTheGoldenModel) {
  const ConvCase c = GetParam();
  const ConvFixture f = make_conv(c, 7);
  std::vector<std::uint8_t> l1(65536, 0);
  put_hwc(f.x, l1, 0);
  put_weights(f.graph.nodes[0], l1, 16384);
  put_bias(f.graph.nodes[0], l1, 32768);
  const auto call = conv_call(c, f);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  expect_hwc_equal(f.y, l1, 40000, false);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PulpKernelConv,
    ::testing::Values(ConvCase{5, 6, 9, 3, 1, 1, false, false},    // leftover input bytes and channels
                      ConvCase{8, 8, 10, 3, 2, 1, false, true},    // stride 2, signed input
                      ConvCase{16, 12, 6, 1, 1, 0, false, false},  // pointwise
                      ConvCase{3, 16, 12, 7, 2, 3, false, true},   // a 7x7 first layer
                      ConvCase{12, 12, 9, 3, 1, 1, true, false},   // depthwise
                      ConvCase{12, 12, 10, 3, 2, 1, true, true}));  // depthwise, stride 2, signed

// A tile in the middle of the image: the kernel sees only its input rows and pads at the
// layer's borders only; its output equals the golden output's rows.
TEST(PulpKernelConvTile, AMiddleTileWithoutPadding) {
  const ConvCase c{8, 8, 12, 3, 1, 1, false, false};
  const ConvFixture f = make_conv(c, 11);
  std::vector<std::uint8_t> l1(65536, 0);
  // Output rows 4..7 read input rows 3..8; no padding above or below.
  put_hwc(f.x, l1, 0, 3, 6);
  put_weights(f.graph.nodes[0], l1, 16384);
  put_bias(f.graph.nodes[0], l1, 32768);
  auto call = conv_call(c, f);
  call.set_h_in(6);
  call.set_h_out(4);
  call.set_pad_top(0);
  call.set_pad_bottom(0);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  expect_hwc_equal(f.y, l1, 40000, false, 4, 4);
}

// Input-channel tiling: two calls over halves of C_in with int32 partial sums give the same bytes.
TEST(PulpKernelConvTile, InputChannelTilesAccumulatePartialSums) {
  const ConvCase c{16, 8, 6, 3, 1, 1, false, false};
  const ConvFixture f = make_conv(c, 13);
  std::vector<std::uint8_t> l1(65536, 0);
  auto call = conv_call(c, f);
  call.set_c_in(8);
  call.set_cin_tiled(true);
  call.set_accumulator(50000);
  for (int half = 0; half < 2; ++half) {
    // This half's input channels and weights.
    Tensor x_half(f.x.dtype(), {1, 8, 6, 6});
    for (std::int64_t k = 0; k < 8; ++k) {
      for (std::int64_t i = 0; i < 36; ++i) x_half.data<std::uint8_t>()[k * 36 + i] = f.x.data<std::uint8_t>()[(k + 8 * half) * 36 + i];
    }
    put_hwc(x_half, l1, 0);
    put_weights(f.graph.nodes[0], l1, 16384, 8 * half, 8);
    put_bias(f.graph.nodes[0], l1, 32768);
    call.set_first_cin_tile(half == 0);
    call.set_last_cin_tile(half == 1);
    ASSERT_EQ(kernel_problem(call, l1.size()), "");
    run_kernel(call, l1);
  }
  expect_hwc_equal(f.y, l1, 40000, false);
}

// Pools and add, each a one-node graph.
QGraph one_node(QOpKind kind, std::vector<QTensor> tensors, std::vector<int> inputs) {
  QGraph g;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = std::move(tensors);
  g.inputs = inputs;
  g.outputs = {static_cast<int>(g.tensors.size()) - 1};
  QNode n;
  n.kind = kind;
  n.name = "node";
  n.inputs = inputs;
  n.output = g.outputs[0];
  g.nodes.push_back(n);
  return g;
}

isa::pulp::KernelCall pool_call(isa::pulp::KernelKind kind, std::uint32_t c, std::uint32_t hw, std::uint32_t k,
                                std::uint32_t stride, std::uint32_t pad, std::uint32_t out, bool is_signed) {
  isa::pulp::KernelCall call;
  call.set_kind(kind);
  call.set_parallel(isa::pulp::PARALLEL_CO);
  call.set_input(0);
  call.set_output(40000);
  call.set_h_in(hw);
  call.set_w_in(hw);
  call.set_c_in(c);
  call.set_h_out(out);
  call.set_w_out(out);
  call.set_c_out(c);
  call.set_k_h(k);
  call.set_k_w(k);
  call.set_stride_h(stride);
  call.set_stride_w(stride);
  call.set_pad_top(pad);
  call.set_pad_left(pad);
  call.set_pad_bottom(pad);
  call.set_pad_right(pad);
  call.set_input_signed(is_signed);
  call.set_output_signed(is_signed);
  return call;
}

TEST(PulpKernelPool, MaxPoolPaddingNeverWinsOnNegativeInputs) {
  QGraph g = one_node(QOpKind::MaxPool, {QTensor{"x", {1, 6, 7, 7}, 8, true, 0.1, 0}, QTensor{"y", {1, 6, 4, 4}, 8, true, 0.1, 0}},
                      {0});
  g.nodes[0].kernel = {3, 3};
  g.nodes[0].strides = {2, 2};
  g.nodes[0].pads_begin = {1, 1};
  g.nodes[0].pads_end = {1, 1};
  Tensor x(DType::I8, {1, 6, 7, 7});
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<std::int8_t>()[i] = static_cast<std::int8_t>(-100 + (i * 37) % 90);
  const Tensor y = golden::IntegerExecutor(g).run_quantized({x}).at(0);
  std::vector<std::uint8_t> l1(65536, 0);
  put_hwc(x, l1, 0);
  const auto call = pool_call(isa::pulp::KERNEL_MAXPOOL, 6, 7, 3, 2, 1, 4, true);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, 40000, true);
  EXPECT_LT(y.as_int64(0), 0);  // the corner window is all negative: zero padding would have won
}

TEST(PulpKernelPool, GlobalAveragePoolMatchesGolden) {
  QGraph g = one_node(QOpKind::AvgPool, {QTensor{"x", {1, 10, 7, 7}, 8, false, 0.1, 0}, QTensor{"y", {1, 10, 1, 1}, 8, false, 0.02, 0}},
                      {0});
  g.nodes[0].kernel = {7, 7};
  g.nodes[0].strides = {1, 1};
  g.nodes[0].divisor = 49;
  quant::assign_requant(g);
  const Tensor x = test::random_quantized(g.tensor(0), 5);
  const Tensor y = golden::IntegerExecutor(g).run_quantized({x}).at(0);
  std::vector<std::uint8_t> l1(65536, 0);
  put_hwc(x, l1, 0);
  auto call = pool_call(isa::pulp::KERNEL_AVGPOOL, 10, 7, 7, 1, 0, 1, false);
  *call.mutable_requant() = to_isa(g.nodes[0].requant);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, 40000, false);
}

TEST(PulpKernelAdd, MixedSignednessAndTwoMultipliers) {
  QGraph g = one_node(QOpKind::Add,
                      {QTensor{"a", {1, 5, 4, 4}, 8, true, 0.05, 0}, QTensor{"b", {1, 5, 4, 4}, 8, false, 0.03, 0},
                       QTensor{"y", {1, 5, 4, 4}, 8, false, 0.06, 0}},
                      {0, 1});
  quant::assign_requant(g);
  ASSERT_NE(g.nodes[0].input_multiplier[0], g.nodes[0].input_multiplier[1]);
  const Tensor a = test::random_quantized(g.tensor(0), 1), b = test::random_quantized(g.tensor(1), 2);
  const Tensor y = golden::IntegerExecutor(g).run_quantized({a, b}).at(0);
  std::vector<std::uint8_t> l1(65536, 0);
  put_hwc(a, l1, 0);
  put_hwc(b, l1, 1000);
  auto call = pool_call(isa::pulp::KERNEL_ADD, 5, 4, 1, 1, 0, 4, true);
  call.set_input_b(1000);
  call.set_input_b_signed(false);
  call.set_output_signed(false);
  for (const auto m : g.nodes[0].input_multiplier) call.add_input_multiplier(m);
  *call.mutable_requant() = to_isa(g.nodes[0].requant);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, 40000, false);
}

TEST(PulpKernelProblem, NamesTheOperandOrTheField) {
  const ConvCase c{5, 6, 9, 3, 1, 1, false, false};
  const ConvFixture f = make_conv(c, 3);
  auto call = conv_call(c, f);
  EXPECT_EQ(kernel_problem(call, 65536), "");
  auto far = call;
  far.set_output(65100);
  EXPECT_THAT(kernel_problem(far, 65536), testing::HasSubstr("output: 486 bytes at 65100"));
  auto wrong = call;
  wrong.set_h_out(10);
  EXPECT_THAT(kernel_problem(wrong, 65536), testing::HasSubstr("h_out 10 does not match"));
  auto requant = call;
  requant.mutable_requant()->add_shift(3);
  requant.mutable_requant()->add_shift(3);
  EXPECT_THAT(kernel_problem(requant, 65536), testing::HasSubstr("requant has"));
  auto add = pool_call(isa::pulp::KERNEL_ADD, 5, 4, 1, 1, 0, 4, true);
  EXPECT_THAT(kernel_problem(add, 65536), testing::HasSubstr("2 input multipliers"));
}

}  // namespace
}  // namespace wb::sim::pulp
