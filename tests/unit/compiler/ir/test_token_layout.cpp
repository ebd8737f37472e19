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

}  // namespace
}  // namespace wb
