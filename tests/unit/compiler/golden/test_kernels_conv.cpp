// The float convolution (oneDNN; im2col/GEMM and depthwise loops where it declines) against
// a direct seven-loop convolution, and the executor's reuse of prepared convolutions.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/golden/reference_executor.h"
#include "compiler/ir/fusion.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/window_geometry.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/tensor_compare.h"

namespace wb {
namespace {

struct ConvCase {
  std::string name;
  Shape input;   // N, C, H, W
  Shape weight;  // M, C/g, kh, kw
  std::int64_t group;
  std::vector<std::int64_t> strides, dilations, pads;
  bool bias;
};

// Direct convolution: every output element summed over its receptive field.
Tensor direct_conv(const Tensor& x, const Tensor& w, const Tensor* b, const WindowGeometry& g, std::int64_t group) {
  const std::int64_t n_ = x.shape()[0], c_ = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const std::int64_t m_ = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const std::int64_t oh = g.output[0], ow = g.output[1];
  Tensor y(DType::F32, {n_, m_, oh, ow});
  const std::int64_t mg = m_ / group;
  for (std::int64_t n = 0; n < n_; ++n)
    for (std::int64_t m = 0; m < m_; ++m)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          double acc = b ? b->data<float>()[m] : 0.0;
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t ky = 0; ky < kh; ++ky)
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t iy = oy * g.strides[0] - g.pads_begin[0] + ky * g.dilations[0];
                const std::int64_t ix = ox * g.strides[1] - g.pads_begin[1] + kx * g.dilations[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const std::int64_t ci = (m / mg) * cg + c;
                acc += static_cast<double>(x.data<float>()[((n * c_ + ci) * h + iy) * wd + ix]) *
                       w.data<float>()[((m * cg + c) * kh + ky) * kw + kx];
              }
          y.data<float>()[((n * m_ + m) * oh + oy) * ow + ox] = static_cast<float>(acc);
        }
  return y;
}

struct ConvGraphOptions {
  bool weights_as_input = false;  // weights computed at run time: nothing to prepare once
  bool residual = false;          // fused residual input (kConvResidualInput)
  FusedActivation activation;
};

// x [, w] [, r] -> Conv -> y, with w a constant unless options.weights_as_input.
Graph conv_graph(const ConvCase& c, const Tensor& w, const Tensor& b, const ConvGraphOptions& options = {}) {
  Graph graph;
  Value* x = graph.add_value("x");
  x->dtype = DType::F32;
  x->shape = c.input;
  graph.inputs().push_back(x);
  Value* wv = nullptr;
  if (options.weights_as_input) {
    wv = graph.add_value("w");
    wv->dtype = DType::F32;
    wv->shape = c.weight;
    graph.inputs().push_back(wv);
  } else {
    wv = graph.add_constant("w", w);
  }
  std::vector<Value*> ins{x, wv};
  if (c.bias || options.residual) ins.push_back(c.bias ? graph.add_constant("b", b) : nullptr);
  if (options.residual) {
    Value* r = graph.add_value("r");
    r->dtype = DType::F32;
    graph.inputs().push_back(r);
    ins.push_back(r);
  }
  Node* n = graph.add_node(OpKind::Conv, "conv", ins, {graph.add_value("y")});
  n->attrs.set("group", c.group);
  n->attrs.set("strides", c.strides);
  n->attrs.set("dilations", c.dilations);
  n->attrs.set("pads", c.pads);
  options.activation.store(*n);
  graph.outputs().push_back(n->output());
  if (options.residual) {
    const WindowGeometry g = resolve_window(n->attrs, c.input, {c.weight[2], c.weight[3]});
    graph.inputs().back()->shape = {c.input[0], c.weight[0], g.output[0], g.output[1]};
  }
  infer_shapes(graph);
  return graph;
}

