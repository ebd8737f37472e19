// Ops on values that are images already (compiler/passes/token_layout/propagation_rules.cpp):
// Linears as 1x1 convs, LayerNorms over the channels, the heads' split, Slices, Gathers and
// Concats of tokens or features as views of the image.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "compiler/ir/printer.h"
#include "tests/support/pass_testing.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

using test::count_matmuls_of_activations;
using test::ints_tensor;
using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;
using test::tiny_vit;

TEST(TokenPropagationRules, AVitBlockRunsOnTheImageOfItsTokens) {
  const auto out = test::run_pass(tiny_vit(), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  const auto& counters = out.stats.counters();
  EXPECT_EQ(counters.at("patch embeddings read as images"), 1);
  EXPECT_EQ(counters.at("token Linears as 1x1 convolutions"), 4);  // in- and out-projection, fc1, fc2
  EXPECT_EQ(counters.at("token LayerNorms over the channels"), 3);
  EXPECT_EQ(counters.at("attention heads split from images"), 3);
  EXPECT_EQ(counters.at("attention heads merged into images"), 1);
  EXPECT_EQ(counters.at("token gathers as one pixel"), 1);
  EXPECT_EQ(counters.count("token values read back in their layout"), 0u);
  // What is left of the float attention: its two products and the softmax over keys.
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 5u);
  const Node* fc1 = out.after.find_node("/mlp/MatMul");
  ASSERT_NE(fc1, nullptr);
  EXPECT_EQ(fc1->op, OpKind::Conv);
  EXPECT_EQ(fc1->output(0)->shape, (Shape{1, 16, 1, 5}));
  const Node* ln = out.after.find_node("/ln2/LayerNormalization");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose);
  EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 5, 8}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenPropagationRules, ATransposeThatSwapsTokensAndFeaturesIsNotAView) {
  // T = C = 4: the Transpose(0, 2, 1) has a token layout's shape but moves the data.
  OnnxBuilder b(17);
  b.input("x", {1, 4, 2, 2}).output("y");
  b.initializer("flat_shape", ints_tensor({1, 4, 4}));
  b.initializer("w", test::random_tensor({4, 4}, 3));
  b.node("Reshape", {"x", "flat_shape"}, {"flat"});
  set_attr(b.node("Transpose", {"flat"}, {"seq"}), "perm", Ints{0, 2, 1});
  set_attr(b.node("Transpose", {"seq"}, {"swapped"}), "perm", Ints{0, 2, 1});
  b.node("MatMul", {"swapped", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  test::expect_same_outputs(out.before, out.after);
}

// Other token reads: a Gather of token 2 (a pixel Slice, not the class token's pool), a Slice of
// tokens 1..3 and of features 2..5, a Concat of features, a Linear after each.
TEST(TokenPropagationRules, SlicesGathersAndFeatureConcatsStayViewsOfTheImage) {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 2, 2}).output("token2").output("y");
  b.initializer("flat_shape", ints_tensor({1, 4, 4}));
  b.initializer("two", Tensor::scalar<std::int64_t>(2));
  b.initializer("t_start", ints_tensor({1})).initializer("t_end", ints_tensor({3})).initializer("t_axis", ints_tensor({1}));
  b.initializer("f_start", ints_tensor({2})).initializer("f_end", ints_tensor({5})).initializer("f_axis", ints_tensor({-1}));
  b.initializer("w", test::random_tensor({7, 5}, 4));
  b.node("Reshape", {"x", "flat_shape"}, {"flat"});
  set_attr(b.node("Transpose", {"flat"}, {"seq"}), "perm", Ints{0, 2, 1});  // [1, 4 tokens, 4 features]
  set_attr(b.node("Gather", {"seq", "two"}, {"token2"}), "axis", std::int64_t{1});
  b.node("Slice", {"seq", "t_start", "t_end", "t_axis"}, {"middle"});  // [1, 2, 4]
  set_attr(b.node("Concat", {"middle", "middle"}, {"wide"}), "axis", std::int64_t{2});  // [1, 2, 8]
  b.node("Slice", {"wide", "f_start", "f_end", "f_axis"}, {"some"});  // [1, 2, 3]... features 2..4
  b.node("Relu", {"some"}, {"r"});
  set_attr(b.node("Concat", {"r", "some"}, {"six"}), "axis", std::int64_t{-1});  // [1, 2, 6]
  set_attr(b.node("Concat", {"six", "r"}, {"nine"}), "axis", std::int64_t{2});   // [1, 2, 9]
  b.initializer("w9", test::random_tensor({9, 5}, 5));
  b.node("MatMul", {"nine", "w9"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MaxPool), 0u);  // token 2 is no class token
  // Only the graph output y is written back as [1, 2, 5].
  EXPECT_EQ(out.stats.counters().at("token values read back in their layout"), 1) << to_string(out.after);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
