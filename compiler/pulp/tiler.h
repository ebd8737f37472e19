#pragma once
// The L2 -> L1 tiler: tile sizes of C_out, H_out and W_out for one layer (or one L3 chunk of
// it) under the L1 tile budget, with DORY's geometry and memory model: double-buffered input,
// output, weights and constants once there is more than one tile, the per-core im2col
// buffers, and DORY's 40 bytes of slack. Two objectives:
//   dory  DORY's heuristic (L1 occupancy plus bonuses for H_out tiles divisible by 8, W_out
//         by 2, C_out by 4, large C_out, and border tiles of the same shapes) over DORY's
//         search space (C_in never tiled; depthwise: all of H and W up to 32x32, else full W).
//   cost  the fewest cycles as perf/pulp/cost predicts them, over a larger space: also the
//         kernel's parallelisation (Ho / HoWo / Co), W tiles for depthwise layers and, for
//         standard convolutions with 64 or more input channels, input-channel tiles
//         (partial sums in L1). The space contains DORY's choice, which is kept unless
//         something predicts faster.
// When DORY's space has no tiling that fits (DORY exits there), both objectives also tile the
// input channels of a standard convolution, or the columns of a per-pixel layer (an add, lookup,
// gather, product, softmax or layernorm whose one row of pixels does not fit: Swin's patch
// merging normalises 384 channels on 28 columns), the one way such a layer fits at all.
// A grouped convolution (which DORY does not have) is tiled like a standard one, scored by
// DORY's conv objective, except that an output-channel tile holds whole groups and reads the
// input channels of its groups (as a depthwise tile reads its own channels); its input
// channels are never tiled further, and its im2col buffers hold one group's channels.
// A softmax tile holds every channel of its pixels (they normalise together) and is split
// across the cores by rows only (Ho); its L1 holds the input, the output and the exp table
// (no scratch: the kernel looks e up again in its division pass).
// Both searches are exact over their spaces (enumeration with bound pruning) and deterministic.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/pulp/tile_geometry.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// dory: DORY's heuristic; cost: the fewest predicted cycles; energy: the least predicted energy
// (perf/pulp/energy_prediction), each leaving DORY's tiling only for a gain above the kernel's margin.
enum class TilerObjective { Dory, Cost, Energy };
const char* objective_name(TilerObjective objective);

struct TileChoice {
  std::uint32_t c_out = 0, h_out = 0, w_out = 0;  // tile sizes (border tiles are smaller)
  std::uint32_t c_in = 0;  // input channels per tile of a standard conv; 0: all (not tiled)
  // c_out of a grouped conv is a multiple of its group's output channels (whole groups).
  isa::pulp::Parallel parallel = isa::pulp::PARALLEL_HO;
  // A depthwise layer's kernel: the plane kernel (3x3, stride 1 or 2; the cost objective's
  // choice) instead of PULP-NN's window kernel. Its scratch is a padded plane per core.
  bool depthwise_plane = false;
  // DORY's depthwise as its generated code runs it (the dory objective's, docs/pulp.md, "DORY's
  // depthwise layers"): each tile's input transposed to channel-major planes by the cluster DMA,
  // one transfer per channel, and every copy waited for before the code goes on (no overlap).
  bool depthwise_chw = false;
  // The tiles run in DORY 2021's generated layer loop on the cores (the dory objective's, for the
  // kinds DORY's layer template runs: docs/pulp.md, "DORY's tile loop"), not walked by the
  // controller core.
  bool dory_tile_loop = false;
  bool double_buffered = false;
  // KERNEL_MATMUL (compiler/pulp/matmul_layer.h): one slot for b when two do not fit; the next
  // head's b then loads as its first tile starts.
  bool single_b_slot = false;
  std::uint64_t input_bytes = 0, output_bytes = 0, weight_bytes = 0, bias_bytes = 0, im2col_bytes = 0,
                constant_bytes = 0,  // each already doubled when double-buffered
                accumulator_bytes = 0;  // int32 partial sums when c_in is tiled
  std::uint64_t total_bytes = 0;     // the sum + DORY's 40 bytes of slack
  std::uint64_t predicted_cycles = 0;
  std::uint32_t tiles() const;
  std::uint32_t tiles_h = 1, tiles_w = 1, tiles_c = 1, tiles_cin = 1;
};

// Input channels a tile reads: a standard conv's input-channel tile (all when not tiled), a
// grouped conv's those of its groups, every other kind's own output channels.
std::uint32_t tile_input_channels(const LayerShape& shape, const TileChoice& choice);

// L1 bytes of a tiling (fills the byte fields and total_bytes of `choice`).
void size_tile(const LayerShape& shape, int cores, TileChoice& choice);

// Predicted cycles of the whole layer with this tiling: per tile the kernel cost and the
// DMA that brings the next tile in, overlapped as the tile program does.
std::uint64_t predict_cycles(const LayerShape& shape, const TileChoice& choice, const PulpParams& hw);

// The tile of the layer that needs the least L1 (its total_bytes: the smallest
// l1_tile_budget_bytes with which the layer compiles).
TileChoice smallest_tile(const LayerShape& shape, const PulpParams& hw);

// UserError naming `layer_name`, the constraint that fails and the buffers of its smallest
// tile, when nothing fits `hw.l1_tile_budget_bytes`.
TileChoice choose_tiling(const LayerShape& shape, const PulpParams& hw, TilerObjective objective,
                         const std::string& layer_name);

// The `count` tilings of the cost objective's space with the fewest predicted cycles, fewest
// first; `dory` (choose_tiling's Dory result) is in the space. The compiler times each as
// emitted with perf/pulp/timeline (the simulator's code) and keeps the fastest.
std::vector<TileChoice> cost_candidates(const LayerShape& shape, const PulpParams& hw, const TileChoice& dory,
                                        std::size_t count);

}  // namespace wb::pulp
