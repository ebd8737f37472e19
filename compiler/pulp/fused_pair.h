#pragma once
// Depth-first fusion of a depthwise layer with the pointwise layer that reads its output
// (--compile-opt fusion=on; docs/pulp.md, "Fused depthwise + pointwise"): the pair runs as one
// program layer, tile by tile over output rows. Each row tile is a depthwise step, whose output
// (all channels of those rows, every column) stays in L1, then pointwise steps (one per tile of
// its output channels) that read it and write their output back to L2. The depthwise output
// never goes to L2 and back, as in Daghero et al. 2024's fusion on GAP8. The pointwise layer's
// window is 1x1, so a row tile of its input is exactly the depthwise row tile: nothing is
// recomputed and no halo is kept. The pointwise weights stay in L1 when they fit beside the
// tiles; else each row tile streams them again in channel tiles (the price the tiler weighs).

#include <cstddef>
#include <vector>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// Whether mapping layers i and i + 1 may run fused: a depthwise layer whose output only the
// pointwise layer right after it reads (not a network output, not a concat's slice), the
// pointwise layer's window 1x1, stride 1, unpadded.
bool fusable_pair(const quant::QGraph& graph, const LayerMapping& mapping, std::size_t i);

// Whether the two layers' plans allow it: each in one L3 chunk, nothing staged through L2.
bool fusable_plans(const LayerPlan& depthwise, const LayerPlan& pointwise);

// The fused tilings that fit hw.l1_tile_budget_bytes, for every balanced row count: the most
// pointwise channels per step that fit beside its row tiles (the fewest weight reloads) and,
// when fewer, the most whole 4-channel blocks of the pointwise kernel, each with every variant
// of the pointwise kernel's parallelism; none when no row fits.
std::vector<FusedTiling> fused_tilings(const LayerPlan& depthwise, const LayerPlan& pointwise, const PulpParams& hw);

// The pair as one program layer (its output the pointwise layer's); predicted_cycles as given.
isa::pulp::Layer emit_fused_pair(const quant::QGraph& graph, const PLayer& depthwise, const LayerPlan& dw_plan,
                                 const PLayer& pointwise, const LayerPlan& pw_plan, const MemoryPlan& plan,
                                 const FusedTiling& tiling, TilerObjective objective, const PulpParams& hw);

}  // namespace wb::pulp
