#pragma once
// What decides between the tilings of a layer under tiler=cost or energy: the cluster model,
// measuring the few the predictor ranks best. The compiler may not call a simulator (DESIGN.md
// §3: compiler/ never depends on sim/), so the compile driver passes one in
// (workbench/backends/pulp_tiling_referee.h); without one, or with --compile-opt tile_choice=predicted, the
// predictor's ranking decides alone.

#include <cstdint>
#include <optional>
#include <vector>

#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// One tiling as the referee measured it: the layer's cycles and the energy its counted events
// cost (perf/energy), in pJ.
struct TilingMeasurement {
  std::uint64_t cycles = 0;
  double energy_pj = 0;
};

// One tiling to measure: the layer emitted with it, its operands where the memory plan put them,
// and the layer the network runs before it as planned (none for the first), prefetching this
// tiling's weights: what that one leaves in flight (the weights' uDMA copies, its last
// write-backs) meets the candidate as in the network.
struct TilingTrial {
  isa::pulp::Layer layer;
  std::optional<isa::pulp::Layer> before;
};

class TilingReferee {
 public:
  virtual ~TilingReferee() = default;
  // Each trial run from an idle cluster on `config`'s hardware (`before`, then the layer), in
  // order; the measurement is the layer's. The weights the layers read are `l3_image_bytes` of
  // L3 flash after `config`'s l3_bytes of RAM.
  virtual std::vector<TilingMeasurement> measure(const std::vector<TilingTrial>& trials, const HwConfig& config,
                                                 std::uint64_t l3_image_bytes) const = 0;
  // Each layer of a whole program as the network runs it, from an idle cluster on `config`'s
  // hardware (fusion=on compares the network fused and apart: fusion_plan.h).
  virtual std::vector<TilingMeasurement> measure_network(const isa::pulp::Network& network,
                                                         const HwConfig& config) const = 0;
};

}  // namespace wb::pulp
