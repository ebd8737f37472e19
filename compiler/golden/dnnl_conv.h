#pragma once
// Float32 convolution through oneDNN (the reference executor's hot path on real networks).

#include "compiler/golden/conv_layout.h"
#include "compiler/ir/fusion.h"
#include "compiler/ir/graph.h"

namespace wb::golden {

// y = activation(conv(x, w) + bias) for NCHW x and y, OIHW w (bias may be null). Returns false,
// writing nothing, when oneDNN has no implementation for this convolution; the caller then
// runs its own loops. The prepared primitive, and the weights in its layout when
// `weights_constant`, are kept in the running executor's KernelCache under `node`.
bool dnnl_conv_f32(const Node& node, const Conv2D& conv, const float* x, const float* w, bool weights_constant,
                   const float* bias, const FusedActivation& activation, float* y);

}  // namespace wb::golden
