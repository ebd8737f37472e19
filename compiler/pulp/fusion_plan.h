#pragma once
// Which depthwise + pointwise pairs run fused (fusion=on; fused_pair.h). Fusing changes the
// plan around a pair (its intermediate leaves L2, so later tensors may stay in L2 instead of
// L3), so pairs are judged in whole networks: the network planned apart and planned with every
// pair that can be fused are both emitted and measured layer by layer (by the referee: the
// cluster model; without one, or with tile_choice=predicted, by the predictor's network
// timeline); a pair whose fused layer is not faster than its two layers apart is dropped and
// the network planned again, until every fused pair pays. The fused network is kept only when
// it is faster in total (tiler=energy: less energy), so fusion=on is never slower than off on
// the model that decides.

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/pulp/tiling_referee.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"

namespace wb::pulp {

// plan_memory, with the pairs that pay fused when options.fusion (tiler=cost or energy).
MemoryPlan plan_with_fusion(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                            const CompileOptions& options, const TilingReferee* referee);

}  // namespace wb::pulp
