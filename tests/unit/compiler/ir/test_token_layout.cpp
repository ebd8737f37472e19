#include "compiler/ir/token_layout.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace wb {
namespace {

TEST(TokenLayout, BatchFirstAndSequenceFirstAreTheSameRows) {
  const auto batch_first = token_rows_of({1, 197, 192});
  const auto sequence_first = token_rows_of({197, 1, 192});
  ASSERT_TRUE(batch_first && sequence_first);
  EXPECT_EQ(batch_first->count, 197);
  EXPECT_EQ(batch_first->features, 192);
  EXPECT_EQ(sequence_first->count, 197);
  EXPECT_EQ(sequence_first->features, 192);
  EXPECT_EQ(token_image_shape(*batch_first), (Shape{1, 192, 1, 197}));
  EXPECT_EQ(features_first_perm({1, 197, 192}), (std::vector<std::int64_t>{0, 2, 1}));
  EXPECT_EQ(features_first_perm({197, 1, 192}), (std::vector<std::int64_t>{1, 2, 0}));
}

TEST(TokenLayout, OtherShapesAreNotTokens) {
  EXPECT_FALSE(token_rows_of({2, 16, 32}));  // a batch of two
  EXPECT_FALSE(token_rows_of({16, 32}));     // 2-D rows are left alone
  EXPECT_FALSE(token_rows_of({1, 3, 8, 8}));
  EXPECT_THROW(features_first_perm({2, 16, 32}), std::logic_error);
}

TEST(TokenLayout, ImageOfTheTokensOnly) {
  EXPECT_TRUE(is_token_image_of({1, 64, 128}, {1, 128, 1, 64}));
  EXPECT_TRUE(is_token_image_of({64, 1, 128}, {1, 128, 1, 64}));
  EXPECT_FALSE(is_token_image_of({1, 64, 128}, {1, 64, 1, 128}));  // features and tokens swapped
  EXPECT_FALSE(is_token_image_of({1, 64, 128}, {1, 128, 64, 1}));  // tokens along H
  EXPECT_FALSE(is_token_image_of({1, 64, 128}, {1, 128, 64}));
  EXPECT_FALSE(is_token_image_of({2, 64, 128}, {1, 128, 1, 64}));
}

TEST(TokenLayout, OneTokenReadsBatchFirst) {
  const auto rows = token_rows_of({1, 1, 8});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->count, 1);
  EXPECT_EQ(features_first_perm({1, 1, 8}), (std::vector<std::int64_t>{0, 2, 1}));
}


TEST(TokenLayout, AKvCacheInHeadsLayoutIsItsTokensImage) {
  EXPECT_TRUE(is_heads_image_of({1, 4, 15, 16}, {1, 64, 1, 15}));
  EXPECT_TRUE(is_source_image_of({1, 4, 15, 16}, {1, 64, 1, 15}));
  EXPECT_FALSE(is_heads_image_of({1, 4, 15, 16}, {1, 64, 1, 16}));  // tokens and features swapped
  EXPECT_FALSE(is_heads_image_of({2, 4, 15, 16}, {1, 64, 1, 15}));
  EXPECT_FALSE(is_token_image_of({1, 4, 15, 16}, {1, 64, 1, 15}));
  EXPECT_TRUE(is_source_image_of({1, 15, 64}, {1, 64, 1, 15}));
}

TEST(TokenLayout, EachElementLandsWhereItsTokenAndFeatureAre) {
  // [1, h, T, d] = [1, 2, 3, 4]: element (k, t, c) is channel k d + c of token t.
  const Shape heads{1, 2, 3, 4}, image{1, 8, 1, 3};
  for (std::int64_t k = 0; k < 2; ++k) {
    for (std::int64_t t = 0; t < 3; ++t) {
      for (std::int64_t c = 0; c < 4; ++c) {
        EXPECT_EQ(image_offset_of(heads, image, (k * 3 + t) * 4 + c), (k * 4 + c) * 3 + t) << k << t << c;
      }
    }
  }
  // [1, T, C] = [1, 3, 8]: element (t, c) is channel c of token t.
  for (std::int64_t t = 0; t < 3; ++t) {
    for (std::int64_t c = 0; c < 8; ++c) EXPECT_EQ(image_offset_of({1, 3, 8}, image, t * 8 + c), c * 3 + t);
  }
  EXPECT_THROW(image_offset_of({1, 3, 4}, image, 0), std::logic_error);
}

}  // namespace
}  // namespace wb
