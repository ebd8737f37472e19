#pragma once
// How a fused depthwise + pointwise pair is tiled (fused_pair.h): every fused tiling that fits
// L1, emitted and timed on the predictor's timeline (perf/pulp/timeline); the fewest cycles win
// (tiler=energy: the least predicted energy).

#include <cstddef>
#include <optional>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"

namespace wb::pulp {

// The best fused tiling of mapping layers `depthwise` and `depthwise + 1` as `plan` has them;
// none when no row tile of the pair fits L1 beside its weights.
std::optional<FusedTiling> best_fused_tiling(const quant::QGraph& graph, const LayerMapping& mapping,
                                             std::size_t depthwise, const MemoryPlan& plan, const HwConfig& config,
                                             const CompileOptions& options);

}  // namespace wb::pulp
