#include "compiler/passes/conv_transpose_phases.h"

#include <gtest/gtest.h>

#include <numeric>

#include "compiler/ir/op_counts.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

struct Deconv {
  std::int64_t kernel = 2, stride = 2, pad = 0, output_padding = 0, group = 1;
  std::int64_t in_channels = 4, out_channels = 6, h = 5, w = 7;
  bool bias = true;
};

// x[1, C_in, h, w] -> ConvTranspose "up" -> y.
OnnxBuilder deconv(const Deconv& d) {
  OnnxBuilder b;
  b.input("x", {1, d.in_channels, d.h, d.w})
      .initializer("w", test::random_tensor({d.in_channels, d.out_channels / d.group, d.kernel, d.kernel}, 31))
      .output("y");
  std::vector<std::string> inputs = {"x", "w"};
  if (d.bias) {
    b.initializer("b", test::random_tensor({d.out_channels}, 32));
    inputs.push_back("b");
  }
  auto& up = b.node("ConvTranspose", inputs, {"y"}, "up");
  set_attr(up, "strides", std::vector<std::int64_t>{d.stride, d.stride});
  set_attr(up, "pads", std::vector<std::int64_t>{d.pad, d.pad, d.pad, d.pad});
  set_attr(up, "output_padding", std::vector<std::int64_t>{d.output_padding, d.output_padding});
  set_attr(up, "group", d.group);
  return b;
}

std::int64_t conv_macs(const Graph& g) {
  std::int64_t macs = 0;
  for (const Node* n : g.nodes()) {
    if (n->op == OpKind::Conv || n->op == OpKind::ConvTranspose) macs += count_node(*n).macs;
  }
  return macs;
}

// U-Net's up-convolution: kernel 2, stride 2. Four 1x1 phases; exactly the deconv's MACs.
TEST(ConvTransposePhases, AUNetUpConvolutionIsFour1x1ConvsInterleaved) {
  const auto out = test::run_pass(deconv({}), "conv-transpose-to-phases");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 4u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Gather), 1u);
  for (const Node* n : out.after.nodes()) {
    if (n->op == OpKind::Conv) {
      EXPECT_EQ(n->attrs.get_ints("kernel_shape"), (std::vector<std::int64_t>{1, 1}));
    }
  }
  EXPECT_EQ(out.after.outputs()[0]->shape, (Shape{1, 6, 10, 14}));
  EXPECT_EQ(conv_macs(out.after), conv_macs(out.before));
  test::expect_same_outputs(out.before, out.after);
}

// Every combination the exporters write: padding, output_padding, groups, odd kernels,
// kernels smaller than the stride (phases of the bias alone), stride 1, no bias.
TEST(ConvTransposePhases, EveryGeometryKeepsTheOutputs) {
  const std::vector<Deconv> cases = {
      {.kernel = 4, .stride = 2, .pad = 1},                        // DCGAN / FCN-style
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1},   // "same" upsampling
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1, .group = 2},
      {.kernel = 3, .stride = 1, .pad = 1},                        // a plain conv, flipped
      {.kernel = 1, .stride = 2, .pad = 0, .output_padding = 1},   // phases without a tap
      {.kernel = 5, .stride = 3, .pad = 2, .output_padding = 2, .group = 3, .in_channels = 6},
      {.kernel = 2, .stride = 2, .pad = 2},                        // pads beyond the kernel
      {.kernel = 16, .stride = 8, .pad = 4, .h = 3, .w = 2, .bias = false},  // FCN-8s' 8x upsampling
      {.kernel = 4, .stride = 2, .pad = 1, .group = 6, .in_channels = 6, .out_channels = 6},  // depthwise
  };
  for (const Deconv& d : cases) {
    SCOPED_TRACE(testing::Message() << "kernel " << d.kernel << " stride " << d.stride << " pad " << d.pad
                                    << " output_padding " << d.output_padding << " group " << d.group);
    const auto out = test::run_pass(deconv(d), "conv-transpose-to-phases");
    ASSERT_TRUE(out.changed);
    EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 0u);
    EXPECT_EQ(out.after.outputs()[0]->shape, out.before.outputs()[0]->shape);
    test::expect_same_outputs(out.before, out.after);
    // The phases compute what the deconv computes (more only where pads exceed the kernel).
    if (d.pad < d.kernel && d.kernel >= d.stride) {
      EXPECT_EQ(conv_macs(out.after), conv_macs(out.before));
    }
  }
}

// ConvTranspose -> BatchNorm -> Relu: both run on every phase, where the default pipeline
// folds the BatchNorm into the phase's Conv and fuses the Relu.
TEST(ConvTransposePhases, PerChannelOpsAfterItMoveOntoEveryPhaseAndFold) {
  OnnxBuilder b = deconv({.kernel = 4, .stride = 2, .pad = 1});
  b.model().mutable_graph()->mutable_output(0)->set_name("r");
  b.model().mutable_graph()->mutable_node(0)->set_output(0, "t");
  test::add_batchnorm(b, "t", "n", 6);
  b.node("Relu", {"n"}, {"r"}, "relu");
  const auto moved = test::run_pass(b, "conv-transpose-to-phases");
  EXPECT_EQ(test::count_op(moved.after, OpKind::BatchNormalization), 4u);
  EXPECT_EQ(test::count_op(moved.after, OpKind::Relu), 4u);
  EXPECT_EQ(moved.after.outputs()[0]->name, "r");
  test::expect_same_outputs(moved.before, moved.after);
  const auto folded = test::run_pass(b, "conv-transpose-to-phases,fold-batchnorm,fuse-activation");
  EXPECT_EQ(test::count_op(folded.after, OpKind::BatchNormalization), 0u);
  EXPECT_EQ(test::count_op(folded.after, OpKind::Relu), 0u);
  test::expect_same_outputs(folded.before, folded.after);
}

TEST(ConvTransposePhases, DilatedOrBatchedOnesStayForTheQuantizerToName) {
  OnnxBuilder b = deconv({.kernel = 3, .stride = 2});
  set_attr(*b.model().mutable_graph()->mutable_node(0), "dilations", std::vector<std::int64_t>{2, 2});
  const auto out = test::run_pass(b, "conv-transpose-to-phases");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 1u);
}

}  // namespace
}  // namespace wb
