// The cluster's int8 kernels against the integer golden model (compiler/golden), node by node:
// each test builds a one-node QGraph of the pulp scheme, runs the golden executor on random
// integers, lays the same integers out in L1 as HWC tiles (the whole layer, or one output tile
// of it with the input rows and columns it reads), runs the kernel and compares every output
// byte. L1 starts filled with a canary byte; nothing but the output (and the partial sums of
// input-channel tiling) may change.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "compiler/golden/integer_executor.h"
#include "compiler/quant/requant_params.h"
#include "support/error.h"
#include "sim/pulp/kernels/kernels.h"
#include "tests/support/quant_testing.h"
#include "tests/unit/sim/pulp/kernels/kernel_testing.h"

namespace wb::sim::pulp {
namespace {

using isa::pulp::KernelCall;
using isa::pulp::KernelKind;
using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;
using ::testing::HasSubstr;
using namespace kernel_testing;
using GatherCall = CallInL1;


// ---------------------------------------------------------------------------------------
// Layout: NCHW golden tensors <-> HWC bytes in L1.

// Rows [y0, y0 + h), columns [x0, x0 + w) and channels [c0, c0 + c) of an NCHW tensor.
struct Region {
  std::int64_t y0 = 0, h = 0, x0 = 0, w = 0, c0 = 0, c = 0;
};

std::int64_t dim(const Tensor& t, std::size_t i) { return t.shape().size() > i ? t.shape()[i] : 1; }

Region whole(const Tensor& t) { return {0, dim(t, 2), 0, dim(t, 3), 0, dim(t, 1)}; }

bool is_signed(const Tensor& t) { return t.dtype() == DType::I8; }

std::int64_t nchw_index(const Tensor& t, std::int64_t c, std::int64_t y, std::int64_t x) {
  return (c * dim(t, 2) + y) * dim(t, 3) + x;
}

// The region of `t` as dense bytes at `address`: HWC, or channel-major planes (DORY's
// depthwise tile, KernelCall.input_chw).
void put_region(const Tensor& t, std::span<std::uint8_t> l1, std::uint64_t address, const Region& r,
                bool channel_major) {
  for (std::int64_t y = 0; y < r.h; ++y) {
    for (std::int64_t x = 0; x < r.w; ++x) {
      for (std::int64_t c = 0; c < r.c; ++c) {
        const std::int64_t offset = channel_major ? (c * r.h + y) * r.w + x : (y * r.w + x) * r.c + c;
        l1[address + static_cast<std::uint64_t>(offset)] =
            static_cast<std::uint8_t>(t.as_int64(nchw_index(t, r.c0 + c, r.y0 + y, r.x0 + x)) & 0xff);
      }
    }
  }
}

void put_hwc(const Tensor& t, std::span<std::uint8_t> l1, std::uint64_t address, const Region& r) {
  put_region(t, l1, address, r, false);
}

// The region of the golden output against the dense HWC bytes at `address`.
void expect_hwc_equal(const Tensor& golden, std::span<const std::uint8_t> l1, std::uint64_t address,
                      const Region& r) {
  std::uint64_t at = address;
  for (std::int64_t y = r.y0; y < r.y0 + r.h; ++y) {
    for (std::int64_t x = r.x0; x < r.x0 + r.w; ++x) {
      for (std::int64_t c = r.c0; c < r.c0 + r.c; ++c) {
        const std::uint8_t byte = l1[at++];
        const std::int64_t actual = is_signed(golden) ? static_cast<std::int8_t>(byte) : byte;
        ASSERT_EQ(actual, golden.as_int64(nchw_index(golden, c, y, x))) << "c " << c << " y " << y << " x " << x;
      }
    }
  }
}

// Weights [c_out][k_h][k_w][c_in] (depthwise [c][k_h][k_w]) of input channels [cin0, cin0 + cins).
void put_weights(const QNode& node, std::span<std::uint8_t> l1, std::uint64_t address, std::int64_t cin0,
                 std::int64_t cins) {
  const auto& s = node.weights.shape();
  const std::int64_t co = s[0], ci = s[1], kh = s[2], kw = s[3];
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

void put_bias(const QNode& node, std::span<std::uint8_t> l1, std::uint64_t address) {
  for (std::int64_t o = 0; o < node.bias.numel(); ++o) {
    const auto v = static_cast<std::uint32_t>(static_cast<std::int32_t>(node.bias.as_int64(o)));
    for (std::uint32_t b = 0; b < 4; ++b) {
      l1[address + 4 * static_cast<std::uint64_t>(o) + b] = static_cast<std::uint8_t>(v >> (8 * b));
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

// ---------------------------------------------------------------------------------------
// Tiles: an output row (or column) range and the input range it reads.

struct TileAxis {
  std::int64_t out_begin = 0, out_size = 0, in_begin = 0, in_size = 0;
  std::uint32_t pad_before = 0, pad_after = 0;
};

TileAxis tile_axis(std::int64_t out_begin, std::int64_t out_size, std::int64_t k, std::int64_t stride,
                   std::int64_t layer_pad_before, std::int64_t layer_in) {
  const std::int64_t first = out_begin * stride - layer_pad_before;
  const std::int64_t end = (out_begin + out_size - 1) * stride - layer_pad_before + k;
  TileAxis a;
  a.out_begin = out_begin;
  a.out_size = out_size;
  a.in_begin = std::max<std::int64_t>(first, 0);
  a.in_size = std::min(end, layer_in) - a.in_begin;
  a.pad_before = static_cast<std::uint32_t>(a.in_begin - first);
  a.pad_after = static_cast<std::uint32_t>(end - std::min(end, layer_in));
  return a;
}

// A one-node layer with a window (conv, depthwise, pools), golden-run on `x`.
struct WindowLayer {
  QGraph graph;
  Tensor x, y;
  KernelKind kind = isa::pulp::KERNEL_CONV;
  const QNode& node() const { return graph.nodes.at(0); }
};

KernelCall window_call(const WindowLayer& layer, const TileAxis& rows, const TileAxis& cols) {
  const QNode& n = layer.node();
  KernelCall call;
  call.set_kind(layer.kind);
  call.set_h_in(static_cast<std::uint32_t>(rows.in_size));
  call.set_w_in(static_cast<std::uint32_t>(cols.in_size));
  call.set_c_in(static_cast<std::uint32_t>(dim(layer.x, 1)));
  call.set_h_out(static_cast<std::uint32_t>(rows.out_size));
  call.set_w_out(static_cast<std::uint32_t>(cols.out_size));
  call.set_c_out(static_cast<std::uint32_t>(dim(layer.y, 1)));
  call.set_k_h(static_cast<std::uint32_t>(n.kernel[0]));
  call.set_k_w(static_cast<std::uint32_t>(n.kernel[1]));
  call.set_stride_h(static_cast<std::uint32_t>(n.strides[0]));
  call.set_stride_w(static_cast<std::uint32_t>(n.strides[1]));
  call.set_dilation_h(static_cast<std::uint32_t>(n.dilations[0]));
  call.set_dilation_w(static_cast<std::uint32_t>(n.dilations[1]));
  call.set_pad_top(rows.pad_before);
  call.set_pad_bottom(rows.pad_after);
  call.set_pad_left(cols.pad_before);
  call.set_pad_right(cols.pad_after);
  call.set_input_signed(is_signed(layer.x));
  call.set_output_signed(is_signed(layer.y));
  if (layer.kind == isa::pulp::KERNEL_GROUPED_CONV) call.set_groups(static_cast<std::uint32_t>(n.group));
  if (layer.kind != isa::pulp::KERNEL_MAXPOOL) *call.mutable_requant() = to_isa(n.requant);
  return call;
}

// Runs output rows [oy, oy + oh) x columns [ox, ox + ow) of the layer as one call and compares;
// `input_chw`: the input tile channel-major (a depthwise layer as DORY lays it out).
void run_tile_and_compare(const WindowLayer& layer, std::int64_t oy, std::int64_t oh, std::int64_t ox,
                          std::int64_t ow, bool input_chw = false) {
  const QNode& n = layer.node();
  // The window's span (the kernel when undilated) is what a tile's input rows and columns cover.
  const std::int64_t span_h = (n.kernel[0] - 1) * n.dilations[0] + 1, span_w = (n.kernel[1] - 1) * n.dilations[1] + 1;
  const TileAxis rows = tile_axis(oy, oh, span_h, n.strides[0], n.pads_begin[0], dim(layer.x, 2));
  const TileAxis cols = tile_axis(ox, ow, span_w, n.strides[1], n.pads_begin[1], dim(layer.x, 3));
  KernelCall call = window_call(layer, rows, cols);
  call.set_input_chw(input_chw);
  const bool weighted = !n.weights.empty();
  const Region in_region{rows.in_begin, rows.in_size, cols.in_begin, cols.in_size, 0, dim(layer.x, 1)};
  const Region out_region{oy, oh, ox, ow, 0, dim(layer.y, 1)};
  const std::uint64_t out_bytes = static_cast<std::uint64_t>(oh * ow * dim(layer.y, 1));

  L1Builder builder;
  call.set_input(builder.place(static_cast<std::uint64_t>(in_region.h * in_region.w * in_region.c)));
  if (weighted) {
    call.set_weights(builder.place(static_cast<std::uint64_t>(n.weights.numel())));
    call.set_has_bias(!n.bias.empty());
    if (call.has_bias()) call.set_bias(builder.place(4 * static_cast<std::uint64_t>(n.bias.numel())));
  }
  call.set_output(builder.place(out_bytes));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_region(layer.x, l1, call.input(), in_region, input_chw);
  if (weighted) put_weights(n, l1, call.weights(), 0, n.weights.shape()[1]);
  if (call.has_bias()) put_bias(n, l1, call.bias());

  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  const std::vector<std::uint8_t> before = l1;
  run_kernel(call, l1);
  expect_hwc_equal(layer.y, l1, call.output(), out_region);
  expect_only_written(before, l1, {{call.output(), out_bytes}});
}

void run_whole_layer_and_compare(const WindowLayer& layer) {
  run_tile_and_compare(layer, 0, dim(layer.y, 2), 0, dim(layer.y, 3));
}

// ---------------------------------------------------------------------------------------
// Convolutions of the pulp scheme.

struct ConvSpec {
  const char* name;
  std::int64_t c_in, c_out, h, w, k, stride;
  std::array<std::int64_t, 4> pads;  // top, bottom, left, right
  bool depthwise = false;
  bool signed_in = false;
  bool signed_out = false;  // no fused ReLU
  bool with_bias = true;
  bool plain = false;           // per-tensor weights: (m * acc) >> d kept in int16; else the batch-norm path
  double y_scale_factor = 1.0;  // below 1 pushes outputs beyond the output's range (saturation, int16 wrap)
  std::int64_t groups = 1;      // > 1: a grouped conv of c_in / groups -> c_out / groups channels per group
  std::int64_t dilation = 1;    // both axes
};

void PrintTo(const ConvSpec& spec, std::ostream* os) { *os << spec.name; }

std::int64_t out_extent(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t pad_a, std::int64_t pad_b) {
  return (in + pad_a + pad_b - k) / stride + 1;
}

KernelKind conv_kind(const ConvSpec& s) {
  if (s.depthwise) return isa::pulp::KERNEL_DEPTHWISE;
  if (s.groups > 1) return isa::pulp::KERNEL_GROUPED_CONV;
  const bool one_by_one = s.k == 1 && s.stride == 1 && s.pads == std::array<std::int64_t, 4>{0, 0, 0, 0};
  if (!one_by_one) return isa::pulp::KERNEL_CONV;
  return s.h == 1 && s.w == 1 ? isa::pulp::KERNEL_LINEAR : isa::pulp::KERNEL_POINTWISE;
}

// Weights and bias random; the output scale puts a typical accumulator (random inputs and
// weights: sqrt(taps) * 74 * 74) near 60 output steps, so outputs spread over the range.
WindowLayer make_conv(const ConvSpec& s, std::uint32_t seed) {
  const std::int64_t cin_g = s.depthwise ? 1 : s.c_in / s.groups;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> w8(-128, 127), b32(-5000, 5000);
  Tensor weights(DType::I8, {s.c_out, cin_g, s.k, s.k});
  for (auto& v : weights.span<std::int8_t>()) v = static_cast<std::int8_t>(w8(rng));
  Tensor bias;
  if (s.with_bias) {
    bias = Tensor(DType::I32, {s.c_out});
    for (auto& v : bias.span<std::int32_t>()) v = b32(rng);
  }
  std::vector<double> weight_scales;
  if (s.plain) {
    weight_scales = {0.01};
  } else {
    for (std::int64_t i = 0; i < s.c_out; ++i) weight_scales.push_back(0.008 + 0.001 * static_cast<double>(i % 5));
  }
  const double x_scale = 0.05, taps = static_cast<double>(cin_g * s.k * s.k);
  const double y_scale = x_scale * 0.01 * std::sqrt(taps) * 91.0 * s.y_scale_factor;
  const std::int64_t span = (s.k - 1) * s.dilation + 1;
  const std::int64_t oh = out_extent(s.h, span, s.stride, s.pads[0], s.pads[1]);
  const std::int64_t ow = out_extent(s.w, span, s.stride, s.pads[2], s.pads[3]);

  WindowLayer layer;
  layer.kind = conv_kind(s);
  layer.graph = test::single_conv(quant::Scheme::Pulp, QTensor{"x", {1, s.c_in, s.h, s.w}, 8, s.signed_in, x_scale, 0},
                                  QTensor{"y", {1, s.c_out, oh, ow}, 8, s.signed_out, y_scale, 0}, std::move(weights),
                                  weight_scales, std::move(bias));
  QNode& node = layer.graph.nodes[0];
  node.strides = {s.stride, s.stride};
  node.dilations = {s.dilation, s.dilation};
  node.pads_begin = {s.pads[0], s.pads[2]};
  node.pads_end = {s.pads[1], s.pads[3]};
  node.group = s.depthwise ? s.c_in : s.groups;
  node.folded_batchnorm = !s.plain;
  if (!s.signed_out) node.act_min = 0;
  quant::assign_requant(layer.graph);
  layer.x = test::random_quantized(layer.graph.tensor(0), seed + 1);
  layer.y = golden::IntegerExecutor(layer.graph).run_quantized({layer.x}).at(0);
  return layer;
}

class PulpKernelConv : public ::testing::TestWithParam<ConvSpec> {};

TEST_P(PulpKernelConv, WholeLayerMatchesTheGoldenModel) {
  const WindowLayer layer = make_conv(GetParam(), 7);
  ASSERT_EQ(layer.kind, conv_kind(GetParam()));
  expect_varied(layer.y);
  run_whole_layer_and_compare(layer);
}

// Every tile of a 3 x 3 grid over the output: corner tiles keep the layer's padding on two
// sides, the middle one has none; each reads only its own input rows and columns.
TEST_P(PulpKernelConv, EveryTileOfAGridMatchesItsPartOfTheGoldenOutput) {
  const WindowLayer layer = make_conv(GetParam(), 9);
  const std::int64_t oh = dim(layer.y, 2), ow = dim(layer.y, 3);
  if (oh < 3 || ow < 3) GTEST_SKIP() << "too small for a 3 x 3 grid";
  const std::array<std::int64_t, 4> ys{0, oh / 3, 2 * oh / 3, oh}, xs{0, ow / 3, 2 * ow / 3, ow};
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      SCOPED_TRACE(testing::Message() << "tile rows " << ys[i] << ".." << ys[i + 1] << " cols " << xs[j] << ".."
                                      << xs[j + 1]);
      run_tile_and_compare(layer, ys[i], ys[i + 1] - ys[i], xs[j], xs[j + 1] - xs[j]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PulpKernelConv,
    ::testing::Values(
        ConvSpec{"conv3x3_s1_leftover_channels", 5, 6, 9, 9, 3, 1, {1, 1, 1, 1}},
        ConvSpec{"conv3x3_s2_asymmetric_pads_signed_in", 8, 8, 10, 10, 3, 2, {0, 1, 0, 1}, false, true},
        ConvSpec{"conv3x3_s2_uneven_pads_signed_out", 7, 10, 9, 11, 3, 2, {1, 2, 2, 1}, false, true, true},
        ConvSpec{"conv3x3_s1_no_bias", 6, 5, 8, 7, 3, 1, {1, 1, 1, 1}, false, false, false, false},
        ConvSpec{"conv7x7_s2_first_layer", 3, 16, 20, 20, 7, 2, {3, 3, 3, 3}, false, true},
        ConvSpec{"conv1x1_s2_downsample", 12, 9, 9, 9, 1, 2, {0, 0, 0, 0}},
        ConvSpec{"pointwise", 16, 12, 6, 5, 1, 1, {0, 0, 0, 0}},
        ConvSpec{"pointwise_leftovers_signed", 3, 5, 7, 6, 1, 1, {0, 0, 0, 0}, false, true, true},
        ConvSpec{"pointwise_plain_path", 10, 7, 6, 6, 1, 1, {0, 0, 0, 0}, false, false, false, true, true},
        ConvSpec{"conv3x3_plain_path_signed", 6, 6, 8, 8, 3, 1, {1, 1, 1, 1}, false, true, true, true, true},
        ConvSpec{"depthwise3x3_s1", 12, 12, 9, 9, 3, 1, {1, 1, 1, 1}, true},
        ConvSpec{"depthwise3x3_s2_signed_leftover", 13, 13, 10, 10, 3, 2, {1, 1, 1, 1}, true, true, true},
        ConvSpec{"depthwise3x3_s2_asymmetric_pads", 8, 8, 11, 10, 3, 2, {0, 1, 1, 0}, true},
        // Grouped convolutions: groups of c_in / groups -> c_out / groups channels.
        ConvSpec{.name = "grouped3x3_2_groups_odd_width", .c_in = 8, .c_out = 8, .h = 9, .w = 7, .k = 3, .stride = 1,
                 .pads = {1, 1, 1, 1}, .groups = 2},
        ConvSpec{.name = "grouped3x3_16_wide_groups_like_regnet", .c_in = 32, .c_out = 32, .h = 8, .w = 8, .k = 3,
                 .stride = 1, .pads = {1, 1, 1, 1}, .groups = 2},
        ConvSpec{.name = "grouped3x3_leftover_channels_signed_in", .c_in = 10, .c_out = 6, .h = 8, .w = 9, .k = 3,
                 .stride = 1, .pads = {1, 1, 1, 1}, .signed_in = true, .groups = 2},
        ConvSpec{.name = "grouped3x3_s2_16_groups_uneven_pads", .c_in = 32, .c_out = 48, .h = 11, .w = 10, .k = 3,
                 .stride = 2, .pads = {1, 0, 1, 1}, .groups = 16},
        ConvSpec{.name = "grouped3x3_one_input_channel_per_group_signed_out", .c_in = 6, .c_out = 12, .h = 9, .w = 9,
                 .k = 3, .stride = 1, .pads = {1, 1, 1, 1}, .signed_out = true, .groups = 6},
        ConvSpec{.name = "grouped1x1_4_groups", .c_in = 12, .c_out = 8, .h = 6, .w = 5, .k = 1, .stride = 1,
                 .pads = {0, 0, 0, 0}, .groups = 4},
        ConvSpec{.name = "grouped5x5_s2_pads2_no_bias", .c_in = 6, .c_out = 9, .h = 12, .w = 11, .k = 5, .stride = 2,
                 .pads = {2, 2, 2, 2}, .with_bias = false, .groups = 3},
        ConvSpec{.name = "grouped3x3_plain_path_signed", .c_in = 8, .c_out = 8, .h = 7, .w = 7, .k = 3, .stride = 1,
                 .pads = {1, 1, 1, 1}, .signed_in = true, .signed_out = true, .plain = true, .groups = 4},
        // Dilated (DeepLabV3's atrous convolutions): kernel positions `dilation` pixels apart.
        ConvSpec{.name = "conv3x3_dilation2", .c_in = 5, .c_out = 6, .h = 11, .w = 10, .k = 3, .stride = 1,
                 .pads = {2, 2, 2, 2}, .dilation = 2},
        ConvSpec{.name = "conv3x3_dilation3_s2_uneven_pads_signed_in", .c_in = 8, .c_out = 7, .h = 13, .w = 12,
                 .k = 3, .stride = 2, .pads = {3, 1, 2, 3}, .signed_in = true, .dilation = 3},
        ConvSpec{.name = "depthwise3x3_dilation2", .c_in = 12, .c_out = 12, .h = 10, .w = 9, .k = 3, .stride = 1,
                 .pads = {2, 2, 2, 2}, .depthwise = true, .dilation = 2},
        ConvSpec{.name = "depthwise5x5_dilation4_beyond_the_image_signed", .c_in = 8, .c_out = 8, .h = 9, .w = 9,
                 .k = 5, .stride = 1, .pads = {8, 8, 8, 8}, .depthwise = true, .signed_in = true, .signed_out = true,
                 .dilation = 4},
        ConvSpec{.name = "grouped3x3_dilation2_s2", .c_in = 8, .c_out = 8, .h = 12, .w = 11, .k = 3, .stride = 2,
                 .pads = {2, 2, 2, 2}, .groups = 2, .dilation = 2}),
    spec_name<ConvSpec>);

// DORY's depthwise tile (KernelCall.input_chw): the input as channel-major planes gives the
// golden bytes, at stride 1 and 2, with leftover and asymmetric pads, whole and in a 3 x 3 grid.
TEST(PulpKernelDepthwiseChw, AChannelMajorTileGivesTheGoldenBytes) {
  for (const ConvSpec& spec : {ConvSpec{"depthwise3x3_s1", 12, 12, 9, 9, 3, 1, {1, 1, 1, 1}, true},
                               ConvSpec{"depthwise3x3_s2_signed", 13, 13, 10, 10, 3, 2, {1, 1, 1, 1}, true, true, true},
                               ConvSpec{"depthwise3x3_s2_asymmetric_pads", 8, 8, 11, 10, 3, 2, {0, 1, 1, 0}, true},
                               ConvSpec{"depthwise5x5_s1", 6, 6, 9, 8, 5, 1, {2, 2, 2, 2}, true}}) {
    SCOPED_TRACE(spec.name);
    const WindowLayer layer = make_conv(spec, 31);
    expect_varied(layer.y);
    const std::int64_t oh = dim(layer.y, 2), ow = dim(layer.y, 3);
    run_tile_and_compare(layer, 0, oh, 0, ow, true);
    const std::array<std::int64_t, 4> ys{0, oh / 3, 2 * oh / 3, oh}, xs{0, ow / 3, 2 * ow / 3, ow};
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 3; ++j) run_tile_and_compare(layer, ys[i], ys[i + 1] - ys[i], xs[j], xs[j + 1] - xs[j], true);
    }
  }
}

// The grouped kernel with one group is the standard conv: the same bytes as the golden conv.
TEST(PulpKernelGroupedConv, OneGroupComputesTheStandardConv) {
  for (const ConvSpec& spec : {ConvSpec{"conv3x3_leftovers", 5, 6, 9, 9, 3, 1, {1, 1, 1, 1}},
                               ConvSpec{"conv3x3_s2_signed", 8, 8, 10, 10, 3, 2, {0, 1, 0, 1}, false, true}}) {
    SCOPED_TRACE(spec.name);
    WindowLayer layer = make_conv(spec, 17);
    ASSERT_EQ(layer.kind, isa::pulp::KERNEL_CONV);
    layer.kind = isa::pulp::KERNEL_GROUPED_CONV;
    run_whole_layer_and_compare(layer);
  }
}

// The requantisation of output channels [c0, c0 + cs) (per-tensor entries kept as they are).
isa::Requant requant_channels(quant::Requant r, std::int64_t c0, std::int64_t cs) {
  const auto slice = [&](auto& values) {
    if (values.size() > 1) values.assign(values.begin() + c0, values.begin() + c0 + cs);
  };
  slice(r.multiplier);
  slice(r.offset);
  slice(r.shift);
  return to_isa(r);
}

// An output-channel tile of whole groups (groups 1 and 2 of 4): its L1 input holds only its
// groups' input channels, its weights and bias only its output channels; every other byte
// of L1 is the canary. It must give its channels of the golden output.
TEST(PulpKernelGroupedConvTile, AChannelTileOfWholeGroupsReadsOnlyItsGroupsChannels) {
  const ConvSpec spec{.name = "grouped", .c_in = 12, .c_out = 20, .h = 7, .w = 6, .k = 3, .stride = 1,
                      .pads = {1, 1, 1, 1}, .groups = 4};
  const WindowLayer layer = make_conv(spec, 23);
  expect_varied(layer.y);
  const std::int64_t cin_g = 3, cout_g = 5, first_group = 1, groups = 2;
  const std::int64_t c0 = first_group * cout_g, cs = groups * cout_g, cin0 = first_group * cin_g, cins = groups * cin_g;
  const TileAxis rows = tile_axis(0, 7, 3, 1, 1, 7), cols = tile_axis(0, 6, 3, 1, 1, 6);
  KernelCall call = window_call(layer, rows, cols);
  call.set_c_in(static_cast<std::uint32_t>(cins));
  call.set_c_out(static_cast<std::uint32_t>(cs));
  call.set_groups(static_cast<std::uint32_t>(groups));
  *call.mutable_requant() = requant_channels(layer.node().requant, c0, cs);
  L1Builder builder;
  call.set_input(builder.place(static_cast<std::uint64_t>(7 * 6 * cins)));
  call.set_weights(builder.place(static_cast<std::uint64_t>(cs * 9 * cin_g)));
  call.set_has_bias(true);
  call.set_bias(builder.place(static_cast<std::uint64_t>(4 * cs)));
  const std::uint64_t out_bytes = static_cast<std::uint64_t>(7 * 6 * cs);
  call.set_output(builder.place(out_bytes));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_hwc(layer.x, l1, call.input(), Region{0, 7, 0, 6, cin0, cins});
  // Filters c0 .. c0 + cs: [co][k_h][k_w][cin_g], and their bias.
  const QNode& n = layer.node();
  std::uint64_t at = call.weights();
  for (std::int64_t o = c0; o < c0 + cs; ++o) {
    for (std::int64_t position = 0; position < 9; ++position) {
      for (std::int64_t i = 0; i < cin_g; ++i) {
        l1[at++] = static_cast<std::uint8_t>(n.weights.as_int64((o * cin_g + i) * 9 + position) & 0xff);
      }
    }
  }
  for (std::int64_t o = 0; o < cs; ++o) {
    const auto v = static_cast<std::uint32_t>(static_cast<std::int32_t>(n.bias.as_int64(c0 + o)));
    for (std::uint32_t b = 0; b < 4; ++b) {
      l1[call.bias() + 4 * static_cast<std::uint64_t>(o) + b] = static_cast<std::uint8_t>(v >> (8 * b));
    }
  }
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  const std::vector<std::uint8_t> before = l1;
  run_kernel(call, l1);
  expect_hwc_equal(layer.y, l1, call.output(), Region{0, 7, 0, 6, c0, cs});
  expect_only_written(before, l1, {{call.output(), out_bytes}});
}

TEST(PulpKernelLinear, SignedAndUnsignedInputsMatchTheGoldenModel) {
  for (const bool signed_in : {false, true}) {
    SCOPED_TRACE(signed_in ? "int8 input" : "uint8 input");
    const ConvSpec spec{"linear", 100, 10, 1, 1, 1, 1, {0, 0, 0, 0}, false, signed_in, true};
    const WindowLayer layer = make_conv(spec, 21);
    ASSERT_EQ(layer.kind, isa::pulp::KERNEL_LINEAR);
    expect_varied(layer.y);
    run_whole_layer_and_compare(layer);
  }
}

// The plain path keeps (m * acc) >> d in an int16: large values wrap before the clamp. The
// kernel must wrap exactly where the golden model does, and it must make a difference here.
TEST(PulpKernelConvPlainPath, IntermediateSixteenBitsWrapsLikeTheGoldenModel) {
  ConvSpec spec{"wrap", 8, 8, 8, 8, 3, 1, {1, 1, 1, 1}, false, true, false, true, true, 1.0 / 400};
  const WindowLayer layer = make_conv(spec, 31);
  ASSERT_EQ(layer.node().requant.intermediate_bits, 16);
  run_whole_layer_and_compare(layer);

  // The same call without the int16 wrap gives other bytes somewhere.
  const TileAxis rows = tile_axis(0, dim(layer.y, 2), 3, 1, 1, 8), cols = tile_axis(0, dim(layer.y, 3), 3, 1, 1, 8);
  KernelCall call = window_call(layer, rows, cols);
  L1Builder builder;
  call.set_input(builder.place(8 * 8 * 8));
  call.set_weights(builder.place(static_cast<std::uint64_t>(layer.node().weights.numel())));
  call.set_has_bias(true);
  call.set_bias(builder.place(4 * 8));
  call.set_output(builder.place(8 * 8 * 8));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_hwc(layer.x, l1, call.input(), whole(layer.x));
  put_weights(layer.node(), l1, call.weights(), 0, 8);
  put_bias(layer.node(), l1, call.bias());
  run_kernel(call, l1);
  const std::vector<std::uint8_t> wrapped(l1.begin() + static_cast<std::ptrdiff_t>(call.output()), l1.end());
  call.mutable_requant()->set_intermediate_bits(0);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  run_kernel(call, l1);
  const std::vector<std::uint8_t> unwrapped(l1.begin() + static_cast<std::ptrdiff_t>(call.output()), l1.end());
  EXPECT_NE(wrapped, unwrapped) << "no output wrapped: the test does not exercise intermediate_bits 16";
}

// One run longer than an int32 sum can hold (70000 x 255 x -128 < -2^31): the kernel must
// not wrap where the golden model's int64 accumulator does not.
TEST(PulpKernelLinear, AccumulatesBeyondInt32WithoutWrapping) {
  const std::int64_t c_in = 70000;
  Tensor weights(DType::I8, {2, c_in, 1, 1});
  for (std::int64_t i = 0; i < c_in; ++i) {
    weights.data<std::int8_t>()[i] = -128;
    weights.data<std::int8_t>()[c_in + i] = 127;
  }
  const double x_scale = 0.05, w_scale = 0.01, y_scale = x_scale * w_scale * 2.4e9 / 100;
  WindowLayer layer;
  layer.kind = isa::pulp::KERNEL_LINEAR;
  layer.graph = test::single_conv(quant::Scheme::Pulp, QTensor{"x", {1, c_in, 1, 1}, 8, false, x_scale, 0},
                                  QTensor{"y", {1, 2, 1, 1}, 8, true, y_scale, 0}, std::move(weights),
                                  {w_scale, w_scale});
  layer.graph.nodes[0].folded_batchnorm = true;
  quant::assign_requant(layer.graph);
  layer.x = Tensor(DType::U8, {1, c_in, 1, 1});
  for (auto& v : layer.x.span<std::uint8_t>()) v = 255;
  layer.y = golden::IntegerExecutor(layer.graph).run_quantized({layer.x}).at(0);
  ASSERT_LT(layer.y.as_int64(0), -50);  // -95: a wrapped sum would come out near +84
  ASSERT_GT(layer.y.as_int64(1), 50);
  run_whole_layer_and_compare(layer);
}

// Input-channel tiling: three calls over 6 + 5 + 5 of 16 input channels, with int32 partial
// sums in L1 between them, give the whole layer's bytes.
TEST(PulpKernelConvTile, InputChannelTilesAccumulatePartialSums) {
  const WindowLayer layer = make_conv(ConvSpec{"cin", 16, 8, 6, 6, 3, 1, {1, 1, 1, 1}}, 13);
  const TileAxis rows = tile_axis(0, 6, 3, 1, 1, 6), cols = tile_axis(0, 6, 3, 1, 1, 6);
  KernelCall call = window_call(layer, rows, cols);
  L1Builder builder;
  call.set_input(builder.place(6 * 6 * 6));
  call.set_weights(builder.place(8 * 9 * 6));
  call.set_has_bias(true);
  call.set_bias(builder.place(4 * 8));
  call.set_output(builder.place(6 * 6 * 8));
  call.set_accumulator(builder.place(4 * 6 * 6 * 8));
  call.set_cin_tiled(true);
  std::vector<std::uint8_t> l1 = builder.memory();
  put_bias(layer.node(), l1, call.bias());
  const std::array<std::int64_t, 4> cuts{0, 6, 11, 16};
  for (std::size_t t = 0; t < 3; ++t) {
    const std::int64_t c0 = cuts[t], cs = cuts[t + 1] - cuts[t];
    call.set_c_in(static_cast<std::uint32_t>(cs));
    call.set_first_cin_tile(t == 0);
    call.set_last_cin_tile(t == 2);
    put_hwc(layer.x, l1, call.input(), Region{0, 6, 0, 6, c0, cs});
    put_weights(layer.node(), l1, call.weights(), c0, cs);
    ASSERT_EQ(kernel_problem(call, l1.size()), "") << "tile " << t;
    const std::vector<std::uint8_t> before = l1;
    run_kernel(call, l1);
    if (t < 2) {
      expect_only_written(before, l1, {{call.accumulator(), 4 * 6 * 6 * 8}});
    } else {
      expect_only_written(before, l1, {{call.output(), 6 * 6 * 8}});
    }
  }
  expect_hwc_equal(layer.y, l1, call.output(), whole(layer.y));
}

// ---------------------------------------------------------------------------------------
// Pools.

struct PoolSpec {
  const char* name;
  QOpKind kind;
  std::int64_t c, h, w, k, stride;
  std::array<std::int64_t, 4> pads;  // top, bottom, left, right
  bool is_signed = false;
};

void PrintTo(const PoolSpec& spec, std::ostream* os) { *os << spec.name; }

WindowLayer make_pool(const PoolSpec& s, std::uint32_t seed) {
  const std::int64_t oh = out_extent(s.h, s.k, s.stride, s.pads[0], s.pads[1]);
  const std::int64_t ow = out_extent(s.w, s.k, s.stride, s.pads[2], s.pads[3]);
  WindowLayer layer;
  layer.kind = s.kind == QOpKind::MaxPool ? isa::pulp::KERNEL_MAXPOOL : isa::pulp::KERNEL_AVGPOOL;
  QGraph& g = layer.graph;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = {QTensor{"x", {1, s.c, s.h, s.w}, 8, s.is_signed, 0.1, 0},
               QTensor{"y", {1, s.c, oh, ow}, 8, s.is_signed, s.kind == QOpKind::MaxPool ? 0.1 : 0.07, 0}};
  g.inputs = {0};
  g.outputs = {1};
  QNode n;
  n.kind = s.kind;
  n.name = s.name;
  n.inputs = {0};
  n.output = 1;
  n.kernel = {s.k, s.k};
  n.strides = {s.stride, s.stride};
  n.pads_begin = {s.pads[0], s.pads[2]};
  n.pads_end = {s.pads[1], s.pads[3]};
  n.divisor = s.k * s.k;
  g.nodes.push_back(n);
  quant::assign_requant(g);
  layer.x = test::random_quantized(g.tensor(0), seed);
  layer.y = golden::IntegerExecutor(g).run_quantized({layer.x}).at(0);
  return layer;
}

class PulpKernelPool : public ::testing::TestWithParam<PoolSpec> {};

TEST_P(PulpKernelPool, WholeLayerAndAMiddleTileMatchTheGoldenModel) {
  const WindowLayer layer = make_pool(GetParam(), 5);
  expect_varied(layer.y);
  run_whole_layer_and_compare(layer);
  const std::int64_t oh = dim(layer.y, 2), ow = dim(layer.y, 3);
  if (oh >= 3 && ow >= 3) run_tile_and_compare(layer, 1, oh - 2, 1, ow - 2);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PulpKernelPool,
    ::testing::Values(PoolSpec{"maxpool3x3_s2_pad1_unsigned", QOpKind::MaxPool, 6, 9, 9, 3, 2, {1, 1, 1, 1}},
                      PoolSpec{"maxpool2x2_s2_signed", QOpKind::MaxPool, 5, 8, 7, 2, 2, {0, 0, 0, 0}, true},
                      PoolSpec{"avgpool_global7x7", QOpKind::AvgPool, 10, 7, 7, 7, 1, {0, 0, 0, 0}},
                      PoolSpec{"avgpool2x2_s2_signed", QOpKind::AvgPool, 6, 8, 8, 2, 2, {0, 0, 0, 0}, true},
                      PoolSpec{"avgpool3x3_s1_pad1", QOpKind::AvgPool, 7, 6, 6, 3, 1, {1, 1, 1, 1}}),
    spec_name<PoolSpec>);

// All inputs negative: a zero for the padding would win every border window.
TEST(PulpKernelMaxPool, PaddingNeverWinsOnNegativeInputs) {
  WindowLayer layer = make_pool(PoolSpec{"maxpool", QOpKind::MaxPool, 6, 7, 7, 3, 2, {1, 1, 1, 1}, true}, 3);
  for (std::int64_t i = 0; i < layer.x.numel(); ++i) {
    layer.x.data<std::int8_t>()[i] = static_cast<std::int8_t>(-100 + (i * 37) % 90);
  }
  layer.y = golden::IntegerExecutor(layer.graph).run_quantized({layer.x}).at(0);
  for (std::int64_t i = 0; i < layer.y.numel(); ++i) ASSERT_LT(layer.y.as_int64(i), 0);
  run_whole_layer_and_compare(layer);
  run_tile_and_compare(layer, 0, 2, 2, 2);  // the top-right tile: padded above and to the right
}

// ---------------------------------------------------------------------------------------
// Add.

struct AddSpec {
  const char* name;
  bool a_signed, b_signed, y_signed;
  double a_scale, b_scale, y_scale;
};

void PrintTo(const AddSpec& spec, std::ostream* os) { *os << spec.name; }

// a, b -> one Add or Mul node -> y, the pulp scheme's requantisation assigned.
QGraph binary_qgraph(QOpKind kind, QTensor a, QTensor b, QTensor y) {
  QGraph g;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = {std::move(a), std::move(b), std::move(y)};
  g.inputs = {0, 1};
  g.outputs = {2};
  QNode n;
  n.kind = kind;
  n.name = kind == QOpKind::Add ? "add" : "mul";
  n.inputs = {0, 1};
  n.output = 2;
  g.nodes.push_back(n);
  quant::assign_requant(g);
  return g;
}

class PulpKernelAdd : public ::testing::TestWithParam<AddSpec> {};

TEST_P(PulpKernelAdd, TwoMultipliersAndMixedSignednessMatchTheGoldenModel) {
  const AddSpec s = GetParam();
  const QGraph g = binary_qgraph(QOpKind::Add, QTensor{"a", {1, 7, 5, 4}, 8, s.a_signed, s.a_scale, 0},
                                 QTensor{"b", {1, 7, 5, 4}, 8, s.b_signed, s.b_scale, 0},
                                 QTensor{"y", {1, 7, 5, 4}, 8, s.y_signed, s.y_scale, 0});
  const QNode& node = g.nodes[0];
  ASSERT_EQ(node.input_multiplier.size(), 2u);
  ASSERT_NE(node.input_multiplier[0], node.input_multiplier[1]);
  const Tensor a = test::random_quantized(g.tensor(0), 1), b = test::random_quantized(g.tensor(1), 2);
  const Tensor y = golden::IntegerExecutor(g).run_quantized({a, b}).at(0);
  expect_varied(y);

  KernelCall call;
  call.set_kind(isa::pulp::KERNEL_ADD);
  call.set_h_in(5);
  call.set_w_in(4);
  call.set_c_in(7);
  call.set_h_out(5);
  call.set_w_out(4);
  call.set_c_out(7);
  call.set_k_h(1);
  call.set_k_w(1);
  call.set_stride_h(1);
  call.set_stride_w(1);
  call.set_input_signed(s.a_signed);
  call.set_input_b_signed(s.b_signed);
  call.set_output_signed(s.y_signed);
  for (const auto m : node.input_multiplier) call.add_input_multiplier(m);
  *call.mutable_requant() = to_isa(node.requant);
  L1Builder builder;
  call.set_input(builder.place(140));
  call.set_input_b(builder.place(140));
  call.set_output(builder.place(140));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_hwc(a, l1, call.input(), whole(a));
  put_hwc(b, l1, call.input_b(), whole(b));
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  const std::vector<std::uint8_t> before = l1;
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, call.output(), whole(y));
  expect_only_written(before, l1, {{call.output(), 140}});
}

INSTANTIATE_TEST_SUITE_P(Signedness, PulpKernelAdd,
                         ::testing::Values(AddSpec{"int8_plus_uint8_into_uint8", true, false, false, 0.05, 0.03, 0.06},
                                           AddSpec{"uint8_plus_int8_into_int8", false, true, true, 0.02, 0.07, 0.08},
                                           AddSpec{"uint8_plus_uint8", false, false, false, 0.04, 0.01, 0.05}),
                         spec_name<AddSpec>);

// ---------------------------------------------------------------------------------------
// Lut and Mul.

// Every value of the tensor's 8-bit type in turn (from lo), so each table entry and both
// boundaries (-128/127 or 0/255) are read.
Tensor every_value(const QTensor& t) {
  Tensor out(t.dtype(), t.shape);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const std::int64_t v = t.lo() + i % 256;
    if (t.dtype() == DType::I8) {
      out.data<std::int8_t>()[i] = static_cast<std::int8_t>(v);
    } else {
      out.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v);
    }
  }
  return out;
}

// A call on h x w x c tiles of a 1x1 elementwise kind.
struct LutSpec {
  const char* name;
  const char* function;
  bool x_signed, y_signed;
  double x_scale, y_scale;
};

void PrintTo(const LutSpec& spec, std::ostream* os) { *os << spec.name; }

class PulpKernelLut : public ::testing::TestWithParam<LutSpec> {};

TEST_P(PulpKernelLut, EveryInputValueMatchesTheGoldenModel) {
  const LutSpec s = GetParam();
  QGraph g;
  g.scheme = quant::Scheme::Pulp;
  g.tensors = {QTensor{"x", {1, 8, 4, 9}, 8, s.x_signed, s.x_scale, 0},
               QTensor{"y", {1, 8, 4, 9}, 8, s.y_signed, s.y_scale, 0}};
  g.inputs = {0};
  g.outputs = {1};
  QNode n;
  n.kind = QOpKind::Lut;
  n.name = "lut";
  n.inputs = {0};
  n.output = 1;
  n.lut_function = s.function;
  n.lut_alpha = 1.0f / 6.0f;
  n.lut_beta = 0.5f;
  g.nodes.push_back(n);
  quant::assign_requant(g);
  const QNode& node = g.nodes[0];
  ASSERT_EQ(node.lut_table.size(), 256u);
  const Tensor x = every_value(g.tensor(0));
  const Tensor y = golden::IntegerExecutor(g).run_quantized({x}).at(0);
  expect_varied(y);

  KernelCall call = elementwise_call(isa::pulp::KERNEL_LUT, 4, 9, 8);
  call.set_input_signed(s.x_signed);
  call.set_output_signed(s.y_signed);
  L1Builder builder;
  call.set_input(builder.place(288));
  call.set_weights(builder.place(256));
  call.set_output(builder.place(288));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_hwc(x, l1, call.input(), whole(x));
  for (std::size_t i = 0; i < 256; ++i) l1[call.weights() + i] = static_cast<std::uint8_t>(node.lut_table[i] & 0xff);
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  const std::vector<std::uint8_t> before = l1;
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, call.output(), whole(y));
  expect_only_written(before, l1, {{call.output(), 288}});
}

INSTANTIATE_TEST_SUITE_P(
    Functions, PulpKernelLut,
    ::testing::Values(LutSpec{"sigmoid_int8_into_uint8", "sigmoid", true, false, 0.05, 1.0 / 255},
                      LutSpec{"tanh_int8_into_int8", "tanh", true, true, 0.03, 1.0 / 127},
                      LutSpec{"hardswish_uint8_into_int8", "hardswish", false, true, 0.04, 0.05},
                      LutSpec{"silu_uint8_into_uint8", "silu", false, false, 0.03, 0.04}),
    spec_name<LutSpec>);

struct MulSpec {
  const char* name;
  std::vector<std::int64_t> b_shape;  // NCHW, broadcast dims 1
  bool a_signed, b_signed, y_signed;
  double y_scale;
  bool extremes;  // a and b hold their types' extreme values (and the output saturates)
};

void PrintTo(const MulSpec& spec, std::ostream* os) { *os << spec.name; }

class PulpKernelMul : public ::testing::TestWithParam<MulSpec> {};

// Sets the first elements of t to its type's lo and hi alternately (the boundaries).
void put_extremes(const QTensor& q, Tensor& t) {
  for (std::int64_t i = 0; i < std::min<std::int64_t>(t.numel(), 6); ++i) {
    const std::int64_t v = i % 2 == 0 ? q.lo() : q.hi();
    if (t.dtype() == DType::I8) {
      t.data<std::int8_t>()[i] = static_cast<std::int8_t>(v);
    } else {
      t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v);
    }
  }
}

