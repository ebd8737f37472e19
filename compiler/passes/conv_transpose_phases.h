#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// A 2-D ConvTranspose (U-Net's and FCN's decoders) as the convolutions it is made of: with
// strides s_h x s_w, the output pixels whose (row, column) fall in one residue class modulo the
// strides (a phase) read the input through one sub-kernel, every s-th tap of the kernel,
// flipped. Each phase is a plain stride-1 Conv of the input (its own pads), its output read
// as one row of pixels; the rows are concatenated along W and one gather of pixels interleaves
// them into the output image (docs/token_layout.md's pixel gathers). The convolutions compute
// exactly the transposed convolution's products (none on inserted zeros, unlike
// upsampling-then-convolving), up to rows a phase computes and the gather drops (pads larger
// than the kernel). Per-channel ops reading the ConvTranspose alone (BatchNormalization, Relu,
// Clip, LeakyRelu) move onto every phase, where fold-batchnorm and fuse-activation fold them
// into its Conv. Left as they are: other ranks, dilations, batches, weights computed at run
// time (the quantizer names them).
class ConvTransposePhasesPass : public Pass {
 public:
  std::string_view name() const override { return "conv-transpose-to-phases"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
