#include "compiler/pulp/fusion_choice.h"

#include "compiler/pulp/fused_pair.h"
#include "perf/pulp/energy_prediction.h"
#include "perf/pulp/timeline.h"

namespace wb::pulp {

std::optional<FusedTiling> best_fused_tiling(const quant::QGraph& graph, const LayerMapping& mapping,
                                             std::size_t depthwise, const MemoryPlan& plan, const HwConfig& config,
                                             const CompileOptions& options) {
  const PLayer& dw = mapping.layers[depthwise];
  const PLayer& pw = mapping.layers[depthwise + 1];
  const LayerPlan& dwp = plan.layers[depthwise];
  const LayerPlan& pwp = plan.layers[depthwise + 1];
  const PulpParams& hw = config.pulp();
  std::optional<FusedTiling> best;
  double best_figure = 0;
  for (FusedTiling tiling : fused_tilings(dwp, pwp, hw)) {
    const isa::pulp::Layer layer = emit_fused_pair(graph, dw, dwp, pw, pwp, plan, tiling, options.tiler, hw);
    tiling.predicted_cycles = perf::pulp::layer_cycles(layer, hw);
    const double figure = options.tiler == TilerObjective::Energy
                              ? perf::pulp::predicted_energy_pj(layer, hw, config.clock_mhz, tiling.predicted_cycles)
                              : static_cast<double>(tiling.predicted_cycles);
    if (!best || figure < best_figure) {
      best = tiling;
      best_figure = figure;
    }
  }
  return best;
}

}  // namespace wb::pulp
