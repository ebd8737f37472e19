// Rotary position embeddings on the heads' view of an image
// (compiler/passes/token_layout/rotary_rules.cpp).
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "compiler/frontend/tensor_proto.h"
#include "tests/support/pass_testing.h"
#include "tests/support/transformer_models.h"

namespace wb {
namespace {

using test::OnnxBuilder;

// Llama's rotary position embeddings on q and k (tiny_llama with apply_rotary_pos_emb's Slice,
// Neg, Concat, Mul by cos and sin, Add): each becomes a channel Gather of the heads' image and
// two products by constant images, and the model computes what it did.
TEST(TokenRotaryRules, QAndKRotateOnTheirImagesAndTheOutputIsKept) {
  const auto out = test::run_pass(test::tiny_llama(20, true), "fold-constants,remove-identity,fuse-rmsnorm,tokens-as-image");
  EXPECT_EQ(out.stats.counters().at("rotary embeddings on images"), 2);
  EXPECT_EQ(test::count_op(out.after, OpKind::Neg), 0u) << "the Neg folds into the sine image's signs";
  test::expect_same_outputs(out.before, out.after);
}

// A table that is not the same for every head is no rotary embedding of this form: left as it
// was (the quantizer then names its nodes).
TEST(TokenRotaryRules, ATablePerHeadIsLeftAlone) {
  test::OnnxBuilder b = test::tiny_llama(20, true);
  for (auto& init : *b.model().mutable_graph()->mutable_initializer()) {
    if (init.name() == "cos") init = tensor_to_proto(test::random_tensor({1, 2, 6, 4}, 9), "cos");
  }
  const auto out = test::run_pass(b, "fold-constants,remove-identity,fuse-rmsnorm,tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("rotary embeddings on images"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
