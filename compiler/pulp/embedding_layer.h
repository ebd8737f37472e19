#pragma once
// Token ids -> rows of an embedding table on the cluster (KERNEL_EMBEDDING, isa/pulp.proto;
// docs/pulp.md "Embedding"). The rows are picked at run time, so no copy can be written at
// compile time: a step loads its tokens' ids into L1, and the controller core reads each one and
// has the uDMA copy that row of the table (in the L3 image, where every constant lives) straight
// into the output in L2, one transfer per token (Step.row_gather). No core computes; the table
// never comes into L2 whole, so a vocabulary larger than L2 runs. The ids and the output stay
// in L2 (no L3 staging: the compiler names the l2_bytes that holds them).

#include <cstdint>
#include <string>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct EmbeddingGeometry {
  std::uint32_t features = 1;  // bytes of one row (the table's C, int8 or uint8)
  std::uint32_t rows = 1;      // the table's V
  std::uint32_t tokens = 1;    // the output's T
};

EmbeddingGeometry embedding_geometry(const quant::QGraph& graph, const PLayer& layer);

// The layer as the tiler's bookkeeping sees it: T output pixels of C channels in one row.
LayerShape embedding_layer_shape(const EmbeddingGeometry& g);

// The most tokens per tile whose ids fit hw.l1_tile_budget_bytes (DORY's 40 bytes of slack);
// UserError naming the layer when not even one id fits.
TileChoice choose_embedding_tiling(const EmbeddingGeometry& g, const PulpParams& hw, const std::string& layer_name);

// The L1 bytes of its smallest tile (one token's id).
std::uint64_t smallest_embedding_tile_bytes(const EmbeddingGeometry& g);

// The layer's steps (isa::pulp::Step: a load of the ids, a row gather, no kernel call) into
// `out`, for `lp.tile`.
void emit_embedding_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                          const MemoryPlan& plan, isa::pulp::Layer& out);

}  // namespace wb::pulp
