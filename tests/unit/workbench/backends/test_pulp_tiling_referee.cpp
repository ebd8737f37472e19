// The cluster model as the PULP compiler's tiling referee (workbench/backends/pulp_tiling_referee.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/pulp/compile.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"
#include "workbench/backends/pulp_tiling_referee.h"

namespace wb {
namespace {

// The cluster referee, remembering each layer's candidates and what it measured.
class RecordingReferee : public pulp::TilingReferee {
 public:
  std::vector<pulp::TilingMeasurement> measure(const std::vector<pulp::TilingTrial>& trials, const HwConfig& config,
                                               std::uint64_t l3_image_bytes) const override {
    std::vector<pulp::TilingMeasurement> measured = cluster_.measure(trials, config, l3_image_bytes);
    asked.push_back({trials, measured});
    return measured;
  }
  std::vector<pulp::TilingMeasurement> measure_network(const isa::pulp::Network& network,
                                                       const HwConfig& config) const override {
    return cluster_.measure_network(network, config);
  }
  struct Call {
    std::vector<pulp::TilingTrial> trials;
    std::vector<pulp::TilingMeasurement> measured;
  };
  mutable std::vector<Call> asked;

 private:
  ClusterTilingReferee cluster_;
};

TEST(ClusterTilingReferee, EachLayerKeepsItsFastestMeasuredTilingNeverSlowerThanDorys) {
  const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=8KiB"});
  const RecordingReferee referee;
  const pulp::CompileResult r =
      pulp::compile_pulp(test::small_pulp_cnn_qgraph(), config, pulp::parse_compile_options({"tiler=cost"}), &referee);
  ASSERT_FALSE(referee.asked.empty());
  bool differ = false;
  for (const auto& call : referee.asked) {
    ASSERT_EQ(call.measured.size(), call.trials.size());
    std::size_t fastest = 0;
    for (std::size_t k = 0; k < call.measured.size(); ++k) {
      EXPECT_GT(call.measured[k].cycles, 0u);
      EXPECT_GT(call.measured[k].energy_pj, 0.0);
      if (call.measured[k].cycles < call.measured[fastest].cycles) fastest = k;
      differ = differ || call.measured[k].cycles != call.measured.front().cycles;
    }
    // The kept tiling is the fastest measured, no slower than DORY's (the first), and measures
    // the same again after the same layer before it.
    const std::string& name = call.trials.front().layer.name();
    for (const auto& layer : r.network.layers()) {
      if (layer.name() != name) continue;
      EXPECT_EQ(layer.tiling().tile_c_out(), call.trials[fastest].layer.tiling().tile_c_out()) << name;
      EXPECT_EQ(layer.tiling().tile_h_out(), call.trials[fastest].layer.tiling().tile_h_out()) << name;
      EXPECT_EQ(layer.tiling().tile_w_out(), call.trials[fastest].layer.tiling().tile_w_out()) << name;
      EXPECT_EQ(layer.tiling().parallel(), call.trials[fastest].layer.tiling().parallel()) << name;
      EXPECT_LE(call.measured[fastest].cycles, call.measured.front().cycles) << name;
      pulp::TilingTrial again{layer, call.trials[fastest].before};
      again.layer.clear_l3_prefetch();  // the next layer's weights: not this layer's tiling
      EXPECT_EQ(ClusterTilingReferee().measure({again}, config, r.network.l3_image().size()).at(0).cycles,
                call.measured[fastest].cycles)
          << name;
    }
  }
  EXPECT_TRUE(differ) << "every candidate measured the same: the test would not see a choice";
}

TEST(ClusterTilingReferee, MeasuresOnTheHardwareItIsGiven) {
  // The same layer on a cluster whose loads stall longer takes longer.
  const HwConfig config = test::pulp_config({"l1_tile_budget_bytes=8KiB"});
  const HwConfig slower = test::pulp_config({"l1_tile_budget_bytes=8KiB", "core.load_use_stall_cycles=4"});
  const pulp::CompileResult r = pulp::compile_pulp(test::small_pulp_cnn_qgraph(), config, {});
  const isa::pulp::Layer& conv = r.network.layers(0);
  const ClusterTilingReferee referee;
  const std::uint64_t bytes = r.network.l3_image().size();
  const pulp::TilingTrial alone{conv, std::nullopt};
  EXPECT_LT(referee.measure({alone}, config, bytes).at(0).cycles, referee.measure({alone}, slower, bytes).at(0).cycles);
  // After the layer before it, what that one leaves in flight is counted in, not its own cycles.
  const pulp::TilingTrial after{r.network.layers(1), r.network.layers(0)};
  const pulp::TilingTrial second_alone{r.network.layers(1), std::nullopt};
  const std::uint64_t in_network = referee.measure({after}, config, bytes).at(0).cycles;
  EXPECT_LT(in_network, referee.measure({alone}, config, bytes).at(0).cycles + referee.measure({second_alone}, config, bytes).at(0).cycles);
  EXPECT_GE(in_network, referee.measure({second_alone}, config, bytes).at(0).cycles / 2);
}

}  // namespace
}  // namespace wb
