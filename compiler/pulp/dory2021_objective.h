#pragma once
// DORY's L2 -> L1 tiling objective as the DORY that produced REFERENCE.md's MobileNetV1-128
// figures computed it: `tiling.py` at dory 6d01e9c (2021), `get_tiling_conv2d_like`, for a
// standard convolution (its DW == 0: conv, pointwise, linear) and a depthwise layer (DW == 1),
// 8-bit, NUM_CORES 8. Its constraints (the tile shapes it considers) and its objective, in its
// own units (the memory in bits x 32 beside bonuses scaled by 32 or 64), which the CP solver
// maximises exactly. Pools, adds and the kinds DORY 2021 did not tile keep the newer objective
// (tiler.cpp). docs/pulp.md, "DORY's generated code".

#include <cstdint>

#include "compiler/pulp/tile_geometry.h"

namespace wb::pulp {

// Whether DORY 2021 scores this kind's tiles (conv, pointwise, linear, depthwise).
bool dory2021_scores(const LayerShape& shape);

// Whether DORY 2021's layer template runs this layer with the code whose loop the cluster model
// runs (sim/pulp/programs/dory_tile_loop.h): convolutions, pointwise and depthwise layers, undilated (its
// linear layers call another kernel with other arguments; pools and adds have templates of their own).
bool runs_dory_layer_template(const LayerShape& shape);

// Whether DORY 2021's constraints admit a tile of h_out x w_out output pixels: the input tile
// of an output tile (`tile_h_out * s == tile_h_in - (fs - 1) + (s - 1)`, inside the unpadded
// input unless the tile is the whole height), its border rule (the last tile no smaller than
// the window), and a depthwise layer's plane kept whole up to 32x32 and whole rows above.
bool dory2021_admits(const LayerShape& shape, std::uint32_t h_out, std::uint32_t w_out);

// DORY 2021's objective for a tile of c_out x h_out x w_out whose buffers take `memory_bytes`
// as DORY counts them (no bias: DORY folds it into lambda; no slack).
std::int64_t dory2021_score(const LayerShape& shape, std::uint32_t c_out, std::uint32_t h_out, std::uint32_t w_out,
                            std::uint64_t memory_bytes);

// An upper bound of dory2021_score over every tile of at most `c_out` output channels whose
// memory is at most `memory_bytes`: the search stops once it is below the best found.
std::int64_t dory2021_bound(const LayerShape& shape, std::uint32_t c_out, std::uint64_t memory_bytes);

}  // namespace wb::pulp
