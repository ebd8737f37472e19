#pragma once
// Per-node work counts, following DESIGN.md §4.4:
//  * macs: multiply-accumulates of Conv/ConvInteger/QLinearConv (N*Cout*out_pixels*Cin/group*kernel)
//    and of Gemm/MatMul/MatMulInteger/QLinearMatMul (batch*M*N*K). These are what MAC/cycle counts.
//  * ops (xfDNN's convention): 2*macs, plus kernel elements per output element for pooling
//    (global pooling: the input's spatial size), plus one per output element for elementwise
//    Add/Sub/Mul/Div/Max/Min (n-1 for an n-input Sum) and for a Conv's fused residual add
//    (so fusion does not change the totals). Activations, normalisation and data
//    movement count no ops: on the accelerators they ride in the array's pipeline.
//  * params: elements of constant weight-like inputs (weights, bias, BN parameters, PRelu slope).

#include <cstdint>

#include "compiler/ir/graph.h"

namespace wb {

struct OpCounts {
  std::int64_t macs = 0;
  std::int64_t ops = 0;
  std::int64_t params = 0;

  OpCounts& operator+=(const OpCounts& other) {
    macs += other.macs;
    ops += other.ops;
    params += other.params;
    return *this;
  }
};

// Requires the node's inputs and outputs to be typed (after infer_shapes); an untyped or
// Unsupported node counts zero.
OpCounts count_node(const Node& node);

// True for the ops whose MACs are convolution MACs (as opposed to fully-connected ones).
bool is_conv_op(OpKind op);
bool is_matmul_op(OpKind op);

}  // namespace wb
