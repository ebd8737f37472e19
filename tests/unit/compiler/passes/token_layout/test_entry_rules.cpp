// Where a token sequence starts (compiler/passes/token_layout/entry_rules.cpp): a graph input
// read by token ops, a detection head's conv pixels read as tokens, Swin's window heads; and
// what is no start (a Conv1d's input, a head read in another order, ConvNeXt's LayerNorm2d).
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "compiler/ir/printer.h"
#include "tests/support/detection_models.h"
#include "tests/support/pass_testing.h"
#include "tests/support/swin_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

using test::count_matmuls_of_activations;
using test::ints_tensor;
using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;

// A BERT-like encoder's float embeddings: the graph input [1, T, C] read by token ops is a token
// image from the start; every reader runs on the image, nothing is written back.
TEST(TokenEntryRules, AGraphInputOfTokensIsReadAsItsImage) {
  OnnxBuilder b(17);
  b.input("emb", {1, 5, 4}).output("y");
  b.initializer("pos", test::random_tensor({1, 5, 4}, 1));
  b.initializer("gamma", test::random_tensor({4}, 2)).initializer("beta", test::random_tensor({4}, 3));
  b.initializer("w", test::random_tensor({4, 6}, 4));
  b.node("Add", {"emb", "pos"}, {"positioned"}, "add");
  set_attr(b.node("LayerNormalization", {"positioned", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  b.node("MatMul", {"normed", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("graph inputs read as images of tokens"), 1);
  EXPECT_EQ(out.stats.counters().at("token Linears as 1x1 convolutions"), 1);
  EXPECT_EQ(out.stats.counters().at("token LayerNorms over the channels"), 1);
  // The graph keeps its input [1, T, C]; its only reader is the view into [1, C, 1, T].
  const Value* emb = out.after.find_value("emb");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (Shape{1, 5, 4}));
  const auto readers = out.after.users(emb);
  ASSERT_EQ(readers.size(), 1u);
  EXPECT_EQ(readers[0]->op, OpKind::Transpose);
  EXPECT_EQ(readers[0]->attrs.get_ints("perm"), (Ints{0, 2, 1}));
  const auto view = out.after.users(readers[0]->output(0));
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0]->op, OpKind::Reshape);
  EXPECT_EQ(view[0]->output(0)->shape, (Shape{1, 4, 1, 5}));
  const Node* add = out.after.find_node("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->output(0)->shape, (Shape{1, 4, 1, 5}));
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// Each token reader alone seeds the image: a MatMul by a constant [C, C'], an Add of a constant
// over the features; torch's [T, 1, C] is the same image.
TEST(TokenEntryRules, AnyTokenReaderOfAGraphInputSeedsItsImage) {
  for (const Shape& input : {Shape{1, 6, 4}, Shape{6, 1, 4}}) {
    OnnxBuilder matmul(17);
    matmul.input("emb", input).output("y");
    matmul.initializer("w", test::random_tensor({4, 3}, 5));
    matmul.node("MatMul", {"emb", "w"}, {"y"});
    const auto linear = test::run_pass(matmul, "tokens-as-image");
    EXPECT_EQ(linear.stats.counters().count("graph inputs read as images of tokens"), 1u) << format_shape(input);
    EXPECT_EQ(test::count_op(linear.after, OpKind::Conv), 1u) << format_shape(input);
    test::expect_same_outputs(linear.before, linear.after);

    OnnxBuilder add(17);
    add.input("emb", input).output("y");
    add.initializer("bias", test::random_tensor({4}, 6)).initializer("w", test::random_tensor({4, 3}, 7));
    add.node("Add", {"bias", "emb"}, {"shifted"}, "add");
    add.node("Relu", {"shifted"}, {"r"});
    add.node("MatMul", {"r", "w"}, {"y"});
    const auto shifted = test::run_pass(add, "tokens-as-image");
    EXPECT_EQ(shifted.stats.counters().count("graph inputs read as images of tokens"), 1u) << format_shape(input);
    ASSERT_NE(shifted.after.find_node("add"), nullptr);
    EXPECT_EQ(shifted.after.find_node("add")->output(0)->shape, (Shape{1, 4, 1, 6})) << format_shape(input);
    test::expect_same_outputs(shifted.before, shifted.after);
  }
}

// A Conv1d's input [N, C, L] is read by a Conv (over L, channels C): no token layout. Nor is an
// input whose readers the pass does not know (a Softmax over the last axis): no view is left.
TEST(TokenEntryRules, AGraphInputReadByNoTokenOpIsLeftAlone) {
  OnnxBuilder conv1d(17);
  conv1d.input("signal", {1, 4, 10}).output("y");
  conv1d.initializer("w", test::random_tensor({8, 4, 3}, 8)).initializer("b", test::random_tensor({8}, 9));
  conv1d.node("Conv", {"signal", "w", "b"}, {"c"});
  conv1d.node("Relu", {"c"}, {"y"});
  const auto conv = test::run_pass(conv1d, "tokens-as-image");
  EXPECT_FALSE(conv.changed);
  EXPECT_EQ(test::count_op(conv.after, OpKind::Transpose), 0u);
  EXPECT_EQ(conv.after.users(conv.after.find_value("signal")).front()->op, OpKind::Conv);

  OnnxBuilder softmax(17);
  softmax.input("scores", {1, 5, 4}).output("y");
  set_attr(softmax.node("Softmax", {"scores"}, {"y"}), "axis", std::int64_t{-1});
  const auto rows = test::run_pass(softmax, "tokens-as-image");
  EXPECT_FALSE(rows.changed);
  EXPECT_EQ(rows.after.node_count(), 1u);
}

// SSD's and RetinaNet's heads: each level's conv [1, A K, H, W] read as H W A tokens of K
// features (stored HWC, the conv's own bytes), the levels concatenated along the tokens; the
// output [1, T, K] read back from the concat's image.
TEST(TokenEntryRules, DetectionHeadsReadTheirConvsPixelsAsTokens) {
  for (const auto layout : {test::HeadLayout::Ssd, test::HeadLayout::Flattened}) {
    const auto out = test::run_pass(test::detection_heads(layout), "tokens-as-image");
    ASSERT_TRUE(out.changed);
    EXPECT_EQ(out.stats.counters().at("image pixels read as tokens"), 2);
    const Node* concat = out.after.find_node("/boxes/Concat");
    ASSERT_NE(concat, nullptr);
    EXPECT_EQ(concat->attrs.get_int("axis", 0), 3);
    EXPECT_EQ(concat->output(0)->shape, (Shape{1, 3, 1, 160}));
    EXPECT_EQ(concat->input(0)->shape, (Shape{1, 3, 1, 128}));
    const Value* boxes = out.after.find_value("boxes");
    ASSERT_NE(boxes, nullptr);
    EXPECT_EQ(boxes->shape, (Shape{1, 160, 3}));
    EXPECT_EQ(boxes->producer->op, OpKind::Reshape);
    EXPECT_EQ(boxes->producer->input(0)->producer->attrs.get_ints("perm"), (Ints{0, 2, 3, 1}));
    EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 5u) << "two views of two, the output's";
    test::expect_same_outputs(out.before, out.after);
  }
}

// A chain that does not read the conv in HWC order (the anchors innermost: K, A swapped) is
// not its bytes: the pass leaves it.
TEST(TokenEntryRules, AHeadReadInAnotherOrderIsLeftAlone) {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 3, 3}).output("y");
  b.initializer("w", test::random_tensor({6, 4, 1, 1}, 3));
  b.node("Conv", {"x", "w"}, {"c"});
  b.initializer("split", ints_tensor({1, 2, 3, 3, 3})).initializer("tokens", ints_tensor({1, 18, 3}));
  b.node("Reshape", {"c", "split"}, {"s"});
  set_attr(b.node("Transpose", {"s"}, {"t"}), "perm", Ints{0, 3, 4, 2, 1});
  b.node("Reshape", {"t", "tokens"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("image pixels read as tokens"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// q, k and v of Swin's windows (tests/support/swin_models window_attention): each a channel
// slice of the qkv image read as [h, d, nW, L] and transposed to [nW, h, L, d]; the attention
// products read them, the heads' merge writes the windows' tokens back into an image.
TEST(TokenEntryRules, WindowHeadsAreChannelSlicesOfTheImage) {
  const auto out = test::run_pass(test::window_attention(), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("window heads split from images"), 3);
  EXPECT_EQ(out.stats.counters().at("attention heads merged into images"), 1);
  EXPECT_EQ(out.stats.counters().count("token values read back in their layout"), 0u);
  std::size_t token_gathers = 0;
  for (const Node* node : out.after.nodes()) token_gathers += node->op == OpKind::Gather && node->attrs.get_int("axis", 0) == 0;
  EXPECT_EQ(token_gathers, 0u) << to_string(out.after);
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenEntryRules, AConvNeXtLayerNorm2dIsLeftInItsForm) {
  // Transpose -> LayerNorm -> Transpose is the quantizer's LayerNorm over the channels already.
  OnnxBuilder b(17);
  b.input("x", {1, 4, 3, 3}).output("y");
  b.initializer("gamma", test::random_tensor({4}, 2)).initializer("beta", test::random_tensor({4}, 3));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"n"}), "axis", std::int64_t{-1});
  set_attr(b.node("Transpose", {"n"}, {"y"}), "perm", Ints{0, 3, 1, 2});
  const auto out = test::run_pass(b, "tokens-as-image");
  EXPECT_FALSE(out.changed);
}

}  // namespace
}  // namespace wb
