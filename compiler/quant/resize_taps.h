#pragma once
// The integer Resize's tables (QNode::resize_rows / resize_cols, compiler/quant/qgraph.h) of
// one axis, from a float Resize's attributes: the quantizer and the QDQ reader both call it,
// so a model and its QDQ file give the same tables.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/attributes.h"
#include "compiler/ir/graph.h"

namespace wb::quant {

// Three numbers per output index along an axis of `in_size` resized to `out_size` by
// `scale` (mode, coordinate_transformation_mode and nearest_mode from `attrs`): the two input
// indices read, clamped to the axis, and the second's weight in Q8, round(fraction * 256).
std::vector<std::int64_t> resize_axis_taps(const Attributes& attrs, std::int64_t in_size, std::int64_t out_size,
                                           double scale);

struct QNode;

// Fills a Resize QNode's tables and attributes from the float Resize `node` (NCHW `in` to
// `out`; its scales input, when constant, else out / in per axis).
void set_resize(QNode& q, const Node& node, const Shape& in, const Shape& out);

}  // namespace wb::quant