TEST_P(PulpKernelMul, BroadcastAndSaturationMatchTheGoldenModel) {
  const MulSpec s = GetParam();
  constexpr std::uint32_t C = 6, H = 5, W = 4;
  const QGraph g = binary_qgraph(QOpKind::Mul, QTensor{"a", {1, C, H, W}, 8, s.a_signed, 0.05, 0},
                                 QTensor{"b", s.b_shape, 8, s.b_signed, 0.02, 0},
                                 QTensor{"y", {1, C, H, W}, 8, s.y_signed, s.y_scale, 0});
  const QNode& node = g.nodes[0];
  ASSERT_EQ(node.requant.multiplier.size(), 1u);
  Tensor a = test::random_quantized(g.tensor(0), 3), b = test::random_quantized(g.tensor(1), 4);
  if (s.extremes) {
    put_extremes(g.tensor(0), a);
    put_extremes(g.tensor(1), b);
  }
  const Tensor y = golden::IntegerExecutor(g).run_quantized({a, b}).at(0);
  expect_varied(y);
  if (s.extremes) {
    // Both ends of the output's range are reached: the requant's clamp is exercised.
    std::set<std::int64_t> values;
    for (std::int64_t i = 0; i < y.numel(); ++i) values.insert(y.as_int64(i));
    EXPECT_EQ(*values.begin(), g.tensor(2).lo());
    EXPECT_EQ(*values.rbegin(), g.tensor(2).hi());
  }

  KernelCall call = elementwise_call(isa::pulp::KERNEL_MUL, H, W, C);
  call.set_b_h(static_cast<std::uint32_t>(dim(b, 2)));
  call.set_b_w(static_cast<std::uint32_t>(dim(b, 3)));
  call.set_b_c(static_cast<std::uint32_t>(dim(b, 1)));
  call.set_input_signed(s.a_signed);
  call.set_input_b_signed(s.b_signed);
  call.set_output_signed(s.y_signed);
  *call.mutable_requant() = to_isa(node.requant);
  const std::uint64_t bytes = std::uint64_t{C} * H * W;
  L1Builder builder;
  call.set_input(builder.place(bytes));
  call.set_input_b(builder.place(static_cast<std::uint64_t>(b.numel())));
  call.set_output(builder.place(bytes));
  std::vector<std::uint8_t> l1 = builder.memory();
  put_hwc(a, l1, call.input(), whole(a));
  put_hwc(b, l1, call.input_b(), whole(b));
  ASSERT_EQ(kernel_problem(call, l1.size()), "");
  const std::vector<std::uint8_t> before = l1;
  run_kernel(call, l1);
  expect_hwc_equal(y, l1, call.output(), whole(y));
  expect_only_written(before, l1, {{call.output(), bytes}});
}

