#include "compiler/pulp/tiling_choice.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "compiler/pulp/emit_network.h"
#include "perf/pulp/energy_prediction.h"

namespace wb::pulp {

namespace {

// What the objective minimises for a trial: predicted cycles, or the energy those cycles and
// the tiling's events cost (perf/pulp/energy_prediction), in pJ.
double predicted_figure(const TrialContext& c, const LayerPlan& trial) {
  if (c.options.tiler != TilerObjective::Energy) return static_cast<double>(trial.tile.predicted_cycles);
  const isa::pulp::Layer emitted = emit_layer(c.graph, c.layer, trial, c.plan, c.options.tiler);
  return perf::pulp::predicted_energy_pj(emitted, c.config.pulp(), c.config.clock_mhz, trial.tile.predicted_cycles);
}

// The trials to measure (DORY's, then the best predicted), as the referee runs them.
std::vector<TilingTrial> emit_trials(const TrialContext& c, const std::vector<LayerPlan>& trials,
                                     const std::vector<std::size_t>& measured) {
  std::optional<isa::pulp::Layer> before;
  if (c.emitted_before != nullptr) {
    before = *c.emitted_before;
  } else if (c.layer_before != nullptr) {
    before = emit_layer(c.graph, *c.layer_before, *c.plan_before, c.plan, c.options.tiler);
  }
  std::vector<TilingTrial> emitted;
  for (const std::size_t k : measured) {
    TilingTrial trial{emit_layer(c.graph, c.layer, trials[k], c.plan, c.options.tiler), before};
    if (trial.before && trials[k].weights_prefetched) {
      for (const isa::pulp::DmaCopy& copy : weight_prefetch_copies(trials[k], c.options.tiler)) {
        *trial.before->add_l3_prefetch() = copy;
      }
    }
    emitted.push_back(std::move(trial));
  }
  return emitted;
}

}  // namespace

bool same_tiling(const TileChoice& a, const TileChoice& b, std::uint32_t c_in) {
  const auto channels = [&](const TileChoice& t) { return t.c_in == 0 ? c_in : t.c_in; };
  return a.c_out == b.c_out && a.h_out == b.h_out && a.w_out == b.w_out && channels(a) == channels(b) &&
         a.parallel == b.parallel && a.depthwise_plane == b.depthwise_plane;
}

TrialChoice choose_trial(const TrialContext& c, const std::vector<LayerPlan>& trials) {
  std::vector<double> predicted;
  for (const LayerPlan& trial : trials) predicted.push_back(predicted_figure(c, trial));
  std::vector<std::size_t> ranked(trials.size());
  for (std::size_t k = 0; k < ranked.size(); ++k) ranked[k] = k;
  std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) { return predicted[a] < predicted[b]; });
  if (c.referee == nullptr || !c.options.measure_tilings) return {ranked.front(), 0, false};
  std::vector<std::size_t> measured{0};
  for (const std::size_t k : ranked) {
    if (measured.size() > c.options.measured_tilings) break;
    if (k != 0) measured.push_back(k);
  }
  if (measured.size() == 1) return {0, 0, false};  // DORY's tiling is the only one: nothing to decide
  const std::vector<TilingMeasurement> measurements =
      c.referee->measure(emit_trials(c, trials, measured), c.config, c.plan.l3_image.size());
  if (measurements.size() != measured.size()) {
    throw std::logic_error(fmt::format("layer '{}': the tiling referee measured {} of {} tilings", c.layer.name,
                                       measurements.size(), measured.size()));
  }
  const auto measured_figure = [&](const TilingMeasurement& m) {
    return c.options.tiler == TilerObjective::Energy ? m.energy_pj : static_cast<double>(m.cycles);
  };
  // Among equals the better predicted: DORY's tiling is first only where the predictor puts it so.
  std::vector<std::size_t> order(measured.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return predicted[measured[a]] < predicted[measured[b]]; });
  std::size_t best = order.front();
  for (const std::size_t k : order) {
    if (measured_figure(measurements[k]) < measured_figure(measurements[best])) best = k;
  }
  return {measured[best], measured.size(), measured[best] != ranked.front()};
}

}  // namespace wb::pulp
