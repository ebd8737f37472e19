// The per-layer join of `workbench compare` (workbench/compare/layer_join.h): a row per tensor
// every report writes, whatever order the reports ran their branches in; fused layers fold in
// with the unfused ones they stand for; every layer of every report lands in exactly one row.

#include "workbench/compare/layer_join.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace wb::compare {
namespace {

using Outputs = std::vector<std::vector<std::string>>;
using Indices = std::vector<std::size_t>;

// Every layer of every report in exactly one row; the first report's rows in its layer order.
void expect_partition(const Outputs& outputs, const std::vector<JoinedRow>& rows) {
  for (std::size_t r = 0; r < outputs.size(); ++r) {
    std::vector<std::size_t> seen;
    for (const JoinedRow& row : rows) {
      ASSERT_EQ(row.layers.size(), outputs.size());
      EXPECT_TRUE(std::is_sorted(row.layers[r].begin(), row.layers[r].end()));
      seen.insert(seen.end(), row.layers[r].begin(), row.layers[r].end());
    }
    if (r == 0) {
      EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    }
    std::sort(seen.begin(), seen.end());
    Indices all(outputs[r].size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    EXPECT_EQ(seen, all) << "report " << r;
  }
}

TEST(LayerJoin, IdenticalReportsJoinLayerByLayer) {
  const Outputs outputs = {{"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(rows[k].output, outputs[0][k]);
    for (const Indices& layers : rows[k].layers) EXPECT_EQ(layers, Indices{k});
  }
  expect_partition(outputs, rows);
}

TEST(LayerJoin, AFusedLayerJoinsTheLayersItStandsFor) {
  // PULP runs conv then pool; xDNN one conv+pool layer writing the pool's tensor.
  const Outputs outputs = {{"conv", "pool", "fc"}, {"pool", "fc"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].output, "pool");
  EXPECT_EQ(rows[0].layers[0], (Indices{0, 1}));
  EXPECT_EQ(rows[0].layers[1], (Indices{0}));
  EXPECT_EQ(rows[1].output, "fc");
  expect_partition(outputs, rows);
}

TEST(LayerJoin, BranchesScheduledInAnotherOrderStillJoinLayerByLayer) {
  // Two branches a and b, joined by c: scheduled a, b on one target and b, a on the other
  // (RegNet's residual projection and first conv on v3_96 and gap8).
  const Outputs outputs = {{"stem", "a", "b", "c"}, {"stem", "b", "a", "c"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].output, "a");
  EXPECT_EQ(rows[1].layers[0], Indices{1});
  EXPECT_EQ(rows[1].layers[1], Indices{2});
  EXPECT_EQ(rows[2].output, "b");
  EXPECT_EQ(rows[2].layers[1], Indices{1});
  expect_partition(outputs, rows);
}

TEST(LayerJoin, AFusedLayerInAReorderedBranchJoinsItsOwnBranch) {
  // b's conv fused with its pool on one target (writes only b_pool); the other runs a's branch
  // after b's.
  const Outputs outputs = {{"stem", "a", "b_pool", "c"}, {"stem", "b_conv", "b_pool", "a", "c"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2].output, "b_pool");
  EXPECT_EQ(rows[2].layers[1], (Indices{1, 2}));
  EXPECT_EQ(rows[1].layers[1], Indices{3});
  expect_partition(outputs, rows);
}

TEST(LayerJoin, AMergedLayerJoinsTheSiblingsItComputes) {
  // xDNN merges two sibling 1x1 convs into one layer (its own buffer "m", writing b1 and b2);
  // PULP runs them apart, and in another order.
  const std::vector<std::vector<LayerWrites>> reports = {
      {{"stem"}, {"m", "b1", "b2"}, {"b1_next"}, {"c"}},
      {{"stem"}, {"b2"}, {"b1"}, {"b1_next"}, {"c"}}};
  const auto rows = join_layers(reports);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].output, "b1 + b2");
  EXPECT_EQ(rows[1].layers[0], Indices{1});
  EXPECT_EQ(rows[1].layers[1], (Indices{1, 2}));
  EXPECT_EQ(rows[2].output, "b1_next");
  EXPECT_EQ(rows[2].layers[1], Indices{3});
}

TEST(LayerJoin, LayersAfterTheLastCommonTensorFormATailRow) {
  const Outputs outputs = {{"x", "y", "softmax"}, {"x", "y"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].output, "");
  EXPECT_EQ(rows[2].layers[0], Indices{2});
  EXPECT_TRUE(rows[2].layers[1].empty());
  expect_partition(outputs, rows);
}

TEST(LayerJoin, ATensorWrittenTwiceOrNotNamedIsNoBoundary) {
  // Old reports name no tensors; a tensor two layers write (a concat filled in place) is
  // ambiguous.
  const Outputs outputs = {{"", "cat", "cat", "out"}, {"", "cat", "out"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].output, "out");
  EXPECT_EQ(rows[0].layers[0], (Indices{0, 1, 2, 3}));
  expect_partition(outputs, rows);
}

TEST(LayerJoin, ReportsWithNoCommonTensorAreOneRow) {
  const Outputs outputs = {{"", ""}, {"p", "q", "r"}};
  const auto rows = join_layers(outputs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].output, "");
  expect_partition(outputs, rows);
  EXPECT_TRUE(join_layers(Outputs{}).empty());
}

TEST(LayerJoin, EveryCommonTensorIsARowInTheFirstReportsOrder) {
  const Outputs outputs = {{"a", "b", "c", "d", "e"}, {"a", "b", "c", "d", "e"}, {"c", "d", "e", "a", "b"}};
  const auto rows = join_layers(outputs);
  std::vector<std::string> kept;
  for (const JoinedRow& row : rows) kept.push_back(row.output);
  EXPECT_EQ(kept, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(rows[0].layers[2], Indices{3});
  expect_partition(outputs, rows);
}

}  // namespace
}  // namespace wb::compare