INSTANTIATE_TEST_SUITE_P(
    Broadcasts, PulpKernelMul,
    ::testing::Values(MulSpec{"se_gate_uint8_times_int8", {1, 6, 1, 1}, true, false, true, 0.3, false},
                      MulSpec{"same_shape_uint8", {1, 6, 5, 4}, false, false, false, 0.3, false},
                      MulSpec{"spatial_map_int8", {1, 1, 5, 4}, true, true, true, 0.15, false},
                      MulSpec{"row_broadcast", {1, 6, 5, 1}, false, true, true, 0.3, false},
                      MulSpec{"se_gate_saturating_int8", {1, 6, 1, 1}, true, true, true, 0.04, true},
                      MulSpec{"same_shape_saturating_uint8", {1, 6, 5, 4}, false, false, false, 0.08, true}),
    spec_name<MulSpec>);

// ---------------------------------------------------------------------------------------
// Gather: y[h][w][c] = x[h][w][idx[c]], against outputs worked out by hand from that
// definition (the golden model has no gather node to compare with).

// A gather of an h x w tile of c_in channels into idx.size() channels, with `x` (HWC bytes)
// and the uint16 little-endian table in L1.

GatherCall gather_call(std::uint32_t h, std::uint32_t w, std::uint32_t c_in, const std::vector<std::uint16_t>& idx,
                       const std::vector<std::uint8_t>& x, bool is_signed) {
  GatherCall g;
  g.call = elementwise_call(isa::pulp::KERNEL_GATHER, h, w, c_in);
  g.call.set_c_out(static_cast<std::uint32_t>(idx.size()));
  g.call.set_input_signed(is_signed);
  g.call.set_output_signed(is_signed);
  L1Builder builder;
  g.call.set_input(builder.place(x.size()));
  g.call.set_weights(builder.place(2 * idx.size()));
  g.call.set_output(builder.place(std::uint64_t{h} * w * idx.size()));
  g.l1 = builder.memory();
  std::copy(x.begin(), x.end(), g.l1.begin() + static_cast<std::ptrdiff_t>(g.call.input()));
  for (std::size_t i = 0; i < idx.size(); ++i) {
    g.l1[g.call.weights() + 2 * i] = static_cast<std::uint8_t>(idx[i] & 0xff);
    g.l1[g.call.weights() + 2 * i + 1] = static_cast<std::uint8_t>(idx[i] >> 8);
  }
  return g;
}


