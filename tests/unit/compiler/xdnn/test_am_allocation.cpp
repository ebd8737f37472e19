// AM allocation: strategies never overlap live buffers; spills when nothing fits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/compile.h"
#include "support/error.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

struct Compiled {
  LayerMapping mapping;
  BufferPlan plan;
  Schedule schedule;
};

Compiled prepare(const std::string& hw_name) {
  const quant::QGraph& g = test::small_cnn_xdnn();
  const XdnnParams hw = test::xdnn_config(hw_name).xdnn();
  Compiled c;
  c.mapping = map_layers(g, hw, {});
  c.plan = plan_buffers(g, c.mapping, hw, {});
  c.schedule = schedule_layers(g, c.mapping, c.plan, true, 1000);
  return c;
}

std::vector<std::string> names(const LayerMapping& m) {
  std::vector<std::string> n;
  for (const auto& l : m.layers) n.push_back(l.name);
  return n;
}

// No two buffers live at the same step overlap in AM.
void expect_no_overlap(const Compiled& c, const Allocation& a) {
  for (const AllocationStep& step : a.steps) {
    for (const auto& [b1, a1] : step.address) {
      for (const auto& [b2, a2] : step.address) {
        if (b1 >= b2) continue;
        const auto s1 = c.plan.buffers[static_cast<std::size_t>(b1)].bytes;
        const auto s2 = c.plan.buffers[static_cast<std::size_t>(b2)].bytes;
        EXPECT_TRUE(a1 + s1 <= a2 || a2 + s2 <= a1) << "buffers " << b1 << " and " << b2;
      }
    }
  }
}

TEST(XdnnAmAllocation, EveryStrategyPlacesWithoutOverlap) {
  const Compiled c = prepare("v3_96");
  const auto live = live_intervals(c.plan, c.schedule.order);
  for (const AllocatorChoice choice :
       {AllocatorChoice::Top, AllocatorChoice::Bottom, AllocatorChoice::BySize, AllocatorChoice::BestFit}) {
    const Allocation a = allocate_am(c.plan, c.schedule, 9u << 20, choice, names(c.mapping));
    EXPECT_EQ(a.strategy, allocator_name(choice));
    EXPECT_EQ(a.spilled_buffers, 0);
    EXPECT_GE(a.extent_bytes, c.schedule.peak_bytes - 0);
    expect_no_overlap(c, a);
    // Buffers whose lives overlap never share bytes (checked over the whole lifetime).
    std::map<int, std::uint64_t> address;
    for (const auto& step : a.steps) {
      for (const auto& [b, addr] : step.address) address[b] = addr;
    }
    for (const auto& [b1, a1] : address) {
      for (const auto& [b2, a2] : address) {
        if (b1 >= b2) continue;
        const auto& l1 = live[static_cast<std::size_t>(b1)];
        const auto& l2 = live[static_cast<std::size_t>(b2)];
        if (l1.last < l2.first || l2.last < l1.first) continue;
        const auto s1 = c.plan.buffers[static_cast<std::size_t>(b1)].bytes;
        const auto s2 = c.plan.buffers[static_cast<std::size_t>(b2)].bytes;
        EXPECT_TRUE(a1 + s1 <= a2 || a2 + s2 <= a1) << allocator_name(choice);
      }
    }
  }
  const Allocation bottom = allocate_am(c.plan, c.schedule, 9u << 20, AllocatorChoice::Bottom, names(c.mapping));
  std::uint64_t highest = 0;
  for (const auto& step : bottom.steps) {
    for (const auto& [b, addr] : step.address) highest = std::max(highest, addr + c.plan.buffers[static_cast<std::size_t>(b)].bytes);
  }
  EXPECT_EQ(highest, 9u << 20);  // bottom packs against the top of AM
}

TEST(XdnnAmAllocation, SpillsWhenThePeakDoesNotFitAndFailsBelowTheLargestStep) {
  // A chain whose first output A is read again at the end: steps touch {A}, {B}, {B, C},
  // {A, C, D}; the peak (A + B + C = 300) exceeds the largest step (A + C + D = 210).
  BufferPlan plan;
  plan.section_channels = 1;
  const auto buffer = [](std::uint64_t bytes, std::vector<int> writers, std::vector<int> readers) {
    Buffer b;
    b.bytes = bytes;
    b.writers = std::move(writers);
    b.readers = std::move(readers);
    return b;
  };
  plan.buffers = {buffer(100, {0}, {3}), buffer(100, {1}, {2}), buffer(100, {2}, {3}), buffer(10, {3}, {})};
  plan.buffers[3].network_output = true;
  Schedule schedule;
  schedule.order = {0, 1, 2, 3};
  const std::vector<std::string> layer_names = {"l0", "l1", "l2", "l3"};
  const Allocation roomy = allocate_am(plan, schedule, 300, AllocatorChoice::Auto, layer_names);
  EXPECT_NE(roomy.strategy, "spill");
  EXPECT_EQ(roomy.spill_download_bytes, 0u);

  const Allocation tight = allocate_am(plan, schedule, 210, AllocatorChoice::Auto, layer_names);
  EXPECT_EQ(tight.strategy, "spill");
  EXPECT_EQ(tight.spilled_buffers, 1);
  EXPECT_EQ(tight.spill_download_bytes, 100u);  // A, the buffer whose next use is furthest
  EXPECT_EQ(tight.spill_upload_bytes, 100u);
  EXPECT_LE(tight.extent_bytes, 210u);
  ASSERT_EQ(tight.steps[2].before.size(), 1u);
  EXPECT_EQ(tight.steps[2].before[0].kind, Transfer::Kind::Download);
  EXPECT_EQ(tight.steps[2].before[0].buffer, 0);
  ASSERT_EQ(tight.steps[3].before.size(), 1u);
  EXPECT_EQ(tight.steps[3].before[0].kind, Transfer::Kind::Upload);
  EXPECT_EQ(tight.steps[3].before[0].buffer, 0);
  ASSERT_EQ(tight.steps[3].after.size(), 1u);  // the network output goes to DDR
  // Within each step the touched buffers do not overlap.
  for (const AllocationStep& step : tight.steps) {
    for (const auto& [b1, a1] : step.address) {
      for (const auto& [b2, a2] : step.address) {
        if (b1 < b2) {
          EXPECT_TRUE(a1 + plan.buffers[static_cast<std::size_t>(b1)].bytes <= a2 ||
                      a2 + plan.buffers[static_cast<std::size_t>(b2)].bytes <= a1);
        }
      }
    }
  }
  try {
    allocate_am(plan, schedule, 209, AllocatorChoice::Auto, layer_names);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("layer 'l3' needs 210 bytes"));
    EXPECT_THAT(e.what(), testing::HasSubstr("the smallest AM that compiles this network is 210 bytes"));
  }
  // A layer larger than any AM a config may have: no advice to set an impossible am_bytes.
  plan.buffers[0].bytes = static_cast<std::uint64_t>(kMaxAmBytes);
  try {
    allocate_am(plan, schedule, 1 << 20, AllocatorChoice::Auto, layer_names);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("more than any xDNN config can have"));
    EXPECT_THAT(e.what(), testing::Not(testing::HasSubstr("--set am_bytes")));
  }
}

}  // namespace
}  // namespace wb::xdnn
