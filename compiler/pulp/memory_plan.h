#pragma once
// Where every tensor lives and how each layer is cut, before any instruction is emitted.
// Activations get an L2 home for their lifetime (first fit, freed after the last reader, so a
// residual input stays until its add; a concat's from its first input's producer to its last
// reader, its inputs being slices of it); one that does not fit while leaving room for the
// layer's weights goes to L3, and the layers reading or writing it are cut into chunks of
// output rows that pass through L2 staging buffers (DORY's L3 tiling). Weights live in L3 and
// come into an L2 buffer per layer, the whole layer's when it fits (loaded during the previous
// layer with weight_prefetch), else in chunks of output channels.

#include <cstddef>
#include <optional>
#include <set>
#include <stdexcept>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/pulp/layer_shape.h"
#include "compiler/pulp/patch_stage.h"
#include "compiler/pulp/tiler.h"
#include "compiler/pulp/tiling_referee.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "support/error.h"

namespace wb::pulp {

// A layer that tiles itself (attention's product, a gather of pixels: self_tiled_layers.h) whose
// operands or output L2 does not hold: its tiles are not staged through L3. `estimate` is
// l2_bytes plus those tensors' bytes, a first guess only: more L2 also keeps earlier tensors in
// it (compile_pulp searches for an l2_bytes that works).
struct OperandsOutsideL2 : UserError {
  OperandsOutsideL2(const std::string& layer, isa::pulp::KernelKind kind, std::int64_t l2_bytes, std::int64_t estimate);
  std::string layer;
  std::int64_t estimate = 0;
};

// Pairs plan_memory was asked to fuse that cannot run fused as planned (a layer staged through
// L2 or cut into L3 chunks, or no row tile fitting L1): plan again without them.
struct FusionInfeasible : std::runtime_error {
  explicit FusionInfeasible(std::set<std::size_t> depthwise_layers);
  std::set<std::size_t> depthwise;
};

// UserError naming the layer when it does not fit L2 even in one-row chunks, or when a
// layer's tiles do not fit L1 (from choose_tiling); OperandsOutsideL2 as above. `referee`
// (may be null: the predictor decides) measures tiler=cost/energy's candidate tilings (not of
// fused layers: fusion_plan.h measures those). `fused`: the mapping indices of depthwise layers
// that run fused with the pointwise layer after them (fused_pair.h), their output never in L2;
// FusionInfeasible for one that cannot. `stage`: layers run as one patch stage
// (patch_stage.h); PatchStageInfeasible when they cannot.
MemoryPlan plan_memory(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                       const CompileOptions& options, const TilingReferee* referee = nullptr,
                       const std::set<std::size_t>& fused = {}, const std::optional<StageExtent>& stage = std::nullopt);

}  // namespace wb::pulp
