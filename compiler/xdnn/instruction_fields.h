#pragma once
// The fields of xDNN instructions that come straight from a QGraph node: its window, a row
// stripe's window, and the requant of a range of its output channels.

#include <cstddef>
#include <cstdint>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/row_tiling.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

// The node's kernel, strides, padding and dilations.
isa::xdnn::Window window_of(const quant::QNode& node);

// The node's window over input rows [in_begin, in_end) for output rows `out`: the padding a
// stripe's top and bottom edges take is what the whole tensor's window has there (none
// inside the tensor).
isa::xdnn::Window window_of_rows(const quant::QNode& node, RowRange out, std::uint32_t in_begin, std::uint32_t in_end);

// The requant of output channels [begin, end) of a `channels`-channel output: each vector
// sliced when it has one entry per channel, taken whole when it has one for all.
// A LayerNorm's parameters as the host instruction carries them (isa/program_common.proto).
isa::LayerNorm layernorm_of(const quant::LayerNormParams& params);

isa::Requant requant_of(const quant::Requant& requant, std::size_t begin, std::size_t end, std::size_t channels);

}  // namespace wb::xdnn
