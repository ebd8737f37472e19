// MobileViT's unfold of an image into sets of tokens and its fold back
// (compiler/passes/token_layout/patch_rules.cpp): gathers of pixels, the sets as windows.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

using test::after_default_pipeline;
using test::PipelinedWorkload;
using test::ints_tensor;
using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;

// ml-cvnets' unfold of a [1, 4, 4, 4] map into its 2x2 patches' 4 sets of 4 tokens, a LayerNorm
// over each token's features, and the fold back: one gather of the conv's pixels into the
// sets' image and one back, the same outputs.
OnnxBuilder unfold_layernorm_fold(bool rows_of_pixels) {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 4, 4}).output("y");
  b.initializer("w", test::random_tensor({4, 4, 1, 1}, 5));
  b.node("Conv", {"x", "w"}, {"c"});
  if (rows_of_pixels) {
    b.initializer("s1", ints_tensor({8, 2, 2, 2})).initializer("s2", ints_tensor({1, 4, 4, 4}));
    b.initializer("s3", ints_tensor({4, 4, 4}));
    b.node("Reshape", {"c", "s1"}, {"u1"});
    set_attr(b.node("Transpose", {"u1"}, {"u2"}), "perm", Ints{0, 2, 1, 3});
    b.node("Reshape", {"u2", "s2"}, {"u3"});
    set_attr(b.node("Transpose", {"u3"}, {"u4"}), "perm", Ints{0, 3, 2, 1});
    b.node("Reshape", {"u4", "s3"}, {"sets"});
  } else {
    b.initializer("s3", ints_tensor({4, 4, 4}));
    b.node("Reshape", {"c", "s3"}, {"sets"});  // rows of one channel's pixels: not tokens
  }
  b.initializer("gamma", test::positive_tensor({4}, 6));
  set_attr(b.node("LayerNormalization", {"sets", "gamma"}, {"normed"}), "axis", std::int64_t{-1});
  if (rows_of_pixels) {
    b.initializer("f1", ints_tensor({1, 4, 4, 4})).initializer("f2", ints_tensor({8, 2, 2, 2}));
    b.node("Reshape", {"normed", "f1"}, {"v1"});
    set_attr(b.node("Transpose", {"v1"}, {"v2"}), "perm", Ints{0, 3, 2, 1});
    b.node("Reshape", {"v2", "f2"}, {"v3"});
    set_attr(b.node("Transpose", {"v3"}, {"v4"}), "perm", Ints{0, 2, 1, 3});
    b.node("Reshape", {"v4", "s2"}, {"y"});
  } else {
    b.initializer("back", ints_tensor({1, 4, 4, 4}));
    b.node("Reshape", {"normed", "back"}, {"y"});
  }
  return b;
}

TEST(TokenPatchRules, AnUnfoldIntoSetsOfTokensAndTheFoldBackAreGathersOfPixels) {
  const auto out = test::run_pass(unfold_layernorm_fold(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("image pixels regrouped into sets of tokens"), 1);
  EXPECT_EQ(out.stats.counters().at("sets of tokens put back into images"), 1);
  EXPECT_EQ(count_pixel_gathers(out.after), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 2u) << "the LayerNorm's NHWC view alone";
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenPatchRules, SetsWhoseRowsAreNotPixelsAreLeftAlone) {
  const auto out = test::run_pass(unfold_layernorm_fold(false), "tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("image pixels regrouped into sets of tokens"), 0u);
  EXPECT_EQ(count_pixel_gathers(out.after), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// MobileViT's block as exported (workloads/tiny_mobilevit: torch's nn.MultiheadAttention over 4
// sets of 64 tokens, ml-cvnets' unfold and fold): after the default pipeline the unfold is one
// gather of the conv's pixels into the sets' image [1, 24, 1, 256], the fold another back into
// the [1, 24, 16, 16] map; the attention's products are Swin's windowed ones; every Linear is a
// Conv; the output is torch's.
TEST(TokenPatchRules, AMobileVitBlockRunsItsSetsOfTokensAsWindowsOfOneImage) {
  const PipelinedWorkload mobilevit = after_default_pipeline("tiny_mobilevit");
  EXPECT_EQ(count_pixel_gathers(mobilevit.graph), 2u);
  EXPECT_EQ(mobilevit.matmuls, 2u);  // Q.K^T and A.V
  EXPECT_EQ(mobilevit.layernorms.size(), 3u);
  for (const Node* ln : mobilevit.layernorms) EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 256, 24})) << ln->name;
  // stem, local 3x3 and 1x1, in- and out-projection, two FFN Linears, projection, fusion, head
  EXPECT_EQ(mobilevit.convs, 10u);
  for (const Node* node : mobilevit.graph.nodes()) {
    if (node->op == OpKind::Softmax) {
      EXPECT_EQ(node->input(0)->shape, (Shape{4, 2, 64, 64}));
    }
  }
  EXPECT_LT(mobilevit.error, 1e-5);
}

}  // namespace
}  // namespace wb
