#pragma once
// Why the overlay cannot run a QGraph node, one check per kind of layer: each returns "" when
// the node is legal, else one sentence naming what stops it (map_layers lists it as
// unsupported). The host model's checks are what its instructions are checked against before
// a run, refused here by name instead.

#include <string>

#include "compiler/quant/qgraph.h"

namespace wb::xdnn {

// Attention's products of two activations (scores Q.K^T, context A.V) on the host model.
std::string host_matmul_problem(const quant::QGraph& graph, const quant::QNode& node);
// The DDR engine's copies of whole pixels: a concat along W, a 1x1 max pool, a gather of pixels,
// tokens to an image's rows and back.
std::string pixel_copy_problem(const quant::QGraph& graph, const quant::QNode& node);
// A Lut or Mul on the host model.
std::string host_elementwise_problem(const quant::QGraph& graph, const quant::QNode& node);
// A classifier's softmax over channels, or attention's over the keys, on the host model.
std::string host_softmax_problem(const quant::QGraph& graph, const quant::QNode& node);
std::string host_resize_problem(const quant::QGraph& graph, const quant::QNode& node);
std::string host_layernorm_problem(const quant::QGraph& graph, const quant::QNode& node);
// The DDR engine's copies of runs of channels.
std::string channel_gather_problem(const quant::QGraph& graph, const quant::QNode& node);
// A node every input and output of which the layer takes as it is (a host copy of bytes).
std::string no_problem(const quant::QGraph& graph, const quant::QNode& node);

}  // namespace wb::xdnn