Tensor expected_conv(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  Attributes attrs;
  attrs.set("strides", c.strides);
  attrs.set("dilations", c.dilations);
  attrs.set("pads", c.pads);
  const WindowGeometry g = resolve_window(attrs, c.input, {c.weight[2], c.weight[3]});
  return direct_conv(x, w, c.bias ? &b : nullptr, g, c.group);
}

void expect_close(const Tensor& actual, const Tensor& expected) {
  const auto result = test::compare_tensors(actual, expected, 1e-5, 1e-5);
  EXPECT_TRUE(result.equal) << result.message;
}

class ConvAgainstDirect : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvAgainstDirect, Matches) {
  const ConvCase& c = GetParam();
  const Tensor w = test::random_tensor(c.weight, 11);
  const Tensor b = test::random_tensor({c.weight[0]}, 12);
  const Graph graph = conv_graph(c, w, b);
  const Tensor x = test::random_tensor(c.input, 13);
  expect_close(ReferenceExecutor(graph).run({x})[0], expected_conv(c, x, w, b));
}

INSTANTIATE_TEST_SUITE_P(
    Golden, ConvAgainstDirect,
    ::testing::Values(ConvCase{"pointwise", {1, 8, 5, 5}, {6, 8, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, true},
                      ConvCase{"pointwise_stride2", {1, 8, 7, 7}, {6, 8, 1, 1}, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}, true},
                      ConvCase{"pointwise_padded", {1, 4, 5, 5}, {6, 4, 1, 1}, 1, {1, 1}, {1, 1}, {1, 0, 0, 1}, false},
                      ConvCase{"grouped_pointwise", {2, 8, 5, 5}, {8, 4, 1, 1}, 2, {1, 1}, {1, 1}, {0, 0, 0, 0}, true},
                      ConvCase{"k3_pad1", {2, 3, 7, 6}, {4, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"k7_s2_p3", {1, 3, 16, 16}, {8, 3, 7, 7}, 1, {2, 2}, {1, 1}, {3, 3, 3, 3}, false},
                      ConvCase{"asymmetric_pads", {1, 2, 6, 5}, {3, 2, 3, 2}, 1, {2, 1}, {1, 1}, {0, 1, 2, 0}, true},
                      ConvCase{"dilated", {1, 2, 9, 9}, {2, 2, 3, 3}, 1, {1, 1}, {2, 3}, {2, 2, 2, 2}, true},
                      ConvCase{"grouped", {1, 8, 6, 6}, {12, 2, 3, 3}, 4, {1, 1}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise", {1, 6, 9, 9}, {6, 1, 3, 3}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise_multiplier", {1, 3, 8, 8}, {6, 1, 3, 3}, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}, false},
                      ConvCase{"depthwise_dilated_stride3", {2, 4, 11, 10}, {4, 1, 3, 3}, 4, {3, 3}, {2, 2}, {0, 2, 1, 2}, true}),
    [](const ::testing::TestParamInfo<ConvCase>& param) { return param.param.name; });

// Seeded random geometries: groups, windows, strides, dilations and uneven pads in every
// combination the hand-picked cases above do not reach.
TEST(ConvKernel, RandomGeometriesMatchTheDirectConvolution) {
  std::mt19937 rng(7);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 40; ++i) {
    const std::int64_t group = pick(0, 2) == 0 ? pick(2, 4) : 1;
    const std::int64_t kh = pick(1, 4), kw = pick(1, 4), dh = pick(1, 3), dw = pick(1, 3);
    const std::vector<std::int64_t> pads{pick(0, kh - 1), pick(0, kw - 1), pick(0, kh), pick(0, kw)};
    const std::int64_t h = (kh - 1) * dh + 1 + pick(0, 6), w = (kw - 1) * dw + 1 + pick(0, 6);
    const std::int64_t cg = pick(1, 5), mg = pick(1, 6);
    const ConvCase c{"random", {pick(1, 2), group * cg, h, w}, {group * mg, cg, kh, kw}, group,
                     {pick(1, 3), pick(1, 3)}, {dh, dw}, pads, pick(0, 1) == 1};
    SCOPED_TRACE(fmt::format("case {}: x {} w {} group {} strides {} dilations {} pads {}", i, format_shape(c.input),
                             format_shape(c.weight), group, fmt::join(c.strides, ","), fmt::join(c.dilations, ","),
                             fmt::join(pads, ",")));
    const Tensor weights = test::random_tensor(c.weight, 100 + i);
    const Tensor bias = test::random_tensor({c.weight[0]}, 200 + i);
    const Tensor x = test::random_tensor(c.input, 300 + i);
    expect_close(ReferenceExecutor(conv_graph(c, weights, bias)).run({x})[0], expected_conv(c, x, weights, bias));
  }
}

