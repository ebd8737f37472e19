#pragma once
// One tile of a layer (its geometry: tile_geometry.h): its kernel call and the DMA copies
// that bring its operands into L1 and take its output out. The tiler's prediction and the
// emitted program both build tiles here, so the copies the tiler costs are the copies the
// simulator runs.

#include <cstdint>
#include <vector>

#include "compiler/pulp/tile_geometry.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

// Where the operands live. An L2 activation view holds rows [row0, ...) of an HWC tensor of
// `width` x `channels`; weights are [c][k_h][k_w][c_in] (depthwise [c][k_h][k_w], grouped
// [c][k_h][k_w][c_in / groups]) starting at
// the view's first channel `weights_c0`, bias int32 [c] likewise.
struct L2View {
  std::uint64_t address = 0;
  std::uint32_t row0 = 0, width = 1, channels = 1, c0 = 0;
  isa::pulp::Memory memory = isa::pulp::MEMORY_L2;
  // A ring of this many rows (a patch stage's band buffer, patch_stage.h): row r is at slot
  // r % ring_rows, row0 unused; 0: rows from row0 on, in order.
  std::uint32_t ring_rows = 0;
};
struct TileAddresses {
  L2View input, input_b, output;
  std::uint64_t weights = 0, bias = 0;
  std::uint32_t weights_c0 = 0;
  std::uint64_t l1_input = 0, l1_input_b = 0, l1_output = 0, l1_weights = 0, l1_bias = 0, l1_im2col = 0,
                l1_accumulator = 0;
};

// Addresses for a layer held whole in L2 at 0 (the tiler's costing: only sizes and strides matter).
TileAddresses costing_addresses(const LayerShape& shape);

// The kernel call of a tile (L1 addresses from `at`; requant and signedness are the caller's).
// A tile of some of a standard convolution's input channels accumulates partial sums.
// `depthwise_plane`: a depthwise tile runs the plane kernel (TileChoice::depthwise_plane);
// `input_chw`: its input tile is channel-major (TileChoice::depthwise_chw).
isa::pulp::KernelCall tile_kernel_call(const LayerShape& shape, const TileGeometry& g, isa::pulp::Parallel parallel,
                                       const TileAddresses& at = {}, bool depthwise_plane = false,
                                       bool input_chw = false);

// L2 -> L1 copies of a tile's input(s) (when `input`: ADD's second operand alike, MUL's the
// slice of its broadcast operand the tile reads) and weights + bias (when `weights`; a LUT's
// 256-byte table from `at.weights`). `input_chw`: the input as channel-major planes
// (depthwise_chw_copies).
std::vector<isa::pulp::DmaCopy> tile_input_copies(const LayerShape& shape, const TileGeometry& g, bool input,
                                                  bool weights, const TileAddresses& at, bool input_chw = false);
inline std::vector<isa::pulp::DmaCopy> tile_input_copies(const LayerShape& shape, const TileGeometry& g, bool input,
                                                         bool weights) {
  return tile_input_copies(shape, g, input, weights, costing_addresses(shape));
}

// L1 -> L2 copy of a tile's output.
isa::pulp::DmaCopy tile_output_copy(const LayerShape& shape, const TileGeometry& g, const TileAddresses& at);
// The same into a view that may be a ring: two copies where the tile's rows wrap around it.
std::vector<isa::pulp::DmaCopy> tile_output_copies(const LayerShape& shape, const TileGeometry& g,
                                                   const TileAddresses& at);
inline isa::pulp::DmaCopy tile_output_copy(const LayerShape& shape, const TileGeometry& g) {
  return tile_output_copy(shape, g, costing_addresses(shape));
}

// DORY's depthwise input (its dory_dma_memcpy_3d_custom_hwc_to_chw): rows x cols x channels of
// an HWC view into channel-major planes at `l1`, one copy per channel whose chunks are single
// bytes `channels` apart in L2 (one 2-D transfer per channel on the cluster DMA).
std::vector<isa::pulp::DmaCopy> depthwise_chw_copies(const L2View& view, std::uint32_t row, std::uint32_t col,
                                                     std::uint32_t c, std::uint32_t rows, std::uint32_t cols,
                                                     std::uint32_t cs, std::uint64_t l1);

// rows x cols x channels of an HWC view as hwc_block_copy copies them, in two copies where the
// rows wrap around a ring view (the dense block's rows stay in order).
std::vector<isa::pulp::DmaCopy> hwc_block_copies(const L2View& view, std::uint32_t row, std::uint32_t col,
                                                 std::uint32_t c, std::uint32_t rows, std::uint32_t cols,
                                                 std::uint32_t cs, std::uint64_t l1, bool to_l1);

// A copy of rows x cols x channels of an HWC view into a dense block at `l1` of `near_memory`
// (or back, when !to_l1); of a ring view, rows that do not wrap.
isa::pulp::DmaCopy hwc_block_copy(const L2View& view, std::uint32_t row, std::uint32_t col, std::uint32_t c,
                                  std::uint32_t rows, std::uint32_t cols, std::uint32_t cs, std::uint64_t l1,
                                  bool to_l1, isa::pulp::Memory near_memory = isa::pulp::MEMORY_L1);

}  // namespace wb::pulp
