// The PULP timeline (perf/pulp/timeline): a layer's weights prefetched by the layer before in
// one copy are waited for before it starts (DORY's order); prefetched in pieces, the layer
// waits for the first before it starts and for each other one only before the first L2 -> L1
// copy that reads its bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "isa/hw_config.h"
#include "perf/pulp/cost.h"
#include "isa/pulp_program.h"
#include "perf/pulp/timeline.h"
#include "tests/support/test_paths.h"
#include "tests/unit/perf/pulp/kernel_call_testing.h"

namespace wb::perf::pulp {

using namespace isa::pulp;  // the program format the model reads
namespace {

// A counter: a kernel call takes its cost; the start of every call is recorded.
class RecordingClock final : public Clock {
 public:
  std::uint64_t now() const override { return now_; }
  void wait_until(std::uint64_t cycle) override { now_ = std::max(now_, cycle); }
  void compute(const KernelCall&, const KernelCost& cost, std::size_t) override {
    starts.push_back(now_);
    now_ += cost.cycles;
  }
  void copied(const DmaCopy&, Track, std::uint64_t, std::uint64_t, std::size_t) override {}
  std::vector<std::uint64_t> starts;

 private:
  std::uint64_t now_ = 0;
};

PulpParams gap8_cluster() { return load_hw_config(test::source_dir() / "configs" / "gap8.yaml").pulp(); }

// Weights at L2 [0, 1024) and [1024, 9216): the layer before prefetches them from L3 as one copy
// or as two pieces; the layer reads them in two tiles, one piece each.
struct TwoLayers {
  Layer before, layer;
};

TwoLayers two_layers(bool pieces) {
  TwoLayers t;
  if (pieces) {
    *t.before.add_l3_prefetch() = linear_copy(MEMORY_L3, 0, MEMORY_L2, 0, 1024);
    *t.before.add_l3_prefetch() = linear_copy(MEMORY_L3, 1024, MEMORY_L2, 1024, 8192);
  } else {
    *t.before.add_l3_prefetch() = linear_copy(MEMORY_L3, 0, MEMORY_L2, 0, 9216);
  }
  for (const auto& [begin, bytes] : {std::pair<std::uint64_t, std::uint64_t>{0, 1024}, {1024, 8192}}) {
    Step& step = *t.layer.add_steps();
    *step.add_load() = linear_copy(MEMORY_L2, begin, MEMORY_L1, 0, bytes);
    *step.mutable_compute() = testing_calls::cube_add(16);
  }
  return t;
}

TEST(PulpTimeline, PrefetchedWeightPiecesAreWaitedForWhenFirstRead) {
  const PulpParams hw = gap8_cluster();
  const auto run = [&](bool pieces) {
    const TwoLayers t = two_layers(pieces);
    Channels channels;
    channels.reset(hw);
    RecordingClock clock;
    run_layer(t.before, hw, channels, clock);
    const LayerTiming timing = run_layer(t.layer, hw, channels, clock);
    return std::make_pair(clock.starts, timing);
  };
  const std::uint64_t latency = static_cast<std::uint64_t>(hw.l3_latency_cycles);
  const auto bytes = [&](std::uint64_t n) { return n / static_cast<std::uint64_t>(hw.l3_bytes_per_cycle); };
  const auto [one_starts, one] = run(false);
  ASSERT_EQ(one_starts.size(), 2u);
  // One copy: nothing starts before all 9216 bytes have landed.
  EXPECT_GE(one_starts[0], latency + bytes(9216));
  EXPECT_GE(one.l3_cycles, latency + bytes(9216));
  const auto [piece_starts, pieces] = run(true);
  ASSERT_EQ(piece_starts.size(), 2u);
  // Pieces: the first tile runs once its 1024 bytes are in, long before the rest lands; the
  // second waits for its piece, which lands one transfer latency later than the one copy did.
  EXPECT_GE(piece_starts[0], latency + bytes(1024));
  EXPECT_LT(piece_starts[0], latency + bytes(9216));
  EXPECT_GE(piece_starts[1], 2 * latency + bytes(9216));
  EXPECT_LT(pieces.l3_cycles, one.l3_cycles);
  EXPECT_EQ(pieces.end - pieces.start,
            pieces.compute_cycles + pieces.dma_issue_cycles + pieces.dma_wait_cycles + pieces.l3_cycles);
}

// start_at() tells, before a transfer's busy cycles are known, where schedule() will start it:
// behind the channel's last transfer, and with a full queue behind the oldest still in flight.
TEST(DmaChannel, StartAtIsWhereScheduleStarts) {
  DmaChannel channel;
  channel.reset(2);
  const std::uint64_t busy[] = {10, 10, 1, 50, 5, 5};
  const std::uint64_t issued[] = {0, 0, 2, 40, 41, 300};
  std::vector<std::uint64_t> starts;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::uint64_t predicted = channel.start_at(issued[i]);
    const auto [start, end] = channel.schedule(issued[i], busy[i], 100);
    EXPECT_EQ(predicted, start) << i;
    starts.push_back(start);
  }
  // The third waits for a place in the queue: the first completes at 0 + 10 + 100.
  EXPECT_EQ(starts[2], 110u);
  EXPECT_EQ(starts[5], 300u);
}

// A clock that prices copies itself (the simulator's asks its memory targets) sets the
// channels' busy cycles: a layer's DMA and uDMA figures are that clock's.
class FixedChannelClock final : public Clock {
 public:
  std::uint64_t now() const override { return now_; }
  void wait_until(std::uint64_t cycle) override { now_ = std::max(now_, cycle); }
  void compute(const KernelCall&, const KernelCost& cost, std::size_t) override { now_ += cost.cycles; }
  void copied(const DmaCopy&, Track, std::uint64_t, std::uint64_t, std::size_t) override {}
  std::uint64_t channel_cycles(const DmaCopy&, Track track, std::uint64_t start, const PulpParams&) override {
    EXPECT_GE(start, now_);
    return track == Track::Udma ? 1000 : 7;
  }

 private:
  std::uint64_t now_ = 0;
};

TEST(PulpTimeline, AClockThatPricesCopiesSetsTheChannelsBusyCycles) {
  const PulpParams hw = gap8_cluster();
  const TwoLayers t = two_layers(true);
  Channels channels;
  channels.reset(hw);
  FixedChannelClock clock;
  const LayerTiming before = run_layer(t.before, hw, channels, clock);
  EXPECT_EQ(before.l3_busy_cycles, 2 * 1000u);  // the two pieces it prefetches
  const LayerTiming layer = run_layer(t.layer, hw, channels, clock);
  EXPECT_EQ(layer.dma_busy_cycles, 2 * 7u);  // its two L2 -> L1 loads
  EXPECT_EQ(layer.l3_busy_cycles, 0u);
}

}  // namespace
}  // namespace wb::perf::pulp
