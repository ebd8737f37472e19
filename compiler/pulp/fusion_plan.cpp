#include "compiler/pulp/fusion_plan.h"

#include <optional>
#include <set>
#include <vector>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/fused_pair.h"
#include "compiler/pulp/memory_plan.h"
#include "perf/pulp/energy_prediction.h"
#include "perf/pulp/network_prediction.h"

namespace wb::pulp {

namespace {

struct Judged {
  MemoryPlan plan;
  std::vector<double> figures;  // per emitted layer
  double total = 0;
};

class FusionPlanner {
 public:
  FusionPlanner(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                const CompileOptions& options, const TilingReferee* referee)
      : graph_(graph), mapping_(mapping), config_(config), options_(options),
        referee_(options.measure_tilings ? referee : nullptr) {}

  MemoryPlan run() {
    std::set<std::size_t> fused;
    for (std::size_t i = 0; i + 1 < mapping_.layers.size(); ++i) {
      if (fusable_pair(graph_, mapping_, i)) fused.insert(i);
    }
    const std::uint64_t candidates = fused.size();
    if (options_.fusion == Fusion::All) {
      std::optional<MemoryPlan> plan = plan_fused(fused);
      if (!plan) plan = plan_memory(graph_, mapping_, config_, options_, referee_);
      plan->fusion_candidates = candidates;
      return std::move(*plan);
    }
    Judged apart = judge(plan_memory(graph_, mapping_, config_, options_, referee_));
    while (!fused.empty()) {
      std::optional<MemoryPlan> plan = plan_fused(fused);
      if (!plan) break;
      Judged with = judge(std::move(*plan));
      // Each fused layer against its two layers apart (the apart network's layer i is mapping
      // layer i: one emitted layer each).
      std::set<std::size_t> losers;
      std::size_t emitted = 0;
      for (std::size_t i = 0; i < mapping_.layers.size(); ++i, ++emitted) {
        if (fused.count(i) == 0) continue;
        if (with.figures[emitted] >= apart.figures[i] + apart.figures[i + 1]) losers.insert(i);
        ++i;
      }
      if (losers.empty()) {
        if (with.total < apart.total) {
          with.plan.fusion_candidates = candidates;
          with.plan.tilings_measured += apart.plan.tilings_measured;
          return std::move(with.plan);
        }
        break;
      }
      for (const std::size_t i : losers) fused.erase(i);
    }
    apart.plan.fusion_candidates = candidates;
    return std::move(apart.plan);
  }

 private:
  // The plan with `fused`, less each pair that cannot run fused as planned (found on the
  // predictor's plans, which stage and chunk as the measured ones do, at a fraction of their
  // cost); none when no pair is left.
  std::optional<MemoryPlan> plan_fused(std::set<std::size_t>& fused) const {
    while (!fused.empty()) {
      try {
        MemoryPlan predicted = plan_memory(graph_, mapping_, config_, options_, nullptr, fused);
        if (referee_ == nullptr) return predicted;
        return plan_memory(graph_, mapping_, config_, options_, referee_, fused);
      } catch (const FusionInfeasible& e) {
        for (const std::size_t i : e.depthwise) fused.erase(i);
      }
    }
    return std::nullopt;
  }

  // The plan emitted and run: each layer's measured (or predicted) cycles, or energy.
  Judged judge(MemoryPlan plan) const {
    isa::pulp::Network network;
    emit_network(graph_, mapping_, plan, options_, config_.pulp(), network);
    network.set_l3_image_address(plan.l3_image_address);
    Judged j{std::move(plan), {}, 0};
    const bool energy = options_.tiler == TilerObjective::Energy;
    if (referee_ != nullptr) {
      for (const TilingMeasurement& m : referee_->measure_network(network, config_)) {
        j.figures.push_back(energy ? m.energy_pj : static_cast<double>(m.cycles));
      }
    } else {
      const std::vector<std::uint64_t> cycles = perf::pulp::predict_layer_cycles(network, config_.pulp());
      for (int k = 0; k < network.layers_size(); ++k) {
        const auto c = cycles[static_cast<std::size_t>(k)];
        j.figures.push_back(energy ? perf::pulp::predicted_energy_pj(network.layers(k), config_.pulp(),
                                                                     config_.clock_mhz, c)
                                   : static_cast<double>(c));
      }
    }
    for (const double f : j.figures) j.total += f;
    return j;
  }

  const quant::QGraph& graph_;
  const LayerMapping& mapping_;
  const HwConfig& config_;
  const CompileOptions& options_;
  const TilingReferee* referee_;
};

}  // namespace

MemoryPlan plan_with_fusion(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                            const CompileOptions& options, const TilingReferee* referee) {
  if (options.fusion == Fusion::Off || options.tiler == TilerObjective::Dory) {
    return plan_memory(graph, mapping, config, options, referee);
  }
  return FusionPlanner(graph, mapping, config, options, referee).run();
}

}  // namespace wb::pulp
