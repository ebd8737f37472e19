#include "compiler/passes/conv_transpose_to_conv.h"

#include <gtest/gtest.h>


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

// U-Net's up-convolution: kernel 2, stride 2, as a 2x2 Conv over the input with a zero between
// pixels; the MACs are the deconv's (a tap on an inserted zero is none).
TEST(ConvTransposeToConv, AUNetUpConvolutionIsAConvOverTheZeroInsertedInput) {
  const auto out = test::run_pass(deconv({}), "conv-transpose-to-conv");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 0u);
  ASSERT_EQ(test::count_op(out.after, OpKind::Conv), 1u);
  const Node& conv = *out.after.find_node("up");
  EXPECT_EQ(conv.attrs.get_ints("input_dilations"), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(conv.attrs.get_ints("pads"), (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.constant_input(1)->shape(), (Shape{6, 4, 2, 2}));
  EXPECT_EQ(out.after.outputs()[0]->shape, (Shape{1, 6, 10, 14}));
  EXPECT_EQ(conv_macs(out.after), 6 * 4 * 10 * 14);  // each output pixel: one tap per input channel
  EXPECT_EQ(conv_macs(out.after), conv_macs(out.before));
  test::expect_same_outputs(out.before, out.after);
}

// Every combination the exporters write: padding, output_padding, groups, odd kernels,
// kernels smaller than the stride, stride 1, no bias, depthwise.
TEST(ConvTransposeToConv, EveryGeometryKeepsTheOutputsAndTheMacs) {
  const std::vector<Deconv> cases = {
      {.kernel = 4, .stride = 2, .pad = 1},                        // DCGAN / FCN-style
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1},   // "same" upsampling
      {.kernel = 3, .stride = 2, .pad = 1, .output_padding = 1, .group = 2},
      {.kernel = 3, .stride = 1, .pad = 1},                        // a plain conv, flipped
      {.kernel = 1, .stride = 2, .pad = 0, .output_padding = 1},   // outputs between pixels: the bias
      {.kernel = 5, .stride = 3, .pad = 2, .output_padding = 2, .group = 3, .in_channels = 6},
      {.kernel = 16, .stride = 8, .pad = 4, .h = 3, .w = 2, .bias = false},  // FCN-8s' 8x upsampling
      {.kernel = 4, .stride = 2, .pad = 1, .group = 6, .in_channels = 6, .out_channels = 6},  // depthwise
  };
  for (const Deconv& d : cases) {
    SCOPED_TRACE(testing::Message() << "kernel " << d.kernel << " stride " << d.stride << " pad " << d.pad
                                    << " output_padding " << d.output_padding << " group " << d.group);
    const auto out = test::run_pass(deconv(d), "conv-transpose-to-conv");
    ASSERT_TRUE(out.changed);
    EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 0u);
    EXPECT_EQ(out.after.outputs()[0]->shape, out.before.outputs()[0]->shape);
    EXPECT_EQ(conv_macs(out.after), conv_macs(out.before));
    test::expect_same_outputs(out.before, out.after);
  }
}

// ConvTranspose -> BatchNorm -> Relu: as a Conv, the default passes fold the BatchNorm into it
// and fuse the Relu.
TEST(ConvTransposeToConv, BatchNormAndReluAfterItFoldIntoTheConv) {
  OnnxBuilder b = deconv({.kernel = 4, .stride = 2, .pad = 1});
  b.model().mutable_graph()->mutable_output(0)->set_name("r");
  b.model().mutable_graph()->mutable_node(0)->set_output(0, "t");
  test::add_batchnorm(b, "t", "n", 6);
  b.node("Relu", {"n"}, {"r"}, "relu");
  const auto folded = test::run_pass(b, "conv-transpose-to-conv,fold-batchnorm,fuse-activation");
  EXPECT_EQ(test::count_op(folded.after, OpKind::BatchNormalization), 0u);
  EXPECT_EQ(test::count_op(folded.after, OpKind::Relu), 0u);
  EXPECT_EQ(test::count_op(folded.after, OpKind::Conv), 1u);
  test::expect_same_outputs(folded.before, folded.after);
}

// A Pad before it stays a Pad: its zeros border the input, the conv's pads the inserted ones.
TEST(ConvTransposeToConv, APadBeforeItIsNotFoldedIntoTheDilatedInput) {
  OnnxBuilder b;
  b.input("x", {1, 4, 5, 5}).initializer("w", test::random_tensor({4, 6, 3, 3}, 31)).output("y");
  b.initializer("pads", Tensor::from_vector<std::int64_t>({8}, {0, 0, 1, 1, 0, 0, 1, 1}));
  b.node("Pad", {"x", "pads"}, {"p"}, "pad");
  set_attr(b.node("ConvTranspose", {"p", "w"}, {"y"}, "up"), "strides", std::vector<std::int64_t>{2, 2});
  const auto out = test::run_pass(b, "conv-transpose-to-conv,fold-pad,trim-dilated-taps");
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 1u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(ConvTransposeToConv, PadsBeyondTheKernelStayForTheQuantizerToName) {
  const auto out = test::run_pass(deconv({.kernel = 2, .stride = 2, .pad = 2}), "conv-transpose-to-conv");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::ConvTranspose), 1u);
}

}  // namespace
}  // namespace wb