// ShuffleNetV2's channel shuffle of 2 groups over 8 channels: reshape to (2, 4), transpose to
// (4, 2), flatten, so output channel 2j + i is input channel 4i + j.
const std::vector<std::uint16_t> kShuffle2x4 = {0, 4, 1, 5, 2, 6, 3, 7};

TEST(PulpKernelGather, AChannelShuffleOfTwoGroupsInt8) {
  GatherCall g = gather_call(1, 2, 8, kShuffle2x4,
                             int8_bytes({-128, -1, 0, 1, 2, 3, 126, 127, 10, 11, 12, 13, 14, 15, 16, 17}), true);
  EXPECT_EQ(run_in_l1(g), int8_bytes({-128, 2, -1, 3, 0, 126, 1, 127, 10, 14, 11, 15, 12, 16, 13, 17}));
}

TEST(PulpKernelGather, AChannelShuffleOfTwoGroupsUint8) {
  GatherCall g = gather_call(1, 2, 8, kShuffle2x4, {0, 255, 128, 127, 1, 254, 64, 200, 9, 8, 7, 6, 5, 4, 3, 2}, false);
  EXPECT_EQ(run_in_l1(g), (std::vector<std::uint8_t>{0, 1, 255, 254, 128, 64, 127, 200, 9, 5, 8, 4, 7, 3, 6, 2}));
}

