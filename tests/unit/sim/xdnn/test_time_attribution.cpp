// Where a layer's time went (sim/xdnn/time_attribution.h): hand-made instruction records, so
// every cycle's cause is known.

#include "sim/xdnn/time_attribution.h"

#include <gtest/gtest.h>

#include <numeric>

namespace wb::sim::xdnn {
namespace {

constexpr std::uint64_t kIssue = 2;

std::uint64_t of(const LayerTime& t, TimeCause c) { return t.cycles[static_cast<std::size_t>(c)]; }

std::uint64_t sum(const LayerTime& t) { return std::accumulate(t.cycles.begin(), t.cycles.end(), std::uint64_t{0}); }

InstrTiming weights(std::size_t layer, std::uint64_t start, std::uint64_t end) {
  InstrTiming t{layer, TimeCause::WeightsDdr, start, 0, start, end, 0};
  t.weight_load = true;
  return t;
}

InstrTiming conv(std::size_t layer, std::uint64_t issue, std::uint64_t stall, std::uint64_t start, std::uint64_t end,
                 std::uint64_t compute) {
  return InstrTiming{layer, TimeCause::Array, issue, stall, start, end, compute};
}

TEST(TimeAttribution, AConvWaitingForItsOwnWeightsSplitsIntoIssueWeightsAndArray) {
  // Weights load [2, 50); the conv is reached at 2, ready at 4, held until 50, computes to 150.
  const auto t = attribute_time({weights(0, 2, 50), conv(0, 50, 46, 50, 150, 100)}, 1, kIssue);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].begin, 2u);
  EXPECT_EQ(t[0].end, 150u);
  EXPECT_EQ(of(t[0], TimeCause::Array), 100u);
  EXPECT_EQ(of(t[0], TimeCause::WeightsDdr), 48u);  // the flag wait is covered by the load
  EXPECT_EQ(of(t[0], TimeCause::DependencyWait), 0u);
  EXPECT_EQ(sum(t[0]), t[0].span());
}

TEST(TimeAttribution, WeightsPrefetchedBeforeTheSpanDoNotCount) {
  // Layer 1's weights load during layer 0's conv; its conv queues behind layer 0's.
  InstrTiming second = conv(1, 30, 0, 150, 250, 100);
  second.queued_for_other = true;
  const auto t =
      attribute_time({weights(0, 2, 10), conv(0, 10, 6, 10, 150, 140), weights(1, 12, 40), second}, 2, kIssue);
  EXPECT_EQ(t[1].begin, 150u);  // the queue wait was layer 0's time
  EXPECT_EQ(t[1].end, 250u);
  EXPECT_EQ(of(t[1], TimeCause::Array), 100u);
  EXPECT_EQ(of(t[1], TimeCause::WeightsDdr), 0u);
  EXPECT_EQ(of(t[1], TimeCause::Queued), 0u);
  EXPECT_EQ(overlapped_cycles(t), 0u);
}

TEST(TimeAttribution, AFlagWaitForAnotherLayerStartsTheSpanAtIssue) {
  InstrTiming add{1, TimeCause::PoolEltwise, 150, 120, 150, 166, 16};
  add.waited_for_other = true;
  const auto t = attribute_time({conv(0, 10, 0, 10, 150, 140), add}, 2, kIssue);
  EXPECT_EQ(t[1].begin, 150u);
  EXPECT_EQ(t[1].span(), 16u);
  EXPECT_EQ(of(t[1], TimeCause::PoolEltwise), 16u);
  // Without the mark, the wait is the add's own: a dependency wait inside its span.
  add.waited_for_other = false;
  const auto own = attribute_time({conv(0, 10, 0, 10, 150, 140), add}, 2, kIssue);
  EXPECT_EQ(own[1].begin, 28u);
  EXPECT_EQ(of(own[1], TimeCause::DependencyWait), 120u);
  EXPECT_EQ(of(own[1], TimeCause::Issue), 2u);
  EXPECT_EQ(sum(own[1]), own[1].span());
  EXPECT_EQ(overlapped_cycles(own), 122u);  // [28, 150) lies in both spans
}

TEST(TimeAttribution, AStreamedInputTheArrayOutrunsIsActivationTime) {
  // The array needs 60 cycles; the input takes 90 to stream from DDR.
  const auto t = attribute_time({conv(0, 2, 0, 2, 92, 60)}, 1, kIssue);
  EXPECT_EQ(of(t[0], TimeCause::Array), 60u);
  EXPECT_EQ(of(t[0], TimeCause::ActivationDdr), 30u);
  EXPECT_EQ(of(t[0], TimeCause::Issue), 2u);
  EXPECT_EQ(sum(t[0]), 92u);
}

TEST(TimeAttribution, LaterInstructionsWaitsAndGapsStayInTheSpan) {
  // Two tiles of one layer; between them the array serves layer 1 (queued), and the controller
  // is elsewhere for a while (issue).
  InstrTiming tile2 = conv(0, 100, 0, 200, 260, 60);
  const auto t = attribute_time({conv(0, 2, 0, 2, 62, 60), conv(1, 62, 0, 62, 200, 138), tile2}, 2, kIssue);
  EXPECT_EQ(t[0].begin, 0u);
  EXPECT_EQ(t[0].end, 260u);
  EXPECT_EQ(of(t[0], TimeCause::Array), 120u);
  EXPECT_EQ(of(t[0], TimeCause::Queued), 100u);  // [100, 200)
  EXPECT_EQ(of(t[0], TimeCause::Issue), 2u + 36u + 2u);  // its own issue, the gap [62, 98), tile 2's issue
  EXPECT_EQ(sum(t[0]), t[0].span());
  EXPECT_EQ(overlapped_cycles(t), 140u);  // layer 1 spans [60, 200), inside layer 0's
}

TEST(TimeAttribution, ALayerWithoutInstructionsHasAnEmptySpan) {
  const auto t = attribute_time({conv(0, 2, 0, 2, 62, 60)}, 2, kIssue);
  EXPECT_EQ(t[1].span(), 0u);
  EXPECT_EQ(sum(t[1]), 0u);
  EXPECT_EQ(time_cause_name(TimeCause::WeightsDdr), "weights_ddr");
  EXPECT_EQ(time_cause_name(TimeCause::WeightsAm), "weights_am");
  EXPECT_EQ(time_cause_name(TimeCause::DependencyWait), "dependency_wait");
}

}  // namespace
}  // namespace wb::sim::xdnn
