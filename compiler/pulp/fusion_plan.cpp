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
  bool judged = false;  // figures and total hold the plan's measurement (or prediction)
};

class FusionPlanner {
 public:
  FusionPlanner(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                const CompileOptions& options, const TilingReferee* referee)
      : graph_(graph), mapping_(mapping), config_(config), options_(options),
        referee_(options.measure_tilings ? referee : nullptr) {}

  MemoryPlan run() {
    Judged pairs = with_pairs();
    return with_patch_stage(std::move(pairs));
  }

 private:
  // The plan with the pairs that pay fused (fusion=all: every pair that can, not judged).
  Judged with_pairs() {
    std::set<std::size_t> fused;
    for (std::size_t i = 0; i + 1 < mapping_.layers.size(); ++i) {
      if (fusable_pair(graph_, mapping_, i)) fused.insert(i);
    }
    const std::uint64_t candidates = fused.size();
    if (options_.fusion == Fusion::All) {
      std::optional<MemoryPlan> plan = plan_fused(fused);
      if (!plan) plan = plan_memory(graph_, mapping_, config_, options_, referee_);
      plan->fusion_candidates = candidates;
      return Judged{std::move(*plan), {}, 0, false};
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
          return with;
        }
        break;
      }
      for (const std::size_t i : losers) fused.erase(i);
    }
    apart.plan.fusion_candidates = candidates;
    return apart;
  }

  // `base` with its first layers as a patch stage (patch_stage.h), when `base` reads from L3
  // there and a stage can run: under fusion=all always, under fusion=on when the network with
  // it is faster in total (tiler=energy: less energy). `base` judged already is not judged again.
  MemoryPlan with_patch_stage(Judged judged_base) const {
    MemoryPlan& base = judged_base.plan;
    std::optional<StagedPlan> staged;
    for (const StageExtent& extent : patch_stage_extents(graph_, mapping_, base, l2_bytes())) {
      staged = predicted_stage(base, extent);
      if (staged) break;
    }
    if (!staged) return std::move(base);
    if (referee_ != nullptr) {
      std::optional<MemoryPlan> measured = planned(fused_outside(base, staged->extent), staged->extent, referee_);
      if (!measured) return std::move(base);
      staged->plan = std::move(*measured);
    }
    staged->plan.fusion_candidates = base.fusion_candidates;
    staged->plan.tilings_measured += base.tilings_measured;
    if (options_.fusion == Fusion::All) return std::move(staged->plan);
    Judged with = judge(std::move(staged->plan));
    Judged without = judged_base.judged ? std::move(judged_base) : judge(std::move(base));
    return with.total < without.total ? std::move(with.plan) : std::move(without.plan);
  }

  struct StagedPlan {
    MemoryPlan plan;
    StageExtent extent;
  };

  // The predictor's plan with the stage `extent`, none when it cannot run. The stage moves the
  // plan after it (its output and rings change what fits L2 there): while a layer the stage
  // could still take reads from L3 in the plan with it, it grows to take it (a few rounds at
  // most), as far as the wider stage still plans.
  std::optional<StagedPlan> predicted_stage(const MemoryPlan& base, StageExtent extent) const {
    std::optional<MemoryPlan> plan = planned(fused_outside(base, extent), extent, nullptr);
    if (!plan) return std::nullopt;
    for (int round = 0; round < kStageRounds; ++round) {
      const std::optional<StageExtent> wider = patch_stage_extent(graph_, mapping_, *plan, l2_bytes());
      if (!wider || wider->last <= extent.last) break;
      std::optional<MemoryPlan> grown = planned(fused_outside(base, *wider), *wider, nullptr);
      if (!grown) break;
      plan = std::move(grown);
      extent = *wider;
    }
    return StagedPlan{std::move(*plan), extent};
  }

  std::uint64_t l2_bytes() const { return static_cast<std::uint64_t>(config_.pulp().l2_bytes); }

  // The pairs `base` fuses outside the stage (inside it they run as its layers).
  static std::set<std::size_t> fused_outside(const MemoryPlan& base, StageExtent extent) {
    std::set<std::size_t> fused;
    for (std::size_t i = 0; i < base.layers.size(); ++i) {
      if (base.layers[i].fused_with_next && !extent.contains(i) && !extent.contains(i + 1)) fused.insert(i);
    }
    return fused;
  }

  // The plan with `fused` and the stage `extent`, none when either cannot run as planned.
  std::optional<MemoryPlan> planned(const std::set<std::size_t>& fused, StageExtent extent,
                                    const TilingReferee* referee) const {
    try {
      return plan_memory(graph_, mapping_, config_, options_, referee, fused, extent);
    } catch (const PatchStageInfeasible&) {
      return std::nullopt;
    } catch (const FusionInfeasible&) {
      return std::nullopt;
    }
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
    Judged j{std::move(plan), {}, 0, true};
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
