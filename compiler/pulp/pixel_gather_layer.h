#pragma once
// Swin's moved pixels on the cluster (KERNEL_PIXEL_COPY, isa/pulp.proto; docs/pulp.md "Pixel
// gather"): a PixelGather is data movement only, so DORY's way is the cluster DMA and no core
// work. A tile is n consecutive output pixels: its load copies are the runs of consecutive
// input pixels (quant::pixel_runs: a row of one of Swin's windows) that fill them, each one
// transfer into L1 in output order, and its write-back is the tile, one transfer back to L2.
// Three L1 slots: a tile's loads are issued before its step waits, and the step rule (a step
// waits for the write-backs issued two steps before it) leaves the slot of three tiles back
// free by then. Input and output stay in L2 (no L3 staging: the compiler names the l2_bytes
// that holds them).

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "compiler/quant/qgraph_queries.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct PixelGatherGeometry {
  std::uint32_t channels = 1;
  std::uint32_t in_height = 1, in_width = 1, out_height = 1, out_width = 1;
  std::uint32_t out_pixels() const { return out_height * out_width; }
  std::vector<quant::PixelRun> runs;  // in output order
};

PixelGatherGeometry pixel_gather_geometry(const quant::QGraph& graph, const PLayer& layer);

// The layer as the tiler's bookkeeping sees it: the input's and output's H x W of C channels.
LayerShape pixel_gather_layer_shape(const PixelGatherGeometry& g);

// The most output pixels per tile that fit hw.l1_tile_budget_bytes (three slots once there is
// more than one tile, DORY's 40 bytes of slack); UserError naming the layer and the budget a
// one-pixel tile needs when none fits.
TileChoice choose_pixel_gather_tiling(const PixelGatherGeometry& g, const PulpParams& hw, const std::string& layer_name);

// The L1 bytes of its smallest tile (one pixel, three slots).
std::uint64_t smallest_pixel_gather_tile_bytes(const PixelGatherGeometry& g);

// The layer's steps (isa::pulp::Step, none with a kernel call) into `out`, for `lp.tile`.
void emit_pixel_gather_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp,
                             const MemoryPlan& plan, isa::pulp::Layer& out);

}  // namespace wb::pulp
