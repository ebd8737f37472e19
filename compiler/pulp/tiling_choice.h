#pragma once
// Which of a layer's candidate tilings tiler=cost or energy keeps (docs/pulp.md, "Tilings chosen
// by measurement"): the predictor ranks the trials by the objective's figure; a referee, when
// there is one, measures DORY's tiling and the `measured_tilings` best ranked, each after the
// layer the network runs before it, and the best measured wins.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/pulp/tiling_referee.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"

namespace wb::pulp {

// Whether two tilings cut and run a layer of `c_in` input channels the same way (the cost space
// holds DORY's too, and "all input channels" twice: as 0 and as c_in).
bool same_tiling(const TileChoice& a, const TileChoice& b, std::uint32_t c_in);

struct TrialContext {
  const quant::QGraph& graph;
  const PLayer& layer;
  const PLayer* layer_before;      // the layer the network runs before it (null: the first)
  const LayerPlan* plan_before;    // and its plan
  const MemoryPlan& plan;          // the plan so far (homes, L3 image)
  const HwConfig& config;
  const CompileOptions& options;
  const TilingReferee* referee;    // null: the predictor decides alone
  // The layer before as the network emits it, when that is not layer_before alone (a fused
  // pair whose pointwise layer is layer_before); null: layer_before emitted as planned.
  const isa::pulp::Layer* emitted_before = nullptr;
};

struct TrialChoice {
  std::size_t index = 0;             // into the trials
  std::size_t measured = 0;          // trials the referee measured
  bool overruled_predictor = false;  // a trial other than the predictor's best won
};

// `trials[0]` is DORY's tiling, each trial's tile timed on the predictor (predicted_cycles).
// Ties go to the better predicted, then to DORY's. std::logic_error when the referee returns
// another number of measurements than trials it was given.
TrialChoice choose_trial(const TrialContext& context, const std::vector<LayerPlan>& trials);

}  // namespace wb::pulp
