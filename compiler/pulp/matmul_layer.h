#pragma once
// Attention's products on the cluster (KERNEL_MATMUL, isa/pulp.proto; docs/pulp.md "MatMul"):
// the tiling and the tile program of a MatMul node, which the L2 -> L1 tiler of convolutions
// does not describe. A tile is one head's block of query rows:
//   scores   S[k][i][j] = sum over the head's d channels of Q[i][k d + c] K[j][k d + c]: the
//            kernel's a is the block's Q pixels and b the head's K pixels, both d channels wide
//            (strided DMA copies of the head's channels), its output the block's rows of S.
//   context  O[i][k d + c] = sum over keys j of P[k][i][j] V[j][k d + c]: a is the block's rows
//            of P, b the head's V pixels ([keys][d], which the kernel transposes into its
//            scratch once per head: the head's other tiles read that copy, matmul_b_transposed),
//            its output written back into the head's channels of O's pixels.
// Swin's windowed products (matmul_windows W) pair the tokens of one window only: each window's
// head is such a head of L queries and L' keys, its pixels at the window's offset and its rows
// of S and P at (w h + k) L, window-major. Tiles go head by head; a head's b is loaded once, its row blocks double-buffered, the next
// head's b prefetched into the other slot (with one slot, by rows: into it, by the head's second
// tile, V's slot being dead once transposed). Operands and output stay in L2 (no L3 staging yet:
// the compiler names the l2_bytes that holds them).

#include <cstdint>
#include <string>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_plan.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// Per window (Swin's windowed products; one window otherwise): queries and keys are a window's.
struct MatmulGeometry {
  bool scores = true;
  std::uint32_t windows = 1, heads = 1, head_channels = 1, queries = 1, keys = 1;
  // Scores with Swin's relative-position bias [h, L, L'] (int32, the layer's table): a tile's
  // rows of it come into L1 beside its queries and start its sums.
  bool bias = false;
  // A window's head: the unit a tile's rows belong to, window-major as the scores' rows are.
  std::uint32_t groups() const { return windows * heads; }
  std::uint32_t reduction() const { return scores ? head_channels : keys; }  // the kernel's c_in
  std::uint32_t columns() const { return scores ? keys : head_channels; }    // the kernel's c_out
};

MatmulGeometry matmul_geometry(const quant::QGraph& graph, const PLayer& layer);

// The layer as the kernel sees it all at once: windows x heads x queries rows of columns() outputs,
// each reducing reduction() products.
LayerShape matmul_layer_shape(const MatmulGeometry& g);

// The most query rows per tile that fit hw.l1_tile_budget_bytes (with DORY's 40 bytes of slack
// and double buffering once there is more than one tile); UserError naming the layer and the
// budget a one-row tile needs when none fits.
TileChoice choose_matmul_tiling(const MatmulGeometry& g, const PulpParams& hw, const std::string& layer_name);

// The L1 bytes of its smallest tile (one query row, one b slot): the least l1_tile_budget_bytes
// with which it compiles.
std::uint64_t smallest_matmul_tile_bytes(const MatmulGeometry& g);

// The layer's steps (isa::pulp::Step) into `out`, for the tiling in `lp.tile`.
void emit_matmul_steps(const quant::QGraph& graph, const PLayer& layer, const LayerPlan& lp, const MemoryPlan& plan,
                       isa::pulp::Layer& out);

}  // namespace wb::pulp
