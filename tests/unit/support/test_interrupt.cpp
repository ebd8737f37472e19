// Interrupt requests: set by a signal handler, polled by the long phases.

#include <gtest/gtest.h>

#include "support/interrupt.h"

namespace wb {
namespace {

TEST(Interrupt, ARequestThrowsUntilCleared) {
  clear_interrupt();
  EXPECT_FALSE(interrupt_requested());
  EXPECT_NO_THROW(throw_if_interrupted());
  request_interrupt();
  EXPECT_TRUE(interrupt_requested());
  EXPECT_THROW(throw_if_interrupted(), Interrupted);
  EXPECT_THROW(throw_if_interrupted(), Interrupted);  // it stays until cleared
  clear_interrupt();
  EXPECT_NO_THROW(throw_if_interrupted());
  EXPECT_STREQ(Interrupted().what(), "interrupted");
}

}  // namespace
}  // namespace wb
