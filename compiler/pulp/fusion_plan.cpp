#include "compiler/pulp/fusion_plan.h"

#include <optional>
#include <set>
#include <vector>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/fused_pair.h"
#include "compiler/pulp/memory_plan.h"
#include "compiler/pulp/patch_stage.h"
#include "perf/pulp/energy_prediction.h"
#include "perf/pulp/network_prediction.h"

namespace wb::pulp {

namespace {

// How many times a patch stage may grow to take the layers its own plan sends to L3.
constexpr int kStageRounds = 4;

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
    MemoryPlan pairs = with_pairs();
    return with_patch_stage(std::move(pairs));
  }

 private:
  // The plan with the pairs that pay fused (fusion=all: every pair that can).
  MemoryPlan with_pairs() {
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

  // `base` with its first layers as a patch stage (patch_stage.h), when `base` reads from L3
  // there and the stage can run: under fusion=all always, under fusion=on when the network
  // with it is faster in total (tiler=energy: less energy). Fused pairs inside the stage run
  // as its layers.
  MemoryPlan with_patch_stage(MemoryPlan base) const {
    std::optional<StageExtent> extent = patch_stage_extent(graph_, mapping_, base);
    if (!extent) return base;
    std::set<std::size_t> fused;
    std::optional<MemoryPlan> staged;
    try {
      // The stage moves the plan after it (its output and rings change what fits L2 there):
      // while a layer the stage could still take reads from L3 in the plan with it, it grows to
      // take it (the predictor's plans; a few rounds at most).
      for (int round = 0; round < kStageRounds; ++round) {
        fused.clear();
        for (std::size_t i = 0; i < base.layers.size(); ++i) {
          if (base.layers[i].fused_with_next && !extent->contains(i) && !extent->contains(i + 1)) fused.insert(i);
        }
        staged = plan_memory(graph_, mapping_, config_, options_, nullptr, fused, extent);
        const std::optional<StageExtent> wider = patch_stage_extent(graph_, mapping_, *staged);
        if (!wider || wider->last <= extent->last) break;
        extent = wider;
      }
      if (referee_ != nullptr) staged = plan_memory(graph_, mapping_, config_, options_, referee_, fused, extent);
    } catch (const PatchStageInfeasible&) {
      return base;
    } catch (const FusionInfeasible&) {
      return base;
    }
    staged->fusion_candidates = base.fusion_candidates;
    staged->tilings_measured += base.tilings_measured;
    if (options_.fusion == Fusion::All) return std::move(*staged);
    Judged with = judge(std::move(*staged));
    Judged without = judge(std::move(base));
    return with.total < without.total ? std::move(with.plan) : std::move(without.plan);
  }

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
