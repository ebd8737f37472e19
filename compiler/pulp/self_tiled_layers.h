#pragma once
// The layers that tile themselves rather than through the L2 -> L1 tiler of convolutions
// (tiler.h): attention's products (matmul_layer.h), gathers of pixels (pixel_gather_layer.h) and
// embeddings of token ids (embedding_layer.h).
// Each has its own tiling and tile program; their operands and output stay in L2. The memory
// planner and emission reach them through these five functions alone.

#include <cstdint>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

bool tiles_itself(isa::pulp::KernelKind kind);

// For a layer of a kind tiles_itself says true of:
LayerShape self_tiled_layer_shape(const quant::QGraph& graph, const PLayer& layer);
// UserError naming the layer and the budget its smallest tile needs when none fits.
TileChoice choose_self_tiling(const quant::QGraph& graph, const PLayer& layer, const PulpParams& hw);
std::uint64_t smallest_self_tile_bytes(const quant::QGraph& graph, const PLayer& layer);
void emit_self_tiled_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                           const MemoryPlan& plan, isa::pulp::Layer& out);

}  // namespace wb::pulp
