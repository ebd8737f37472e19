#include "compiler/ir/broadcast.h"

#include <gtest/gtest.h>

#include "support/error.h"

namespace wb {
namespace {

TEST(Broadcast, NumpyRules) {
  EXPECT_EQ(broadcast_shapes({2, 3, 4}, {4}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}), (Shape{5}));
  EXPECT_THROW(broadcast_shapes({2, 3}, {4}), UserError);
}

TEST(Broadcast, Unidirectional) {
  EXPECT_TRUE(broadcasts_to({64, 1, 1}, {1, 64, 8, 8}));
  EXPECT_FALSE(broadcasts_to({1, 64, 8, 8}, {64, 1, 1}));
  EXPECT_FALSE(broadcasts_to({3}, {2, 4}));
}

TEST(Broadcast, StridesAreZeroOnBroadcastAxes) {
  EXPECT_EQ(broadcast_strides({3, 1}, {2, 3, 4}), (Shape{0, 1, 0}));
  EXPECT_EQ(broadcast_strides({2, 3, 4}, {2, 3, 4}), (Shape{12, 4, 1}));
}

}  // namespace
}  // namespace wb
