#pragma once
// Geometry of sliding-window operators (Conv, ConvInteger, QLinearConv, MaxPool,
// AveragePool): resolves kernel, strides, dilations and padding (auto_pad, ceil_mode)
// into explicit per-axis numbers. Shared by shape inference, op counting and the
// reference executors so they cannot disagree.

#include <cstdint>
#include <vector>

#include "compiler/ir/attributes.h"
#include "compiler/ir/tensor.h"

namespace wb {

struct WindowGeometry {
  std::vector<std::int64_t> input;  // spatial input extent per axis
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  std::vector<std::int64_t> output;  // spatial output extent per axis

  std::size_t rank() const { return kernel.size(); }
  std::int64_t kernel_elements() const;
  std::int64_t output_elements() const;
};

// `input_shape` is [N, C, spatial...]; `kernel` has one entry per spatial axis.
// `ceil_mode` rounds the output size up as PyTorch and ONNX do (a window must still start
// inside the input or its leading padding). Throws UserError on inconsistent attributes or
// an empty output.
WindowGeometry resolve_window(const Attributes& attrs, const Shape& input_shape, std::vector<std::int64_t> kernel,
                              bool ceil_mode = false);

}  // namespace wb