const ConvCase kFusedCase{"fused", {1, 6, 9, 8}, {8, 3, 3, 3}, 2, {2, 1}, {1, 2}, {1, 2, 0, 1}, true};

// The activation alone goes into oneDNN as a post-op; after a residual it cannot.
TEST(ConvKernel, FusedActivationWithAndWithoutResidual) {
  const ConvCase& c = kFusedCase;
  const Tensor w = test::random_tensor(c.weight, 21);
  const Tensor b = test::random_tensor({c.weight[0]}, 22);
  const Tensor x = test::random_tensor(c.input, 23);
  const Tensor plain = expected_conv(c, x, w, b);
  for (const FusedActivation& activation : {FusedActivation::relu(), FusedActivation::clip(-0.5f, 0.5f)}) {
    SCOPED_TRACE(activation.to_string());
    Tensor expected = plain;
    for (float& v : expected.span<float>()) v = activation.apply(v);
    ConvGraphOptions options;
    options.activation = activation;
    expect_close(ReferenceExecutor(conv_graph(c, w, b, options)).run({x})[0], expected);

    const Tensor r = test::random_tensor(plain.shape(), 24);
    for (std::int64_t i = 0; i < expected.numel(); ++i) {
      expected.data<float>()[i] = activation.apply(plain.data<float>()[i] + r.data<float>()[i]);
    }
    options.residual = true;
    expect_close(ReferenceExecutor(conv_graph(c, w, b, options)).run({x, r})[0], expected);
  }
}

// The executor prepares the convolution on its first run and reuses it: later runs must
// give what a fresh executor gives.
TEST(ConvKernel, RepeatedRunsOfOneExecutorMatchFreshOnes) {
  const ConvCase& c = kFusedCase;
  const Tensor w = test::random_tensor(c.weight, 31);
  const Tensor b = test::random_tensor({c.weight[0]}, 32);
  ConvGraphOptions options;
  options.activation = FusedActivation::relu();
  const Graph graph = conv_graph(c, w, b, options);
  const ReferenceExecutor executor(graph);
  for (std::uint32_t seed = 33; seed < 36; ++seed) {
    const Tensor x = test::random_tensor(c.input, seed);
    EXPECT_EQ(executor.run({x})[0], ReferenceExecutor(graph).run({x})[0]);
  }
}

// Weights that are an input, not a constant, may change between runs: none may be cached.
TEST(ConvKernel, WeightsComputedAtRunTimeAreReadOnEveryRun) {
  const ConvCase& c = kFusedCase;
  const Tensor b = test::random_tensor({c.weight[0]}, 41);
  const Tensor x = test::random_tensor(c.input, 42);
  ConvGraphOptions options;
  options.weights_as_input = true;
  const Graph graph = conv_graph(c, Tensor(DType::F32, c.weight), b, options);
  const ReferenceExecutor executor(graph);
  for (std::uint32_t seed = 43; seed < 46; ++seed) {
    const Tensor w = test::random_tensor(c.weight, seed);
    expect_close(executor.run({x, w})[0], expected_conv(c, x, w, b));
  }
}

}  // namespace
}  // namespace wb
