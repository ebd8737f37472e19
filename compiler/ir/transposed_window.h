#pragma once
// Geometry of ConvTranspose in the IR's canonical form (the frontend writes it): kernel,
// strides, dilations and explicit pads, where output_padding, output_shape and auto_pad have
// become pads. Input pixel i and kernel tap k write output pixel
//     o = i * stride + k * dilation - pad_begin
// and the output extent is (input - 1) * stride + (kernel - 1) * dilation + 1 - pad_begin -
// pad_end. A pad may be negative: the output then reaches beyond the taps' extent, where it
// holds the bias alone (ONNX's output_padding; an output_shape larger than the taps reach).
// Shared by shape inference, op counting, the reference kernel and the lowering pass so they
// cannot disagree.

#include <cstdint>
#include <vector>

#include "compiler/ir/attributes.h"
#include "compiler/ir/tensor.h"

namespace wb {

struct TransposedWindow {
  std::vector<std::int64_t> input;  // spatial input extent per axis
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  std::vector<std::int64_t> output;  // spatial output extent per axis

  std::size_t rank() const { return kernel.size(); }
  // Along one axis: the taps of every output pixel summed, a pixel's taps those that can write
  // it (tap k with k * dilation = pixel + pad_begin mod stride), whether or not the input
  // pixel they read exists: a transposed convolution's MACs counted as a convolution's are,
  // padding taps included (their product over the axes, times the channels).
  std::int64_t output_taps(std::size_t axis) const;
};

// `input_shape` is [N, C, spatial...]; `kernel` has one entry per spatial axis. Reads the
// canonical attributes (strides, dilations, pads). UserError on inconsistent attributes or an
// empty output.
TransposedWindow resolve_transposed_window(const Attributes& attrs, const Shape& input_shape,
                                           std::vector<std::int64_t> kernel);

// ONNX's attributes (output_shape, auto_pad, output_padding, pads) as canonical pads
// [begin..., end...] for an input of spatial extent `input`: output_shape fixes the total
// padding (its odd unit at the end, ONNX's reference), SAME_* make the output input x stride,
// output_padding lowers the end pads. UserError for what ONNX does not define.
std::vector<std::int64_t> canonical_transposed_pads(const Attributes& attrs, const std::vector<std::int64_t>& input,
                                                    const std::vector<std::int64_t>& kernel);

}  // namespace wb
