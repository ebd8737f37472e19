#pragma once
// A transposed convolution on the cluster: the QGraph's Conv over a zero-inserted input
// (QNode::input_dilations, what a ConvTranspose became) as the convolutions it is made of.
// With input dilation s (per axis), the output pixels o whose (P - o) mod s is the same (a
// phase; P the conv's leading pad) meet input pixels through the same taps, every s-th of the
// kernel: each phase is a plain stride-1 Conv of the undilated input with that sub-kernel
// (PULP-NN's kernels, no inserted zeros multiplied), its output read as one row of pixels; the
// rows are concatenated along W and one gather of pixels (a KERNEL_PIXEL_COPY layer, the
// cluster DMA) interleaves them into the conv's output tensor. The integer arithmetic is the
// conv's: the same products, bias, requantisation and clamp per output channel, so the golden
// model's direct conv checks the lowering bit for bit (docs/pulp.md, "Transposed
// convolutions").

#include <string>

#include "compiler/quant/qgraph.h"

namespace wb::pulp {

// The graph with every input-dilated conv lowered to its phases (the others as they are). A
// phase whose taps all fall on inserted zeros is a 1x1 conv of zero weights: its pixels are
// the bias, requantised.
quant::QGraph with_deconv_phases(const quant::QGraph& graph);

// Why the lowering cannot take this input-dilated conv ("" when it can): a stride or kernel
// dilation besides the input dilation.
std::string deconv_phases_problem(const quant::QNode& node);

}  // namespace wb::pulp
