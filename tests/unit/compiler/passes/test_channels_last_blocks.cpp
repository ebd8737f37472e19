#include "compiler/passes/channels_last_blocks.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

// torchvision's CNBlock after its depthwise conv, on an NCHW input x [1, 4, 3, 5]:
// Permute(0, 2, 3, 1) -> LayerNorm(4) -> Linear(4, 8) -> GELU -> Linear(8, 4) -> Permute(0, 3, 1, 2),
// then the layer scale [4, 1, 1] and the residual add.
OnnxBuilder cn_block(bool read_inside = false) {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 3, 5}).output("y");
  if (read_inside) b.output("hidden");
  b.initializer("gamma", test::random_tensor({4}, 1)).initializer("beta", test::random_tensor({4}, 2));
  b.initializer("w1", test::random_tensor({4, 8}, 3)).initializer("b1", test::random_tensor({8}, 4));
  b.initializer("w2", test::random_tensor({8, 4}, 5)).initializer("b2", test::random_tensor({4}, 6));
  b.initializer("scale", test::random_tensor({4, 1, 1}, 7));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}, "/block/Transpose"), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  auto& ln = b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}, "/block/LayerNormalization");
  set_attr(ln, "axis", std::int64_t{-1});
  set_attr(ln, "epsilon", 1e-6f);
  b.node("MatMul", {"normed", "w1"}, {"h1"}, "/block/fc1/MatMul");
  b.node("Add", {"b1", "h1"}, {"h1b"}, "/block/fc1/Add");
  b.node("Gelu", {"h1b"}, {read_inside ? "hidden" : "g"}, "/block/Gelu");
  b.node("MatMul", {read_inside ? "hidden" : "g", "w2"}, {"h2"}, "/block/fc2/MatMul");
  b.node("Add", {"h2", "b2"}, {"h2b"}, "/block/fc2/Add");
  set_attr(b.node("Transpose", {"h2b"}, {"back"}, "/block/Transpose_1"), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  b.node("Mul", {"scale", "back"}, {"scaled"}, "/Mul");
  b.node("Add", {"scaled", "x"}, {"y"}, "/Add");
  return b;
}

TEST(ChannelsLastBlocks, ConvNextsBlockRunsOnTheNchwImage) {
  const auto out = test::run_pass(cn_block(), "channels-last-blocks");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("channels-last blocks computed on NCHW"), 1);
  EXPECT_EQ(out.stats.counters().at("channels-last Linears as 1x1 convolutions"), 2);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 2u);
  // Only the LayerNorm keeps an NHWC view: one Transpose before it, one after.
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 2u);
  const Node* ln = out.after.find_node("/block/LayerNormalization");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose);
  const Node* fc1 = out.after.find_node("/block/fc1/MatMul");
  ASSERT_NE(fc1, nullptr);
  EXPECT_EQ(fc1->op, OpKind::Conv);
  EXPECT_EQ(fc1->output(0)->shape, (Shape{1, 8, 3, 5}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(ChannelsLastBlocks, TheDefaultPipelineFoldsTheBiasesAndTheLayerScaleIntoTheConvs) {
  const auto out = test::run_pass(cn_block(), "default");
  EXPECT_EQ(test::count_op(out.after, OpKind::Mul), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(ChannelsLastBlocks, AnIntermediateReadElsewhereLeavesTheBlockAlone) {
  const auto out = test::run_pass(cn_block(true), "channels-last-blocks");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 2u);
}

TEST(ChannelsLastBlocks, ALayerNormAloneBetweenItsTransposesIsAlreadyTheForm) {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 2, 2}).output("y");
  b.initializer("gamma", test::random_tensor({4}, 1)).initializer("beta", test::random_tensor({4}, 2));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  set_attr(b.node("Transpose", {"normed"}, {"y"}), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  const auto out = test::run_pass(b, "channels-last-blocks");
  EXPECT_FALSE(out.changed);
}

TEST(ChannelsLastBlocks, AConstantOverAnotherAxisLeavesTheBlockAlone) {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 3, 5}).output("y");
  b.initializer("row_bias", test::random_tensor({1, 3, 1, 1}, 1));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  b.node("Add", {"nhwc", "row_bias"}, {"biased"});
  set_attr(b.node("Transpose", {"biased"}, {"y"}), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  const auto out = test::run_pass(b, "channels-last-blocks");
  EXPECT_FALSE(out.changed);
}

}  // namespace
}  // namespace wb
