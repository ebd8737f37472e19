// The im2col/GEMM and depthwise convolution paths against a direct seven-loop convolution.

#include <gtest/gtest.h>

#include "compiler/golden/reference_executor.h"
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

class ConvAgainstDirect : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvAgainstDirect, Matches) {
  const ConvCase& c = GetParam();
  const Tensor w = test::random_tensor(c.weight, 11);
  const Tensor b = test::random_tensor({c.weight[0]}, 12);
  Graph graph;
  {
    Value* x = graph.add_value("x");
    x->dtype = DType::F32;
    x->shape = c.input;
    graph.inputs().push_back(x);
    Value* wv = graph.add_constant("w", w);
    std::vector<Value*> ins{x, wv};
    if (c.bias) ins.push_back(graph.add_constant("b", b));
    Node* n = graph.add_node(OpKind::Conv, "conv", ins, {graph.add_value("y")});
    n->attrs.set("group", c.group);
    n->attrs.set("strides", c.strides);
    n->attrs.set("dilations", c.dilations);
    n->attrs.set("pads", c.pads);
    graph.outputs().push_back(n->output());
    infer_shapes(graph);
  }
  const Tensor x = test::random_tensor(c.input, 13);
  const Tensor actual = ReferenceExecutor(graph).run({x})[0];
  const WindowGeometry g = resolve_window(graph.find_node("conv")->attrs, c.input, {c.weight[2], c.weight[3]});
  const Tensor expected = direct_conv(x, w, c.bias ? &b : nullptr, g, c.group);
  const auto result = test::compare_tensors(actual, expected, 1e-5, 1e-5);
  EXPECT_TRUE(result.equal) << result.message;
}

INSTANTIATE_TEST_SUITE_P(
    Golden, ConvAgainstDirect,
    ::testing::Values(ConvCase{"pointwise", {1, 8, 5, 5}, {6, 8, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, true},
                      ConvCase{"k3_pad1", {2, 3, 7, 6}, {4, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"k7_s2_p3", {1, 3, 16, 16}, {8, 3, 7, 7}, 1, {2, 2}, {1, 1}, {3, 3, 3, 3}, false},
                      ConvCase{"asymmetric_pads", {1, 2, 6, 5}, {3, 2, 3, 2}, 1, {2, 1}, {1, 1}, {0, 1, 2, 0}, true},
                      ConvCase{"dilated", {1, 2, 9, 9}, {2, 2, 3, 3}, 1, {1, 1}, {2, 3}, {2, 2, 2, 2}, true},
                      ConvCase{"grouped", {1, 8, 6, 6}, {12, 2, 3, 3}, 4, {1, 1}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise", {1, 6, 9, 9}, {6, 1, 3, 3}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise_multiplier", {1, 3, 8, 8}, {6, 1, 3, 3}, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}, false},
                      ConvCase{"depthwise_dilated_stride3", {2, 4, 11, 10}, {4, 1, 3, 3}, 4, {3, 3}, {2, 2}, {0, 2, 1, 2}, true}),
    [](const ::testing::TestParamInfo<ConvCase>& param) { return param.param.name; });

}  // namespace
}  // namespace wb
