#pragma once
// A layer's dimensions as the kernels see them (NCHW QTensor -> HWC tiles): its window, its
// second operand's broadcast shape, a gather's channels, a resize's tables, a softmax's mask,
// and per-pixel work on a one-row image turned into one column.

#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/tile_geometry.h"
#include "compiler/quant/qgraph.h"

namespace wb::pulp {

LayerShape layer_shape(const quant::QGraph& graph, const PLayer& layer);

}  // namespace wb::pulp
