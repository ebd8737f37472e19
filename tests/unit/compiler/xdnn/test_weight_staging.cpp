// Weight staging: which blocks wait in AM, where and from when; never over a live buffer or
// another staged block, never uploaded during a weight-bound layer.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/weight_staging.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

constexpr std::uint64_t kAm = 4096;
// DDR 1 byte per cycle, AM 4, peak 100 MACs: a layer is weight-bound above B = 0.01 weight bytes
// per MAC, and a staged byte saves the loader 1 - 1/4 of its DDR time.
const StagingRates kRates{1.0, 4.0, 100.0};

// Four layers in a chain, 0 -> 1 -> 2 -> 3; buffer i is written by layer i and read by i + 1,
// 1000 bytes each, alternating between AM addresses 0 and 1024 (so [2048, 4096) is free).
struct Chain {
  BufferPlan plan;
  Schedule schedule;
  Allocation allocation;
};

Chain staging_chain() {
  Chain c;
  c.plan.section_channels = 16;
  c.schedule.order = {0, 1, 2, 3};
  c.allocation.strategy = "bysize";
  c.allocation.steps.resize(4);
  for (int i = 0; i < 4; ++i) {
    Buffer b;
    b.name = fmt::format("t{}", i);
    b.bytes = 1000;
    b.writers = {i};
    if (i < 3) b.readers = {i + 1};
    c.plan.buffers.push_back(b);
    const std::uint64_t address = i % 2 == 0 ? 0 : 1024;
    c.allocation.steps[static_cast<std::size_t>(i)].address[i] = address;
    if (i < 3) c.allocation.steps[static_cast<std::size_t>(i + 1)].address[i] = address;
  }
  return c;
}

// Four blocks of 256 bytes; `macs` sets how weight-bound the layer is.
StagingCandidate candidate(int layer, std::uint64_t macs) { return {layer, {256, 256, 256, 256}, macs}; }

// Layers 0-2 compute-bound, each leaving 10,000 x 0.01 - 1024 = 99,000 bytes of DDR time idle
// (plenty), then `last`.
std::vector<StagingCandidate> after_compute(StagingCandidate last) {
  return {candidate(0, 10'000'000), candidate(1, 10'000'000), candidate(2, 10'000'000), std::move(last)};
}

void expect_disjoint(const Chain& c, const std::vector<StagedBlock>& staged) {
  const std::vector<Interval> live = live_intervals(c.plan, c.schedule.order);
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const StagedBlock& s = staged[i];
    EXPECT_LT(s.upload_step, s.use_step);
    EXPECT_LE(s.am_address + s.bytes, kAm);
    const int first = std::max(s.upload_step - 1, 0);
    for (std::size_t b = 0; b < c.plan.buffers.size(); ++b) {
      const std::uint64_t at = c.allocation.steps[static_cast<std::size_t>(live[b].first)].address.at(static_cast<int>(b));
      const bool in_time = live[b].first <= s.use_step && first <= live[b].last;
      const bool in_space = at < s.am_address + s.bytes && s.am_address < at + c.plan.buffers[b].bytes;
      EXPECT_FALSE(in_time && in_space) << "block " << s.block << " of layer " << s.layer << " over buffer " << b;
    }
    for (std::size_t j = 0; j < i; ++j) {
      const StagedBlock& o = staged[j];
      const bool in_time = std::max(o.upload_step - 1, 0) <= s.use_step && first <= o.use_step;
      const bool in_space = o.am_address < s.am_address + s.bytes && s.am_address < o.am_address + o.bytes;
      EXPECT_FALSE(in_time && in_space) << "blocks " << i << " and " << j;
    }
  }
}

TEST(WeightStaging, StagesTheExcessOverTheComputeTimeSpreadOverTheBlocks) {
  const Chain c = staging_chain();
  // 1024 weight bytes for 64,000 MACs: 640 of them load under the compute; the other 384 take
  // 384 cycles too many, which staging 512 bytes (two of the four blocks) saves: 512 x (1 - 1/4).
  const auto staged = plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 64'000)), kRates, kAm);
  ASSERT_EQ(staged.size(), 2u);
  EXPECT_EQ(staged[0].block, 0);  // every other block
  EXPECT_EQ(staged[1].block, 2);
  for (const StagedBlock& s : staged) {
    EXPECT_EQ(s.layer, 3);
    EXPECT_EQ(s.use_step, 3);
    EXPECT_EQ(s.upload_step, 0);  // the earliest: the free half of AM stays free all along
    EXPECT_EQ(s.am_address % 16, 0u);  // on an AM word (section_channels)
  }
  expect_disjoint(c, staged);
}

