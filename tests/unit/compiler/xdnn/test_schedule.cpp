// Scheduling: fork-join orders, peak footprint, determinism.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/xdnn/schedule.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

// A plan by hand: buffers with sizes, writers and readers.
Buffer buffer(std::uint64_t bytes, std::vector<int> writers, std::vector<int> readers) {
  Buffer b;
  b.bytes = bytes;
  b.writers = std::move(writers);
  b.readers = std::move(readers);
  return b;
}

TEST(XdnnSchedule, PeakFootprintCountsLiveBuffers) {
  BufferPlan plan;
  // layer 0 writes A (100); 1 reads A writes B (10); 2 reads A writes C (50); 3 reads B, C.
  plan.buffers = {buffer(100, {0}, {1, 2}), buffer(10, {1}, {3}), buffer(50, {2}, {3})};
  EXPECT_EQ(peak_footprint(plan, {0, 1, 2, 3}), 160u);
  EXPECT_EQ(peak_footprint(plan, {0, 2, 1, 3}), 160u);
  plan.buffers.push_back(buffer(7, {}, {0}));
  plan.buffers.back().network_input = true;
  EXPECT_EQ(peak_footprint(plan, {0, 1, 2, 3}), 160u);
  EXPECT_EQ(peak_footprint(plan, {0, 2, 1, 3}), 160u);
}

TEST(XdnnSchedule, SearchKeepsTheSmallestPeakAndIsDeterministic) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const XdnnParams hw = test::xdnn_config("v3_96").xdnn();
  const LayerMapping mapping = map_layers(g, hw, {});
  const BufferPlan plan = plan_buffers(g, mapping, hw, {});
  const Schedule searched = schedule_layers(g, mapping, plan, true, 1000);
  const Schedule plain = schedule_layers(g, mapping, plan, false, 1000);
  EXPECT_LE(searched.peak_bytes, plain.peak_bytes);
  EXPECT_EQ(searched.peak_bytes, peak_footprint(plan, searched.order));
  // The fork (two branches into the concat, the residual) has more than one valid order.
  EXPECT_GT(searched.valid_schedules, static_cast<std::uint64_t>(searched.regions));
  // Every order is topological: a layer comes after the layers it depends on.
  const auto deps = layer_dependencies(mapping, plan, g);
  std::vector<int> position(searched.order.size());
  for (std::size_t s = 0; s < searched.order.size(); ++s) position[static_cast<std::size_t>(searched.order[s])] = static_cast<int>(s);
  for (std::size_t l = 0; l < deps.size(); ++l) {
    for (const int d : deps[l]) EXPECT_LT(position[static_cast<std::size_t>(d)], position[l]);
  }
  const Schedule again = schedule_layers(g, mapping, plan, true, 1000);
  EXPECT_EQ(again.order, searched.order);
  // A budget of 1 explores one order per region.
  const Schedule tight = schedule_layers(g, mapping, plan, true, 1);
  EXPECT_GE(tight.regions_truncated, 1);
}

TEST(XdnnSchedule, BranchOrderChangesThePeak) {
  // 0 writes X (10) read by 1 and 3; 1 writes big Y (100) read by 2; 2 writes Z (1) read
  // by 4; 3 writes W (1) read by 4. Running the branch 1-2 first frees Y before 3 runs;
  // orders differ in peak only through when Y dies: all orders are explored and the
  // minimum is kept.
  BufferPlan plan;
  plan.buffers = {buffer(10, {0}, {1, 3}), buffer(100, {1}, {2}), buffer(1, {2}, {4}), buffer(50, {3}, {4})};
  const std::uint64_t a = peak_footprint(plan, {0, 1, 2, 3, 4});
  const std::uint64_t b = peak_footprint(plan, {0, 3, 1, 2, 4});
  EXPECT_EQ(a, 111u);   // X + Y + Z
  EXPECT_EQ(b, 160u);   // X + W + Y
}

}  // namespace
}  // namespace wb::xdnn
