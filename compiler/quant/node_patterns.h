#pragma once
// Reading float-graph nodes into QNode fields, shared by the quantizer (fused float graph)
// and the QDQ importer (already-quantized graph) so both read a node the same way.

#include <optional>

#include "compiler/ir/fusion.h"
#include "compiler/ir/graph.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

// A Relu, or a Clip with constant scalar bounds, as an activation; nullopt otherwise.
std::optional<FusedActivation> activation_of(const Node& node);

// Kernel, strides, dilations and pads of a Conv (`kernel` from its weights' shape).
void set_conv_window(QNode& q, const Node& conv, const std::vector<std::int64_t>& kernel);

// Window of a MaxPool, AveragePool or GlobalAveragePool, and the divisor of average pooling.
// UserError for average pooling whose windows divide by different counts.
void set_pool_window(QNode& q, const Node& pool);

}  // namespace wb::quant
