// Grouped-query attention's key and value heads repeated for their query heads
// (compiler/passes/token_layout/grouped_heads_rules.cpp): Hugging Face's repeat_kv (Unsqueeze,
// Expand, Reshape of a head view) is one channel Gather of the heads' image.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"
#include "tests/support/transformer_models.h"

namespace wb {
namespace {

// The default pipeline up to the pass: the scores' shape is read through Shape until folded.
constexpr std::string_view kUpToTokens =
    "fold-constants,unroll-recurrence,remove-identity,fuse-layernorm,fuse-rmsnorm,fuse-gelu,hoist-matmul-scales,"
    "channels-last-blocks,batched-attention,tokens-as-image";

TEST(TokenGroupedHeadsRules, RepeatedKeyAndValueHeadsAreAChannelGatherOfTheImage) {
  const auto plain = test::run_pass(test::tiny_gqa(20), "fold-constants");
  const auto out = test::run_pass(test::tiny_gqa(20), kUpToTokens);
  EXPECT_EQ(out.stats.counters().at("grouped key and value heads repeated on images"), 2);  // keys and values
  EXPECT_EQ(test::count_op(out.after, OpKind::Expand), 0u) << "no repeat is left as an Expand";
  EXPECT_GT(test::count_op(out.after, OpKind::Gather), test::count_op(plain.after, OpKind::Gather));
  test::expect_same_outputs(out.before, out.after);
}

// One key head expanded to both query heads without repeat_kv's Unsqueeze: not the form the rule
// knows, so the heads are read back in their layout and the model computes what it did.
TEST(TokenGroupedHeadsRules, AnExpandWithoutRepeatKvIsLeftAlone) {
  const auto out = test::run_pass(test::tiny_gqa(20, false), kUpToTokens);
  EXPECT_EQ(out.stats.counters().count("grouped key and value heads repeated on images"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