TEST(WeightStaging, AFullyWeightBoundLayerStagesEveryBlock) {
  const Chain c = staging_chain();
  const auto staged = plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 1)), kRates, kAm);
  EXPECT_EQ(staged.size(), 4u);
  expect_disjoint(c, staged);
}

TEST(WeightStaging, ComputeBoundLayersAndTheFirstLayerStayOnDdr) {
  const Chain c = staging_chain();
  // 1024 bytes for 102,400 MACs is exactly the bound: not above it.
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 102'400)), kRates, kAm).empty());
  // Nothing runs before the first layer to upload during.
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, {candidate(0, 1), candidate(1, 10'000'000)},
                                  kRates, kAm)
                  .empty());
}

TEST(WeightStaging, UploadsOnlyBeforeTheFirstWeightBoundLayer) {
  const Chain c = staging_chain();
  // Layer 1 is weight-bound: every upload, for it and for layer 3, happens at step 0, so none
  // queues ahead of a weight-bound layer's own loads.
  const auto staged = plan_weight_staging(c.plan, c.schedule, c.allocation,
                                          {candidate(0, 10'000'000), candidate(1, 1), candidate(3, 1)}, kRates, kAm);
  EXPECT_EQ(staged.size(), 8u);
  for (const StagedBlock& s : staged) EXPECT_EQ(s.upload_step, 0) << "layer " << s.layer;
  expect_disjoint(c, staged);
}

TEST(WeightStaging, UploadsFitTheDdrTimeTheEarlierLayersLeaveIdle) {
  const Chain c = staging_chain();
  // Layer 0 computes 51,200 MACs (512 cycles at the peak) while its 256 weight bytes take 256:
  // 256 bytes' worth of idle DDR time, one block of layer 3's.
  const StagingCandidate first{0, {256}, 51'200};
  const auto staged = plan_weight_staging(c.plan, c.schedule, c.allocation, {first, candidate(3, 1)}, kRates, kAm);
  ASSERT_EQ(staged.size(), 1u);
  EXPECT_EQ(staged[0].layer, 3);
  // With no layer before it computing, nothing can be uploaded in time.
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, {candidate(3, 1)}, kRates, kAm).empty());
}

TEST(WeightStaging, AmWithoutRoomStagesLessAndNeverOverlaps) {
  const Chain c = staging_chain();
  // 2048 + 512: two blocks' room beside the buffers.
  const auto staged = plan_weight_staging(c.plan, c.schedule, c.allocation,
                                          {candidate(0, 10'000'000), candidate(2, 1), candidate(3, 1)}, kRates,
                                          2048 + 512);
  EXPECT_EQ(staged.size(), 2u);
  for (const StagedBlock& s : staged) EXPECT_LE(s.am_address + s.bytes, 2048u + 512u);
  expect_disjoint(c, staged);
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 1)), kRates, 2048).empty());
}

TEST(WeightStaging, ASpillingAllocationStagesNothing) {
  Chain c = staging_chain();
  c.allocation.strategy = "spill";
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 1)), kRates, kAm).empty());
}

TEST(WeightStaging, NothingIsStagedWhereAmIsNoFasterThanDdr) {
  // v2's AM words (28 or 56 bytes) against its ~33 bytes per cycle of DDR.
  const Chain c = staging_chain();
  EXPECT_TRUE(plan_weight_staging(c.plan, c.schedule, c.allocation, after_compute(candidate(3, 1)), {1.0, 1.0, 100.0}, kAm).empty());
  EXPECT_TRUE(staging_rates(test::xdnn_config("v2_28")).am_bytes_per_cycle <=
              staging_rates(test::xdnn_config("v2_28")).ddr_bytes_per_cycle);
}

TEST(WeightStaging, TheRatesComeFromTheConfig) {
  const HwConfig config = test::xdnn_config("v3_96");
  const XdnnParams& hw = config.xdnn();
  const StagingRates rates = staging_rates(config);
  EXPECT_DOUBLE_EQ(rates.ddr_bytes_per_cycle, hw.ddr_gbps * 1e9 * hw.ddr_efficiency / (config.clock_mhz * 1e6));
  EXPECT_DOUBLE_EQ(rates.am_bytes_per_cycle, hw.array.rows);  // one AM word of int8 channels
  EXPECT_DOUBLE_EQ(rates.bound_bytes_per_mac(),
                   rates.ddr_bytes_per_cycle / (hw.array.rows * hw.array.cols * hw.array.macs_per_dsp_int8));
}

}  // namespace
}  // namespace wb::xdnn
