#pragma once
// The L3 image the compiler writes beside a program: each layer's weights, constant tables and
// constant operands, as the kernels read them. The memory plan places them (their addresses are
// where each lands in the image); this file only lays out their bytes.

#include <cstdint>
#include <string>

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/layer_shape.h"
#include "compiler/quant/qgraph.h"

namespace wb::pulp {

// Every entry starts at a multiple of this (the cluster DMA copies words).
inline constexpr std::uint64_t kL3ImageAlign = 4;

// The weight bytes of one output channel: its filter's taps over the input channels it reads.
std::uint64_t per_channel_weights(const LayerShape& s);

// The layer's weights, [c_out][k_h][k_w][c_in of the filter] int8, then its bias int32
// (little-endian), padded to kL3ImageAlign.
void append_weights(const quant::QGraph& graph, const PLayer& layer, const LayerShape& s, std::string& image);

// A layer's constant table (table_bytes), padded: a LUT's 256 entries as bytes of the output
// type, a GATHER's input channel per output channel as little-endian uint16, a SOFTMAX's 256 exp
// entries (Q16) as little-endian uint32 (then its labels), a RESIZE's row then column taps as 4
// little-endian uint16 each (first, second, weight, 0), a LAYERNORM's gamma multipliers as
// little-endian int32 then its beta offsets as little-endian int64, a MATMUL's relative-position
// bias [h, L, L'] as little-endian int32.
void append_table(const quant::QGraph& graph, const PLayer& layer, const LayerShape& s, std::string& image);

// A constant operand's integers as the kernels read them: the HWC bytes of its pixels
// (pixel_dims; a 3-D constant's rows are already in that order), padded.
void append_constant(const quant::QTensor& t, std::string& image);

}  // namespace wb::pulp
