#pragma once
// How a fused depthwise + pointwise pair is tiled (fused_pair.h): every fused tiling that fits
// L1, emitted and timed on the predictor's timeline (perf/pulp/timeline), ranked by the
// objective's figure (cycles; tiler=energy: the predicted energy). With a referee, the
// 1 + measured_tilings best ranked are measured on the cluster model, after the layer the
// network runs before the pair, and the best measured wins (as a layer's tilings: tiling_choice.h).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/pulp/tiling_referee.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct FusedChoice {
  std::optional<FusedTiling> tiling;  // none when no row tile of the pair fits L1
  std::size_t measured = 0;           // tilings the referee measured
  bool overruled_predictor = false;   // one other than the predictor's best won
};

// The best fused tiling of mapping layers `depthwise` and `depthwise + 1` as `plan` has them.
// `before`: the layer the network runs before the pair as emitted (null: the pair is first);
// `referee` null or options.measure_tilings off: the predictor decides alone.
FusedChoice best_fused_tiling(const quant::QGraph& graph, const LayerMapping& mapping, std::size_t depthwise,
                              const MemoryPlan& plan, const HwConfig& config, const CompileOptions& options,
                              const TilingReferee* referee = nullptr, const isa::pulp::Layer* before = nullptr);

}  // namespace wb::pulp
