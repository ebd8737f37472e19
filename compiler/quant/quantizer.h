#pragma once
// Builds the QGraph of a fused float graph from calibration thresholds, by scheme
// (docs/quant.md). Pre-condition: the graph went through quantization_pipeline(scheme).

#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/quant/calibration.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

struct QuantizeOptions {
  Scheme scheme = Scheme::Pow2;
  int bits = 8;              // weights and activations: 8 or 16
  int first_layer_bits = 0;  // first Conv's weights and output; 0: `bits`
  int last_layer_bits = 0;   // last Conv's weights and output; 0: `bits`
};

// The pass pipeline a scheme quantizes after: the default one without fuse-residual-add
// (an Add is its own integer node), plus avgpool-to-depthwise for pow2.
std::string quantization_pipeline(Scheme scheme);

// UserError naming the first node with a NaN or Inf constant input (weights, bias): run
// before calibration, whose tensors such weights would poison. A node computed from constants
// and shapes alone is not checked: run it again after fold-constants, which folds those.
void check_finite_constants(const Graph& graph);

// Every node of a graph after quantization_pipeline(scheme) that the scheme cannot quantize,
// as "name (op): reason", in graph order; empty when the whole graph can be.
std::vector<std::string> unquantizable_nodes(const Graph& graph, const QuantizeOptions& options);

// UserError listing every node the schemes cannot quantize, or naming the tensor whose
// threshold is undefined, or the node whose weights are not finite.
QGraph build_qgraph(const Graph& graph, const Calibrator& calibration, const QuantizeOptions& options);

}  // namespace wb::quant