// A channel Split's second half: channels 5, 6, 7 of 8, on a 2 x 2 tile.
TEST(PulpKernelGather, AContiguousSliceFromAnOffsetInt8) {
  const std::vector<std::uint8_t> x = int8_bytes({0, 1, 2, 3, 4, -5, -6, -7,            // pixel (0, 0)
                                                  10, 11, 12, 13, 14, -15, -16, -17,     // (0, 1)
                                                  20, 21, 22, 23, 24, -25, -26, -27,     // (1, 0)
                                                  -128, 31, 32, 33, 34, 127, -1, -128});  // (1, 1)
  GatherCall g = gather_call(2, 2, 8, {5, 6, 7}, x, true);
  EXPECT_EQ(run_in_l1(g), int8_bytes({-5, -6, -7, -15, -16, -17, -25, -26, -27, 127, -1, -128}));
}

// Input channel i holds i / 2: channels 257 and 299 hold 128 and 149, while the low bytes of
// their indices alone (1 and 43) would read 0 and 21.
TEST(PulpKernelGather, IndicesAbove255ReadTheTablesHighByte) {
  std::vector<std::uint8_t> x(300);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(i / 2);
  GatherCall g = gather_call(1, 1, 300, {257, 299}, x, false);
  EXPECT_EQ(run_in_l1(g), (std::vector<std::uint8_t>{128, 149}));
}

