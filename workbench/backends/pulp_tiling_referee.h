#pragma once
// The PULP compiler's tiling referee (compiler/pulp/tiling_referee.h) as the cluster model:
// each candidate tiling of a layer compiled into a one-layer program and simulated timing-only
// (sim/pulp), its measured events priced by the energy model (perf/energy). The compiler ranks
// the candidates with its predictor; this says which is faster on the model that measures.

#include <cstdint>
#include <vector>

#include "compiler/pulp/tiling_referee.h"
#include "perf/energy/energy_model.h"
#include "sim/pulp/pulp_sim.h"

namespace wb {

// What the cluster model counted for a layer, as the energy model takes it.
perf::energy::PulpEvents pulp_layer_events(const sim::pulp::LayerStats& layer);

class ClusterTilingReferee : public pulp::TilingReferee {
 public:
  std::vector<pulp::TilingMeasurement> measure(const std::vector<pulp::TilingTrial>& trials, const HwConfig& config,
                                               std::uint64_t l3_image_bytes) const override;
  std::vector<pulp::TilingMeasurement> measure_network(const isa::pulp::Network& network,
                                                       const HwConfig& config) const override;
};

}  // namespace wb
