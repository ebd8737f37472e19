#pragma once
// Tile-program emission: per layer, per L3 chunk, per L1 tile one Step (isa/pulp.proto):
// the chunk's uDMA loads, the tile's own L2 -> L1 copies when nothing prefetched them, the
// next tile's copies (double buffering: input, weights and output buffers alternate), the
// kernel call with the tile's slice of the requantisation, the write-back, and the chunk's
// uDMA stores. Tiles iterate output rows, then columns, then channels, so an input tile stays
// in L1 across the channel tiles of a standard convolution.

#include <vector>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/pulp/tile_copies.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// An L2 (or staged) view of a tensor home of `width` x `channels` pixels, as a tile's copies
// read or write it.
L2View view_of(const TensorHome& home, std::uint32_t width, std::uint32_t channels);

// The kernel call of one tile of `layer` at L1 addresses `at`: the kernel's geometry, the
// operands' types and the tile's slice of the requantisation.
isa::pulp::KernelCall layer_kernel_call(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                                        const TileGeometry& g, const TileAddresses& at);

// A program layer's output: the QGraph `tensor` it writes, its shape, type and home.
void set_layer_output(const quant::QGraph& graph, int tensor, const MemoryPlan& plan, isa::pulp::Layer& out);

// One layer as planned (without the next layer's weight prefetch, which emit_network adds).
isa::pulp::Layer emit_layer(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& plan_of_layer,
                            const MemoryPlan& plan, TilerObjective objective);

// One band of a layer in a patch stage (patch_stage.h): output rows [r0, r0 + rows), every
// channel, its operands read through `input` (and `input_b`: an ADD's second), its output
// written through `output` (views of band buffers, rings, or of homes); its weights loaded from
// L3 into their L2 buffer first when `load_weights`.
struct BandChunk {
  std::uint32_t r0 = 0, rows = 0;
  L2View input, input_b, output;
  bool load_weights = false;
};

// The band's steps, appended to `out` (the stage's program layer). Its last step waits for
// its write-backs: the next layer of the band reads them from L2.
void emit_band_chunk(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& plan_of_layer,
                     const MemoryPlan& plan, const BandChunk& chunk, isa::pulp::Layer& out);

// The next layer's weights and bias as the layer before prefetches them into its L2 buffer
// (when `next.weights_prefetched`): copies the layer before issues as it starts.
std::vector<isa::pulp::DmaCopy> weight_prefetch_copies(const LayerPlan& next, TilerObjective tiler);

// Fills network.layers (a fused pair as one: fused_pair.h), inputs, outputs and the L3 image.
void emit_network(const quant::QGraph& graph, const LayerMapping& mapping, const MemoryPlan& plan,
                  const CompileOptions& options, const PulpParams& hw, isa::pulp::Network& network);

}  // namespace wb::pulp
