#pragma once
// Row tiling: a layer whose buffers do not fit AM together runs in row stripes. The
// largest buffers of the steps that do not fit become DDR-resident: they live in their DDR
// home only, and each layer touching one uploads the rows a stripe reads (with the halo its
// window needs) into an AM stripe buffer and downloads the rows a stripe writes, while the
// layer's other buffers stay whole in AM. Stripes are as tall as AM allows beside the
// layer's whole buffers (and, where possible, beside the buffers live across the step, so
// they need not spill), two stripe buffers per operand so that the tiling engine moves the
// next stripe while the array computes this one.
//
// A DDR-resident buffer is touched only by convs, standalone pools, eltwise adds (the
// instructions that take row ranges) and host layers (a Lut, Mul or Softmax, a conv on the
// host: they read and write DDR anyway, so they run whole and their DDR-resident operands
// take no AM and no transfer). A pool or an add takes all its
// operands over the same rows, so one with an operand whole in AM runs as a single stripe
// (its DDR-resident operands come up whole). A buffer that is streamed or one row high stays
// in AM.
//
// Runs only where a step's own buffers exceed AM: a network that fits compiles as before.
//
// Pre: a BufferPlan and a schedule of its layers. Post: plan.buffers' DDR-resident buffers
// marked (bytes 0), stripe buffers appended (read or written by their layer only),
// plan.tiling set per tiled layer; or a UserError naming the layer that does not fit even
// in its shortest stripes and the smallest AM that compiles the network.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/schedule.h"

namespace wb::xdnn {

struct RowRange {
  std::uint32_t begin = 0, end = 0;  // [begin, end)
  std::uint32_t size() const { return end - begin; }
};

// Rows of the layer's input tensor that its output rows `out` read: through a pipelined
// pool's window and the conv's (a conv layer), the pool's window (a pool layer), the same
// rows (an eltwise add); clipped to the input's `input_height` rows.
RowRange input_rows(const quant::QGraph& graph, const XLayer& layer, RowRange out, std::uint32_t input_height);

// The layer's output height (rows of its output tensor; 1 for an FC's).
std::uint32_t output_rows(const quant::QGraph& graph, const XLayer& layer);

// `layer_names` index by layer, for the error message.
void plan_row_tiling(const quant::QGraph& graph, const LayerMapping& mapping, BufferPlan& plan,
                     const Schedule& schedule, std::uint64_t am_bytes, const std::vector<std::string>& layer_names);

}  // namespace wb::xdnn
