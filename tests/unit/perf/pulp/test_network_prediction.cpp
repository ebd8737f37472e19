// The whole program on the predictor (perf/pulp/network_prediction): each layer's span as the
// timeline gives it with the layers before it still in flight. The first layer starts with
// idle channels, as the tiler times every layer; a later one waits for the weights the layer
// before it prefetches; the spans run back to back and a layer's figure never depends on the
// layers after it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp_program.h"
#include "perf/pulp/network_prediction.h"
#include "perf/pulp/timeline.h"
#include "tests/support/test_paths.h"

namespace wb::perf::pulp {

using namespace isa::pulp;  // the program format the model reads
namespace {

PulpParams gap8_params() { return load_hw_config(test::source_dir() / "configs" / "gap8.yaml").pulp(); }

constexpr std::uint64_t kPrefetchedWeightBytes = 9216;

// One ADD step over a 16x16x16 tile at L1 0, loaded from L2 `from` and written back to L2 0.
Layer add_layer(std::uint64_t from) {
  Layer layer;
  Step& step = *layer.add_steps();
  *step.add_load() = linear_copy(MEMORY_L2, from, MEMORY_L1, 0, 1024);
  KernelCall& call = *step.mutable_compute();
  call.set_kind(KERNEL_ADD);
  for (auto set : {&KernelCall::set_h_in, &KernelCall::set_w_in, &KernelCall::set_c_in, &KernelCall::set_h_out,
                   &KernelCall::set_w_out, &KernelCall::set_c_out}) {
    (call.*set)(16);
  }
  for (auto set : {&KernelCall::set_k_h, &KernelCall::set_k_w, &KernelCall::set_stride_h, &KernelCall::set_stride_w}) {
    (call.*set)(1);
  }
  *step.add_write_back() = linear_copy(MEMORY_L1, 4096, MEMORY_L2, 0, 1024);
  return layer;
}

// Three layers: the first prefetches the second's weights (L3 -> L2 [16384, 16384 + 9216)) in
// one copy, far more bytes than its own short tile takes to run; the second reads them; the
// third reads what the second wrote.
Network three_layers() {
  Network network;
  Layer first = add_layer(0);
  *first.add_l3_prefetch() = linear_copy(MEMORY_L3, 0, MEMORY_L2, 16384, kPrefetchedWeightBytes);
  *network.add_layers() = first;
  *network.add_layers() = add_layer(16384);
  *network.add_layers() = add_layer(0);
  return network;
}

TEST(NetworkPrediction, TheFirstLayerIsPredictedAsTheTilerTimesItAlone) {
  const PulpParams hw = gap8_params();
  const Network network = three_layers();
  const std::vector<std::uint64_t> cycles = predict_layer_cycles(network, hw);
  ASSERT_EQ(cycles.size(), 3u);
  // Nothing is in flight before the first layer: its span is layer_cycles's (channels idle).
  EXPECT_EQ(cycles[0], layer_cycles(network.layers(0), hw));
  // The third finds the channels drained by the second's end (a layer ends when its
  // write-backs have landed) and no prefetch pending: it too runs as alone.
  EXPECT_EQ(cycles[2], layer_cycles(network.layers(2), hw));
}

TEST(NetworkPrediction, ALayerWaitsForTheWeightsTheLayerBeforePrefetches) {
  const PulpParams hw = gap8_params();
  const Network network = three_layers();
  const std::vector<std::uint64_t> cycles = predict_layer_cycles(network, hw);
  ASSERT_EQ(cycles.size(), 3u);
  // The prefetch is issued at cycle 0 and lands no earlier than the uDMA's latency plus its
  // bytes at l3_bytes_per_cycle; the second layer starts when the first ends (cycles[0]) and
  // waits for it before its own work, which then takes what it takes alone.
  const std::uint64_t landed = static_cast<std::uint64_t>(hw.l3_latency_cycles) +
                               kPrefetchedWeightBytes / static_cast<std::uint64_t>(hw.l3_bytes_per_cycle);
  ASSERT_GT(landed, cycles[0]) << "the fixture's first layer must end before its prefetch lands";
  const std::uint64_t alone = layer_cycles(network.layers(1), hw);
  EXPECT_GE(cycles[1], alone + (landed - cycles[0]));
}

TEST(NetworkPrediction, ALayersFigureDoesNotDependOnTheLayersAfterIt) {
  const PulpParams hw = gap8_params();
  const Network network = three_layers();
  const std::vector<std::uint64_t> all = predict_layer_cycles(network, hw);
  Network first_two = network;
  first_two.mutable_layers()->RemoveLast();
  const std::vector<std::uint64_t> prefix = predict_layer_cycles(first_two, hw);
  ASSERT_EQ(prefix.size(), 2u);
  EXPECT_EQ(prefix[0], all[0]);
  EXPECT_EQ(prefix[1], all[1]);
}

TEST(NetworkPrediction, TheSpansRunBackToBack) {
  // The same layers on one clock, as the cluster runs them: the last layer's end is the sum.
  const PulpParams hw = gap8_params();
  const Network network = three_layers();
  const std::vector<std::uint64_t> cycles = predict_layer_cycles(network, hw);
  struct Counting final : Clock {
    std::uint64_t now_ = 0;
    std::uint64_t now() const override { return now_; }
    void wait_until(std::uint64_t cycle) override { now_ = std::max(now_, cycle); }
    void compute(const KernelCall&, const KernelCost& cost, std::size_t) override { now_ += cost.cycles; }
    void copied(const DmaCopy&, Track, std::uint64_t, std::uint64_t, std::size_t) override {}
  } clock;
  Channels channels;
  channels.reset(hw);
  std::uint64_t end = 0;
  for (const Layer& layer : network.layers()) end = run_layer(layer, hw, channels, clock).end;
  std::uint64_t sum = 0;
  for (const std::uint64_t c : cycles) sum += c;
  EXPECT_EQ(sum, end);
  EXPECT_TRUE(predict_layer_cycles(Network(), hw).empty());
}

}  // namespace
}  // namespace wb::perf::pulp