// The table arrives by DMA: an index not below c_in is found when the kernel runs, named, and
// nothing is read out of bounds or written.
TEST(PulpKernelGather, AnIndexNotBelowCInIsAUserErrorNotARead) {
  for (const std::uint16_t bad : {std::uint16_t{8}, std::uint16_t{65535}}) {
    GatherCall g = gather_call(1, 2, 8, {0, bad, 1}, std::vector<std::uint8_t>(16, 7), true);
    ASSERT_EQ(kernel_problem(g.call, g.l1.size()), "");  // the data is not the call's shape
    const std::vector<std::uint8_t> before = g.l1;
    try {
      run_kernel(g.call, g.l1);
      ADD_FAILURE() << "index " << bad << " ran";
    } catch (const UserError& e) {
      EXPECT_EQ(std::string(e.what()),
                fmt::format("gather: index {} of output channel 1 is not below c_in 8", bad));
    }
    EXPECT_EQ(g.l1, before) << "index " << bad;
  }
}

// ---------------------------------------------------------------------------------------
// kernel_problem.

// A well-formed 3x3 conv: 9x9x5 -> 9x9x6, pads 1, everything inside 65536 bytes of L1.
KernelCall valid_conv() {
  KernelCall call;
  call.set_kind(isa::pulp::KERNEL_CONV);
  call.set_h_in(9);
  call.set_w_in(9);
  call.set_c_in(5);
  call.set_h_out(9);
  call.set_w_out(9);
  call.set_c_out(6);
  call.set_k_h(3);
  call.set_k_w(3);
  call.set_stride_h(1);
  call.set_stride_w(1);
  call.set_pad_top(1);
  call.set_pad_bottom(1);
  call.set_pad_left(1);
  call.set_pad_right(1);
  call.set_input(0);
  call.set_weights(1024);
  call.set_has_bias(true);
  call.set_bias(2048);
  call.set_output(4096);
  call.mutable_requant()->add_multiplier(3);
  call.mutable_requant()->add_shift(10);
  call.mutable_requant()->set_lo(0);
  call.mutable_requant()->set_hi(255);
  return call;
}

// A well-formed grouped conv: 9x9x6 -> 9x9x6 in 3 groups of 2 -> 2 channels.
KernelCall valid_grouped() {
  KernelCall call = valid_conv();
  call.set_kind(isa::pulp::KERNEL_GROUPED_CONV);
  call.set_c_in(6);
  call.set_groups(3);
  return call;
}

KernelCall valid_add() {
  KernelCall call = valid_conv();
  call.set_kind(isa::pulp::KERNEL_ADD);
  call.set_c_in(6);
  call.set_k_h(1);
  call.set_k_w(1);
  call.set_pad_top(0);
  call.set_pad_bottom(0);
  call.set_pad_left(0);
  call.set_pad_right(0);
  call.set_input_b(1024);
  call.add_input_multiplier(100);
  call.add_input_multiplier(70);
  return call;
}

TEST(PulpKernelProblem, WellFormedCallsHaveNone) {
  EXPECT_EQ(kernel_problem(valid_conv(), 65536), "");
  EXPECT_EQ(kernel_problem(valid_add(), 65536), "");
  EXPECT_EQ(kernel_problem(valid_grouped(), 65536), "");
  KernelCall no_bias = valid_conv();
  no_bias.set_has_bias(false);
  no_bias.set_bias(1u << 30);  // unused
  EXPECT_EQ(kernel_problem(no_bias, 65536), "");
  KernelCall max = valid_add();
  max.set_kind(isa::pulp::KERNEL_MAXPOOL);
  max.clear_requant();  // the max pool has none
  EXPECT_EQ(kernel_problem(max, 65536), "");
}

TEST(PulpKernelProblem, NamesTheOperandBeyondL1) {
  KernelCall output = valid_conv();
  output.set_output(65100);
  EXPECT_EQ(kernel_problem(output, 65536), "output: 486 bytes at 65100 end beyond L1 (65536 bytes)");
  KernelCall input = valid_conv();
  input.set_input(65500);
  EXPECT_EQ(kernel_problem(input, 65536), "input: 405 bytes at 65500 end beyond L1 (65536 bytes)");
  KernelCall weights = valid_conv();
  weights.set_weights(65300);
  EXPECT_EQ(kernel_problem(weights, 65536), "weights: 270 bytes at 65300 end beyond L1 (65536 bytes)");
  KernelCall bias = valid_conv();
  bias.set_bias(65520);
  EXPECT_EQ(kernel_problem(bias, 65536), "bias: 24 bytes at 65520 end beyond L1 (65536 bytes)");
  KernelCall input_b = valid_add();
  input_b.set_input_b(65200);
  EXPECT_EQ(kernel_problem(input_b, 65536), "input_b: 486 bytes at 65200 end beyond L1 (65536 bytes)");
  KernelCall grouped_weights = valid_grouped();  // 6 filters of 3 x 3 x 2
  grouped_weights.set_weights(65500);
  EXPECT_EQ(kernel_problem(grouped_weights, 65536), "weights: 108 bytes at 65500 end beyond L1 (65536 bytes)");
  KernelCall accumulator = valid_conv();
  accumulator.set_cin_tiled(true);
  accumulator.set_first_cin_tile(true);
  accumulator.set_accumulator(64000);
  EXPECT_EQ(kernel_problem(accumulator, 65536), "accumulator: 1944 bytes at 64000 end beyond L1 (65536 bytes)");
  // An address near 2^64 must not wrap around into range.
  KernelCall huge = valid_conv();
  huge.set_output(std::numeric_limits<std::uint64_t>::max() - 10);
  EXPECT_THAT(kernel_problem(huge, 65536), HasSubstr("output: 486 bytes at 18446744073709551605"));
}

TEST(PulpKernelProblem, NamesTheMismatchedExtent) {
  KernelCall rows = valid_conv();
  rows.set_h_out(10);
  EXPECT_EQ(kernel_problem(rows, 65536), "h_out 10 does not match h_in 9, window span 3, stride 1, pads 1+1 (9)");
  KernelCall cols = valid_conv();
  cols.set_stride_w(2);
  EXPECT_EQ(kernel_problem(cols, 65536), "w_out 9 does not match w_in 9, window span 3, stride 2, pads 1+1 (5)");
  // Dilation 2 spans 5 columns: 9 + 1 + 1 - 5 + 1 = 7 outputs, not 9.
  KernelCall dilated = valid_conv();
  dilated.set_dilation_w(2);
  EXPECT_EQ(kernel_problem(dilated, 65536), "w_out 9 does not match w_in 9, window span 5, stride 1, pads 1+1 (7)");
  dilated.set_w_out(7);
  EXPECT_EQ(kernel_problem(dilated, 65536), "");
}

