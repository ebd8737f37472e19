#pragma once
// NumPy-style (multidirectional) broadcasting of shapes, as ONNX's elementwise ops use.

#include "compiler/ir/tensor.h"

namespace wb {

// Throws UserError naming both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b);

// True when `from` broadcasts to exactly `to` (unidirectional, as Gemm's C and PRelu's slope).
bool broadcasts_to(const Shape& from, const Shape& to);

// Strides (in elements) that read a tensor of shape `shape` as if it had `target` shape:
// broadcast axes get stride 0. `shape` must broadcast to `target`.
Shape broadcast_strides(const Shape& shape, const Shape& target);

}  // namespace wb
