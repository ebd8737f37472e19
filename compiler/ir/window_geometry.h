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

// A Conv over its input with s - 1 zeros inserted between neighbouring pixels along an axis
// (the attribute "input_dilations", not ONNX's: a ConvTranspose as the Conv it is, made by
// conv-transpose-to-conv): the shape its window slides over, [N, C, (extent - 1) * s + 1, ...].
// `input_shape` itself without the attribute. The zeros count as padding does: a tap on one
// is a MAC a convolution counts, and computes nothing.
inline constexpr const char* kInputDilationsAttr = "input_dilations";
Shape dilated_input_shape(const Attributes& attrs, const Shape& input_shape);
bool has_input_dilations(const Attributes& attrs);
// Along one axis of a window over an input with `input_step` - 1 zeros between its pixels: the
// taps of every output summed that fall on a pixel's place (a pixel, or padding where a pixel
// would be), the MACs such a Conv (a ConvTranspose) counts per channel pair along the axis.
// input_step 1: output x kernel.
std::int64_t taps_on_pixels(std::int64_t output, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                            std::int64_t pad_begin, std::int64_t input_step);

// `input_shape` is [N, C, spatial...]; `kernel` has one entry per spatial axis.
// `ceil_mode` rounds the output size up as PyTorch and ONNX do (a window must still start
// inside the input or its leading padding). Throws UserError on inconsistent attributes or
// an empty output.
WindowGeometry resolve_window(const Attributes& attrs, const Shape& input_shape, std::vector<std::int64_t> kernel,
                              bool ceil_mode = false);

}  // namespace wb