TEST(PulpKernelProblem, DilationBelongsToTheConvKernelsAndNotThePlaneKernel) {
  KernelCall pool = valid_add();
  pool.set_kind(isa::pulp::KERNEL_MAXPOOL);
  pool.clear_requant();
  pool.set_dilation_h(2);
  EXPECT_EQ(kernel_problem(pool, 65536), "dilation 2x1 on kind maxpool (only conv, grouped_conv and depthwise dilate)");
  KernelCall plane = valid_conv();
  plane.set_kind(isa::pulp::KERNEL_DEPTHWISE);
  plane.set_c_in(6);
  plane.set_depthwise_plane(true);
  EXPECT_EQ(kernel_problem(plane, 65536), "");
  plane.set_dilation_h(2);
  plane.set_dilation_w(2);
  plane.set_h_out(7);
  plane.set_w_out(7);
  EXPECT_EQ(kernel_problem(plane, 65536), "dilation 2x2 with depthwise_plane (its 3x3 window is dense)");
  KernelCall huge = valid_conv();
  huge.set_dilation_w(5000);
  EXPECT_EQ(kernel_problem(huge, 65536), "dilation 1x5000 exceeds 1024");
  // A pad of the undilated kernel's size is fine once dilation widens the window to 5.
  KernelCall pad = valid_conv();
  pad.set_dilation_w(2);
  pad.set_pad_left(3);
  pad.set_pad_right(3);
  pad.set_w_out(11);
  EXPECT_EQ(kernel_problem(pad, 65536), "");
  pad.set_pad_right(5);
  pad.set_w_out(13);
  EXPECT_EQ(kernel_problem(pad, 65536), "pad_right 5 not below the window's span_w 5 (a window would lie entirely in "
                                        "the padding)");
}

// Only the undilated window depthwise kernel reads a channel-major tile (DORY's layout).
TEST(PulpKernelProblem, AChannelMajorInputBelongsToTheWindowDepthwiseKernel) {
  KernelCall conv = valid_conv();
  conv.set_input_chw(true);
  EXPECT_EQ(kernel_problem(conv, 65536), "input_chw on conv (the undilated window depthwise kernel expected)");
}

TEST(PulpKernelProblem, NamesZeroSizesAndPaddingAsLargeAsTheWindow) {
  KernelCall stride = valid_conv();
  stride.set_stride_h(0);
  EXPECT_THAT(kernel_problem(stride, 65536), HasSubstr("stride_h 0"));
  KernelCall channels = valid_conv();
  channels.set_c_out(0);
  EXPECT_THAT(kernel_problem(channels, 65536), HasSubstr("c_out 0"));
  KernelCall pad = valid_conv();
  pad.set_pad_right(3);
  pad.set_w_out(11);
  EXPECT_THAT(kernel_problem(pad, 65536), HasSubstr("pad_right 3 not below the window's span_w 3"));
  KernelCall kind = valid_conv();
  kind.set_kind(static_cast<KernelKind>(42));
  EXPECT_EQ(kernel_problem(kind, 65536), "unknown kernel kind 42");
}

TEST(PulpKernelProblem, NamesWhatEachKindRequires) {
  KernelCall depthwise = valid_conv();
  depthwise.set_kind(isa::pulp::KERNEL_DEPTHWISE);
  EXPECT_EQ(kernel_problem(depthwise, 65536), "c_in 5 differs from c_out 6 (depthwise keeps the channels)");
  // The plane depthwise kernel: a depthwise call with a 3x3 window and stride 1x1 or 2x2 only.
  depthwise.set_c_out(5);
  depthwise.set_depthwise_plane(true);
  EXPECT_EQ(kernel_problem(depthwise, 65536), "");
  KernelCall plane_conv = valid_conv();
  plane_conv.set_depthwise_plane(true);
  EXPECT_THAT(kernel_problem(plane_conv, 65536), HasSubstr("depthwise_plane on conv with a 3x3 window"));
  KernelCall plane_stride3 = depthwise;
  plane_stride3.set_stride_h(3);
  plane_stride3.set_stride_w(3);
  plane_stride3.set_h_out(3);
  plane_stride3.set_w_out(3);
  EXPECT_THAT(kernel_problem(plane_stride3, 65536), HasSubstr("depthwise_plane on depthwise with a 3x3 window and stride 3x3"));

  KernelCall linear = valid_conv();
  linear.set_kind(isa::pulp::KERNEL_LINEAR);
  EXPECT_THAT(kernel_problem(linear, 65536), HasSubstr("linear on a 9x9 input with a 3x3 window"));

  KernelCall pointwise = valid_conv();
  pointwise.set_kind(isa::pulp::KERNEL_POINTWISE);
  EXPECT_THAT(kernel_problem(pointwise, 65536), HasSubstr("pointwise with a 3x3 window"));

  KernelCall add_window = valid_add();
  add_window.set_k_h(3);
  add_window.set_pad_top(1);
  add_window.set_pad_bottom(1);
  EXPECT_THAT(kernel_problem(add_window, 65536), HasSubstr("add with a 3x1 window"));
  KernelCall add_multipliers = valid_add();
  add_multipliers.clear_input_multiplier();
  add_multipliers.add_input_multiplier(1);
  EXPECT_EQ(kernel_problem(add_multipliers, 65536), "add needs 2 input multipliers, has 1");

  KernelCall maxpool = valid_add();
  maxpool.set_kind(isa::pulp::KERNEL_MAXPOOL);
  maxpool.set_input_signed(true);
  EXPECT_THAT(kernel_problem(maxpool, 65536), HasSubstr("maxpool input_signed true but output_signed false"));

  KernelCall tiled = valid_add();
  tiled.set_kind(isa::pulp::KERNEL_AVGPOOL);
  tiled.set_cin_tiled(true);
  EXPECT_THAT(kernel_problem(tiled, 65536), HasSubstr("cin_tiled on kind avgpool"));
}

TEST(PulpKernelProblem, NamesGroupsThatDoNotFit) {
  KernelCall none = valid_grouped();
  none.set_groups(0);
  EXPECT_EQ(kernel_problem(none, 65536), "grouped_conv with groups 0 (at least 1)");
  KernelCall uneven = valid_grouped();
  uneven.set_groups(4);
  EXPECT_EQ(kernel_problem(uneven, 65536), "grouped_conv: groups 4 does not divide c_in 6 and c_out 6");
  KernelCall output_only = valid_grouped();
  output_only.set_c_out(9);  // 3 groups of 2 -> 3: fine
  EXPECT_EQ(kernel_problem(output_only, 65536), "");
  output_only.set_c_out(8);
  EXPECT_EQ(kernel_problem(output_only, 65536), "grouped_conv: groups 3 does not divide c_in 6 and c_out 8");
  KernelCall conv = valid_conv();
  conv.set_groups(2);
  EXPECT_EQ(kernel_problem(conv, 65536), "groups 2 on kind conv (only grouped_conv has groups)");
  KernelCall tiled = valid_grouped();
  tiled.set_cin_tiled(true);
  EXPECT_THAT(kernel_problem(tiled, 65536), HasSubstr("cin_tiled on kind grouped_conv"));
}

// A well-formed table lookup (9x9x6, table at 1024) and SE-gate product (b 1x1x6 at 1024).
KernelCall valid_lut() {
  KernelCall call = valid_add();
  call.set_kind(isa::pulp::KERNEL_LUT);
  call.clear_input_multiplier();
  call.clear_requant();  // a lookup has none
  call.set_input_b(0);
  return call;
}

KernelCall valid_mul() {
  KernelCall call = valid_add();
  call.set_kind(isa::pulp::KERNEL_MUL);
  call.clear_input_multiplier();
  call.set_b_h(1);
  call.set_b_w(1);
  call.set_b_c(6);
  return call;
}

TEST(PulpKernelProblem, LutAndMulCallsAreCheckedBeforeTheyRun) {
  EXPECT_EQ(kernel_problem(valid_lut(), 65536), "");
  EXPECT_EQ(kernel_problem(valid_mul(), 65536), "");
  KernelCall same_shape = valid_mul();
  same_shape.set_b_h(9);
  same_shape.set_b_w(9);
  EXPECT_EQ(kernel_problem(same_shape, 65536), "");

  // The table's 256 bytes must lie in L1.
  KernelCall table = valid_lut();
  table.set_weights(65536 - 255);
  EXPECT_EQ(kernel_problem(table, 65536), "lut table: 256 bytes at 65281 end beyond L1 (65536 bytes)");
  KernelCall window = valid_lut();
  window.set_k_h(3);
  window.set_pad_top(1);
  window.set_pad_bottom(1);
  EXPECT_THAT(kernel_problem(window, 65536), HasSubstr("lut with a 3x1 window"));
  KernelCall channels = valid_lut();
  channels.set_c_out(5);
  EXPECT_THAT(kernel_problem(channels, 65536), HasSubstr("c_in 6 differs from c_out 5"));

  // b's dimensions: the output's or 1, and b must lie in L1.
  KernelCall b_c = valid_mul();
  b_c.set_b_c(3);
  EXPECT_EQ(kernel_problem(b_c, 65536), "mul: b_c 3 is neither 1 nor the output's 6 (b broadcasts)");
  KernelCall b_h = valid_mul();
  b_h.set_b_h(0);
  EXPECT_EQ(kernel_problem(b_h, 65536), "mul: b_h 0 is neither 1 nor the output's 9 (b broadcasts)");
  KernelCall b_far = same_shape;
  b_far.set_input_b(65536 - 100);
  EXPECT_EQ(kernel_problem(b_far, 65536), "input_b: 486 bytes at 65436 end beyond L1 (65536 bytes)");
  KernelCall b_on_add = valid_add();
  b_on_add.set_b_c(6);
  EXPECT_EQ(kernel_problem(b_on_add, 65536), "b shape 0x0x6 on kind add (only mul has one)");
  // One requant entry, and a clamp within the output type.
  KernelCall per_channel = valid_mul();
  for (int i = 0; i < 5; ++i) {
    per_channel.mutable_requant()->add_multiplier(3);
    per_channel.mutable_requant()->add_shift(10);
  }
  EXPECT_EQ(kernel_problem(per_channel, 65536),
            "mul needs one requant entry (per tensor), has 6/0/6 multiplier/offset/shift");
  KernelCall clamp = valid_mul();
  clamp.mutable_requant()->set_hi(300);
  EXPECT_THAT(kernel_problem(clamp, 65536), HasSubstr("requant clamp [0, 300] exceeds"));
}

