// The first-fit L2 allocator: lowest and highest placement, coalescing frees, double frees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "compiler/pulp/l2_allocator.h"

namespace wb::pulp {
namespace {

TEST(PulpL2Allocator, FirstFitHighAndCoalescing) {
  FirstFitAllocator a(1000, 4);
  EXPECT_EQ(a.allocate(10), 0u);           // rounded to 12
  EXPECT_EQ(a.allocate(4), 12u);
  EXPECT_EQ(a.allocate_high(100), 900u);   // the end of the free space
  EXPECT_EQ(a.largest_free(), 900u - 16u);
  a.release(0, 10);
  a.release(12, 4);
  EXPECT_EQ(a.largest_free(), 900u);       // [0, 900) is one block again
  EXPECT_FALSE(a.allocate(901).has_value());
  EXPECT_THROW(a.release(0, 4), std::logic_error);  // already free: a double free
}

}  // namespace
}  // namespace wb::pulp
