#include "compiler/quant/qgraph_queries.h"

#include <gtest/gtest.h>

namespace wb::quant {
namespace {

// A run is consecutive pixels of one input row landing on consecutive pixels of one output row.
TEST(PixelRuns, AWindowsRowIsOneRunAndRowEndsBreakRuns) {
  // 4x4 input into two 2x2 windows' tokens [1, C, 1, 8]: each window row is a run of 2.
  const std::vector<std::int64_t> windows{0, 1, 4, 5, 2, 3, 6, 7};
  const auto runs = pixel_runs(windows, 4, 8);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[1].from_row, 1u);
  EXPECT_EQ(runs[1].from_column, 0u);
  EXPECT_EQ(runs[1].to_row, 0u);
  EXPECT_EQ(runs[1].to_column, 2u);
  EXPECT_EQ(runs[1].length, 2u);
  // Consecutive input pixels across an input row's end (3 -> 4) or an output row's end are two runs.
  EXPECT_EQ(pixel_runs({2, 3, 4, 5}, 4, 4).size(), 2u);
  EXPECT_EQ(pixel_runs({0, 1, 2, 3}, 4, 2).size(), 2u);
  // A roll's wrap (3 -> 0) starts a run; the identity of one row is one run.
  EXPECT_EQ(pixel_runs({1, 2, 3, 0}, 4, 4).size(), 2u);
  const auto whole = pixel_runs({0, 1, 2, 3}, 4, 4);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].length, 4u);
}

}  // namespace
}  // namespace wb::quant
