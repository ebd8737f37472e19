// The cluster model as the PULP compiler's tiling referee (workbench/pulp_tiling_referee.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/pulp/compile.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"
#include "workbench/pulp_tiling_referee.h"

namespace wb {
namespace {

// The cluster referee, remembering each layer's candidates and what it measured.
class RecordingReferee : public pulp::TilingReferee {
 public:
  std::vector<pulp::TilingMeasurement> measure(const std::vector<isa::pulp::Layer>& candidates, const HwConfig& config,
                                               std::uint64_t l3_image_bytes) const override {
    std::vector<pulp::TilingMeasurement> measured = cluster_.measure(candidates, config, l3_image_bytes);
    asked.push_back({candidates, measured});
    return measured;
  }
  struct Call {
    std::vector<isa::pulp::Layer> candidates;
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
    ASSERT_EQ(call.measured.size(), call.candidates.size());
    std::uint64_t fastest = call.measured.front().cycles;
    for (const pulp::TilingMeasurement& m : call.measured) {
      EXPECT_GT(m.cycles, 0u);
      EXPECT_GT(m.energy_pj, 0.0);
      fastest = std::min(fastest, m.cycles);
      differ = differ || m.cycles != call.measured.front().cycles;
    }
    // The kept tiling, measured again, is the fastest, and no slower than DORY's (the first).
    const std::string& name = call.candidates.front().name();
    for (const auto& layer : r.network.layers()) {
      if (layer.name() != name) continue;
      isa::pulp::Layer kept = layer;
      kept.clear_l3_prefetch();  // the next layer's weights: not this layer's tiling
      const std::uint64_t again = ClusterTilingReferee().measure({kept}, config, r.network.l3_image().size()).at(0).cycles;
      EXPECT_EQ(again, fastest) << name;
      EXPECT_LE(again, call.measured.front().cycles) << name;
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
  EXPECT_LT(referee.measure({conv}, config, bytes).at(0).cycles, referee.measure({conv}, slower, bytes).at(0).cycles);
}

}  // namespace
}  // namespace wb
