// A decode step's KV cache in Hugging Face's layout [1, h, P, d]
// (compiler/passes/token_layout/heads_cache_rules.cpp): a graph input appended along its tokens
// is an image [1, h d, 1, P], the append a Concat of images along W, and the products read their
// keys and values from that image.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

constexpr std::string_view kDecodePipeline = "fold-constants,remove-identity,fuse-rmsnorm,tokens-as-image";

TEST(TokenHeadsCacheRules, ACacheAppendedAlongItsTokensIsAConcatOfImages) {
  const auto out = test::run_pass(test::heads_cache_tokens(), "tokens-as-image");
  const auto& counters = out.stats.counters();
  EXPECT_EQ(counters.at("KV caches [1, h, P, d] read as images of tokens"), 1);
  EXPECT_EQ(counters.at("KV caches concatenated as images"), 1);
  const Node* concat = out.after.find_node("/attn/Concat");
  ASSERT_NE(concat, nullptr);
  EXPECT_EQ(concat->attrs.get_int("axis", 0), 3) << "along the image's W: the tokens";
  EXPECT_EQ(concat->output(0)->shape, (Shape{1, 8, 1, 7}));  // 2 heads of 4, 5 past + 2 new tokens
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokenHeadsCacheRules, ADecodeStepReadsItsKeysAndValuesFromTheImages) {
  const auto out = test::run_pass(test::tiny_llama_decode(20, 5, true), kDecodePipeline);
  const auto& counters = out.stats.counters();
  EXPECT_EQ(counters.at("KV caches [1, h, P, d] read as images of tokens"), 2);  // keys and values
  EXPECT_EQ(counters.at("KV caches concatenated as images"), 2);
  EXPECT_EQ(counters.at("KV cache heads read from images"), 2);  // the keys' transpose, the values' product
  test::expect_same_outputs(out.before, out.after);
}

// Joined along the heads (axis 1), a cache is no sequence of tokens growing: left as it was.
TEST(TokenHeadsCacheRules, ACacheJoinedAlongItsHeadsIsLeftAlone) {
  test::OnnxBuilder b(14);
  b.input("emb", {1, 2, 8}).input("past_k", {1, 2, 2, 4}).output("joined");
  b.initializer("k_w", test::random_tensor({8, 8}, 31));
  b.initializer("key_heads", test::ints_tensor({1, 2, 2, 4}));
  b.node("MatMul", {"emb", "k_w"}, {"k0"}, "/attn/k_proj/MatMul");
  b.node("Reshape", {"k0", "key_heads"}, {"k1"}, "/attn/Reshape_k");
  test::set_attr(b.node("Transpose", {"k1"}, {"k"}, "/attn/Transpose_k"), "perm", std::vector<std::int64_t>{0, 2, 1, 3});
  test::set_attr(b.node("Concat", {"past_k", "k"}, {"joined"}, "/attn/Concat"), "axis", std::int64_t{1});
  const auto out = test::run_pass(b, "tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("KV caches concatenated as images"), 0u);
  EXPECT_EQ(out.stats.counters().count("KV caches [1, h, P, d] read as images of tokens"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
