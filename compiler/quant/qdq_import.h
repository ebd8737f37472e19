#pragma once
// Rebuilds a QGraph from an already-quantized ONNX model in QDQ form (ours, or another
// tool's if it is symmetric), as the frontend imported it: QuantizeLinear/DequantizeLinear
// pairs around Conv, Add, MaxPool, AveragePool, GlobalAveragePool, Concat, Reshape/Flatten,
// with optional Relu/Clip before the QuantizeLinear; and QLinear models: QLinearConv with
// MaxPool/Reshape/Flatten on its integers. Requantisation parameters come from
// the scheme's rules (assign_requant), so a model we wrote comes back identical.

#include <optional>

#include "compiler/ir/graph.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

// True if the graph holds QuantizeLinear, DequantizeLinear or QLinearConv nodes.
bool is_qdq_graph(const Graph& graph);

// `scheme` is the model's wb.scheme metadata if it has one, else the caller's choice.
// UserError naming what does not fit the pattern (non-zero zero points, per-axis
// activations, ops without an integer form), listing all offending nodes.
QGraph import_qdq_graph(const Graph& graph, Scheme scheme);

}  // namespace wb::quant