// A well-formed gather: 9x9x6 -> 9x9x4, its 8-byte table at 1024, no requant.
KernelCall valid_gather() {
  KernelCall call = valid_lut();
  call.set_kind(isa::pulp::KERNEL_GATHER);
  call.set_c_out(4);
  return call;
}

// A 1x1 kernel (gather, softmax) refuses a padded 3x3 window and an input of other rows
// (`valid` has 9 output rows).
void expect_one_by_one_window_required(const KernelCall& valid, const std::string& kind) {
  KernelCall window = valid;
  window.set_k_h(3);
  window.set_k_w(3);
  window.set_pad_top(1);
  window.set_pad_bottom(1);
  window.set_pad_left(1);
  window.set_pad_right(1);
  EXPECT_EQ(kernel_problem(window, 65536), kind + " with a 3x3 window and stride 1x1 (1x1 and 1x1 expected)");
  KernelCall rows = valid;
  rows.set_h_in(8);
  EXPECT_EQ(kernel_problem(rows, 65536), "h_out 9 does not match h_in 8, window span 1, stride 1, pads 0+0 (8)");
}

TEST(PulpKernelProblem, GatherCallsAreCheckedBeforeTheyRun) {
  EXPECT_EQ(kernel_problem(valid_gather(), 65536), "");  // c_out < c_in, no requant entries
  KernelCall wider = valid_gather();
  wider.set_c_out(12);  // c_out may exceed c_in (channels repeated)
  EXPECT_EQ(kernel_problem(wider, 65536), "");

  expect_one_by_one_window_required(valid_gather(), "gather");
  KernelCall cols = valid_gather();
  cols.set_w_in(10);
  EXPECT_EQ(kernel_problem(cols, 65536), "w_out 9 does not match w_in 10, window span 1, stride 1, pads 0+0 (10)");
  KernelCall pad = valid_gather();
  pad.set_pad_left(1);
  EXPECT_THAT(kernel_problem(pad, 65536), HasSubstr("pad_left 1 not below the window's span_w 1"));
  KernelCall stride = valid_gather();
  stride.set_stride_h(2);
  stride.set_h_out(5);
  EXPECT_THAT(kernel_problem(stride, 65536), HasSubstr("gather with a 1x1 window and stride 2x1"));

  // The table's 2 * c_out bytes must lie in L1.
  KernelCall table = valid_gather();
  table.set_weights(65536 - 7);
  EXPECT_EQ(kernel_problem(table, 65536), "gather table: 8 bytes at 65529 end beyond L1 (65536 bytes)");
  table.set_weights(65536 - 8);
  EXPECT_EQ(kernel_problem(table, 65536), "");

  KernelCall types = valid_gather();
  types.set_input_signed(true);
  EXPECT_EQ(kernel_problem(types, 65536),
            "gather input_signed true but output_signed false (a byte copy keeps its type)");
  KernelCall b_shape = valid_gather();
  b_shape.set_b_c(4);
  EXPECT_EQ(kernel_problem(b_shape, 65536), "b shape 0x0x4 on kind gather (only mul has one)");
  KernelCall output = valid_gather();
  output.set_output(65536 - 100);  // 9 x 9 x 4 = 324 bytes
  EXPECT_EQ(kernel_problem(output, 65536), "output: 324 bytes at 65436 end beyond L1 (65536 bytes)");
}

// A well-formed softmax: 9x9x6 int8 -> uint8, its 1 KiB exp table at 1024, no requant.
KernelCall valid_softmax() {
  KernelCall call = valid_lut();
  call.set_kind(isa::pulp::KERNEL_SOFTMAX);
  call.set_input_signed(true);
  return call;
}

TEST(PulpKernelProblem, SoftmaxCallsAreCheckedBeforeTheyRun) {
  EXPECT_EQ(kernel_problem(valid_softmax(), 65536), "");
  KernelCall uint8 = valid_softmax();
  uint8.set_input_signed(false);
  EXPECT_EQ(kernel_problem(uint8, 65536), "");

  // The table's 1024 bytes must lie in L1.
  KernelCall table = valid_softmax();
  table.set_weights(65536 - 1023);
  EXPECT_EQ(kernel_problem(table, 65536), "softmax table: 1024 bytes at 64513 end beyond L1 (65536 bytes)");
  table.set_weights(65536 - 1024);
  EXPECT_EQ(kernel_problem(table, 65536), "");

  expect_one_by_one_window_required(valid_softmax(), "softmax");
  KernelCall pad = valid_softmax();
  pad.set_pad_top(1);
  EXPECT_THAT(kernel_problem(pad, 65536), HasSubstr("pad_top 1 not below the window's span_h 1"));
  KernelCall channels = valid_softmax();
  channels.set_c_out(5);
  EXPECT_EQ(kernel_problem(channels, 65536), "c_in 6 differs from c_out 5 (softmax keeps the channels)");

  KernelCall signed_output = valid_softmax();
  signed_output.set_output_signed(true);
  EXPECT_EQ(kernel_problem(signed_output, 65536), "softmax output_signed true (its probabilities are uint8 at 1/256)");
  KernelCall by_channels = valid_softmax();
  by_channels.set_parallel(isa::pulp::PARALLEL_CO);
  EXPECT_EQ(kernel_problem(by_channels, 65536),
            "softmax with parallel co (only ho, output rows: a pixel's channels depend on each other)");
  by_channels.set_parallel(isa::pulp::PARALLEL_HOWO);
  EXPECT_THAT(kernel_problem(by_channels, 65536), HasSubstr("softmax with parallel howo"));

  // Region labels: rows of one window's keys (c_out == L, w_out 1) inside the layer's rows, the
  // labels after the exp table inside L1; only a softmax has them.
  KernelCall labelled = elementwise_call(isa::pulp::KERNEL_SOFTMAX, 8, 1, 4);
  labelled.set_input_signed(true);
  labelled.set_input(0);
  labelled.set_output(64);
  labelled.set_weights(1024);
  labelled.set_softmax_label_tokens(4);
  labelled.set_softmax_label_heads(2);
  labelled.set_softmax_label_windows(3);
  labelled.set_softmax_row0(16);
  EXPECT_EQ(kernel_problem(labelled, 65536), "");
  KernelCall past = labelled;
  past.set_softmax_row0(17);
  EXPECT_EQ(kernel_problem(past, 65536), "softmax rows 17 .. 25 beyond the 24 rows of 3 windows of 2 heads of 4 queries");
  KernelCall more_keys = labelled;
  more_keys.set_c_in(5);
  more_keys.set_c_out(5);
  EXPECT_THAT(kernel_problem(more_keys, 65536), HasSubstr("softmax labels of windows of 4 tokens on rows of 5 keys"));
  KernelCall no_heads = labelled;
  no_heads.set_softmax_label_heads(0);
  EXPECT_EQ(kernel_problem(no_heads, 65536), "softmax labels with 0 heads or windows");
  KernelCall stray = valid_softmax();
  stray.set_softmax_row0(3);
  EXPECT_THAT(kernel_problem(stray, 65536), HasSubstr("without softmax_label_tokens"));
  KernelCall labels_end = labelled;
  labels_end.set_weights(65536 - 1030);
  EXPECT_EQ(kernel_problem(labels_end, 65536), "softmax table: 1036 bytes at 64506 end beyond L1 (65536 bytes)");
  KernelCall on_lut = valid_lut();
  on_lut.set_softmax_label_tokens(4);
  EXPECT_EQ(kernel_problem(on_lut, 65536), "softmax labels on kind lut (only softmax has them)");

  KernelCall b_shape = valid_softmax();
  b_shape.set_b_c(6);
  EXPECT_EQ(kernel_problem(b_shape, 65536), "b shape 0x0x6 on kind softmax (only mul has one)");
  KernelCall groups = valid_softmax();
  groups.set_groups(2);
  EXPECT_EQ(kernel_problem(groups, 65536), "groups 2 on kind softmax (only grouped_conv has groups)");
  KernelCall tiled = valid_softmax();
  tiled.set_cin_tiled(true);
  EXPECT_THAT(kernel_problem(tiled, 65536), HasSubstr("cin_tiled on kind softmax"));

  // The row sum is a 32-bit register: 65535 channels of at most 2^16 fit, 65536 do not (in an
  // L1 large enough to hold them).
  KernelCall wide = valid_softmax();
  for (const std::uint32_t c : {65535u, 65536u}) {
    wide.set_h_in(1);
    wide.set_w_in(1);
    wide.set_h_out(1);
    wide.set_w_out(1);
    wide.set_c_in(c);
    wide.set_c_out(c);
    wide.set_input(0);
    wide.set_output(1u << 17);
    wide.set_weights(1u << 18);
    EXPECT_EQ(kernel_problem(wide, 1u << 20),
              c == 65535u ? "" : "softmax over 65536 channels (at most 65535: the row sum is a 32-bit register)");
  }
}

TEST(PulpKernelProblem, NamesBadRequantEntries) {
  KernelCall shifts = valid_conv();
  shifts.mutable_requant()->add_shift(3);  // 2 shifts for 6 channels
  EXPECT_EQ(kernel_problem(shifts, 65536), "requant has 1/0/2 multiplier/offset/shift entries for 6 channels");
  KernelCall per_channel = valid_conv();
  for (int c = 1; c < 6; ++c) per_channel.mutable_requant()->add_multiplier(c);  // 6 multipliers: fine
  EXPECT_EQ(kernel_problem(per_channel, 65536), "");
  KernelCall bits = valid_conv();
  bits.mutable_requant()->set_intermediate_bits(8);
  EXPECT_THAT(kernel_problem(bits, 65536), HasSubstr("intermediate_bits 8"));
  KernelCall clamp = valid_conv();
  clamp.set_output_signed(true);  // [0, 255] does not fit an int8 output
  EXPECT_EQ(kernel_problem(clamp, 65536), "requant clamp [0, 255] exceeds the int8 output's range [-128, 127]");
  KernelCall missing = valid_add();
  missing.clear_requant();
  EXPECT_THAT(kernel_problem(missing, 65536), HasSubstr("requant has 0/0/0"));
}

}  // namespace
}  // namespace wb::sim::pulp
