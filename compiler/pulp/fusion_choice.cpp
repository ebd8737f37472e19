#include "compiler/pulp/fusion_choice.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/fused_pair.h"
#include "perf/pulp/energy_prediction.h"
#include "perf/pulp/timeline.h"

namespace wb::pulp {

namespace {

struct Candidate {
  FusedTiling tiling;
  isa::pulp::Layer layer;
  double predicted = 0;
};

// The index of the candidate the referee measures fastest (or least energy), each run after
// `before` as the network runs it.
std::size_t fastest_measured(const std::vector<Candidate>& candidates, const LayerPlan& dwp, const MemoryPlan& plan,
                             const HwConfig& config, const CompileOptions& options, const TilingReferee& referee,
                             const isa::pulp::Layer* before) {
  std::vector<TilingTrial> trials;
  for (const Candidate& candidate : candidates) {
    TilingTrial trial{candidate.layer, {}};
    if (before != nullptr) {
      trial.before = *before;
      // Weights the layer before prefetches for the depthwise layer are in flight as in the network.
      if (dwp.weights_prefetched) {
        for (const isa::pulp::DmaCopy& copy : weight_prefetch_copies(dwp, options.tiler)) {
          *trial.before->add_l3_prefetch() = copy;
        }
      }
    }
    trials.push_back(std::move(trial));
  }
  const std::vector<TilingMeasurement> measurements = referee.measure(trials, config, plan.l3_image.size());
  if (measurements.size() != trials.size()) {
    throw std::logic_error(fmt::format("fused layer '{}': the tiling referee measured {} of {} tilings",
                                       candidates.front().layer.name(), measurements.size(), trials.size()));
  }
  const bool energy = options.tiler == TilerObjective::Energy;
  const auto figure = [&](const TilingMeasurement& m) { return energy ? m.energy_pj : static_cast<double>(m.cycles); };
  std::size_t best = 0;
  for (std::size_t k = 1; k < measurements.size(); ++k) {
    if (figure(measurements[k]) < figure(measurements[best])) best = k;
  }
  return best;
}

}  // namespace

FusedChoice best_fused_tiling(const quant::QGraph& graph, const LayerMapping& mapping, std::size_t depthwise,
                              const MemoryPlan& plan, const HwConfig& config, const CompileOptions& options,
                              const TilingReferee* referee, const isa::pulp::Layer* before) {
  const PLayer& dw = mapping.layers[depthwise];
  const PLayer& pw = mapping.layers[depthwise + 1];
  const LayerPlan& dwp = plan.layers[depthwise];
  const LayerPlan& pwp = plan.layers[depthwise + 1];
  const PulpParams& hw = config.pulp();
  const bool energy = options.tiler == TilerObjective::Energy;
  std::vector<Candidate> candidates;
  for (FusedTiling tiling : fused_tilings(dwp, pwp, hw)) {
    isa::pulp::Layer layer = emit_fused_pair(graph, dw, dwp, pw, pwp, plan, tiling, options.tiler, hw);
    tiling.predicted_cycles = perf::pulp::layer_cycles(layer, hw);
    layer.mutable_tiling()->set_predicted_cycles(tiling.predicted_cycles);
    const double figure = energy ? perf::pulp::predicted_energy_pj(layer, hw, config.clock_mhz, tiling.predicted_cycles)
                                 : static_cast<double>(tiling.predicted_cycles);
    candidates.push_back({tiling, std::move(layer), figure});
  }
  FusedChoice choice;
  if (candidates.empty()) return choice;
  // Ties go to the earlier candidate: the fewer row tiles (fused_tilings' order).
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.predicted < b.predicted; });
  choice.tiling = candidates.front().tiling;
  const std::size_t measured = std::min<std::size_t>(candidates.size(), 1 + options.measured_tilings);
  if (referee == nullptr || !options.measure_tilings || measured < 2) return choice;
  const std::vector<Candidate> best(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(measured));
  const std::size_t fastest = fastest_measured(best, plan.layers[depthwise], plan, config, options, *referee, before);
  choice.tiling = candidates[fastest].tiling;
  choice.measured = measured;
  choice.overruled_predictor = fastest != 0;
  return choice;
}

}  // namespace wb::pulp
