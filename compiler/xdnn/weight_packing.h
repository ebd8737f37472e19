#pragma once
// Weight packing: every conv's weights as the array reads them, [Cout][Cin/groups][kh][kw],
// each value in the conv's weight width (1 or 2 bytes, little-endian), cut into blocks of
// output channels and appended to one blob in schedule order. The blob is the start of DDR
// (ddr_layout.h); emission loads one block into the filter cache per conv instruction.
//
// A block is what the array consumes per pass: a column group of `array.cols` filters
// (dense), one AM word of channels (depthwise), or whole groups (grouped), never more than
// half of the filter cache holds (so the next block's load overlaps this block's compute).
// A conv streaming its input from DDR, and a conv on the host, take all their filters as
// one block. An array without a depthwise mode runs a depthwise conv as dense convs over
// groups of d channels (d the largest divisor of Cin up to array.rows), its weights zero off
// the diagonal.
//
// Pre: a mapping, buffer plan and schedule of the graph. Post: blocks of each conv cover
// its output channels in order, without gaps; a UserError names a conv of which one block
// does not fit half of the filter cache.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/schedule.h"
#include "isa/hw_config.h"

namespace wb::xdnn {

struct WeightBlock {
  std::uint32_t co_begin = 0, co_end = 0;  // output channels [co_begin, co_end)
  std::uint64_t ddr_address = 0, bytes = 0;  // its offset in the blob, which starts DDR
};

// How the array runs one conv layer, and its weight blocks in load order.
struct ConvWeights {
  std::vector<WeightBlock> blocks;
  std::uint32_t groups = 1;  // of the (possibly expanded) conv
  std::uint32_t cin_g = 0, cout_g = 0;
  std::uint32_t weight_bytes = 1;
};

struct PackedWeights {
  std::string blob;
  std::vector<ConvWeights> convs;  // by layer index (no blocks for other layers)
};

PackedWeights pack_weights(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan,
                           const Schedule& schedule, const XdnnParams& hw);

// The weights `w` of a conv as the array reads them, each value in `weight_bytes` bytes.
// `expand_depthwise` > 0 puts depthwise channel co at input channel co % d of a group of
// d = expand_depthwise channels, zero elsewhere; 0 keeps the tensor's own order.
std::string array_weight_bytes(const Tensor& w, std::uint32_t weight_bytes, std::uint32_t cout,
                               std::uint32_t kernel_elements, std::uint32_t expand_depthwise);

}  // namespace wb::xdnn
