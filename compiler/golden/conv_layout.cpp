#include "compiler/golden/conv_layout.h"

namespace wb::golden {

namespace {

Conv2D from_geometry(const WindowGeometry& g, const Shape& input_shape) {
  Conv2D conv;
  const bool one_d = g.rank() == 1;
  conv.batch = input_shape[0];
  conv.in_channels = input_shape[1];
  conv.in_h = one_d ? 1 : g.input[0];
  conv.in_w = g.input[one_d ? 0 : 1];
  conv.out_h = one_d ? 1 : g.output[0];
  conv.out_w = g.output[one_d ? 0 : 1];
  conv.kernel_h = one_d ? 1 : g.kernel[0];
  conv.kernel_w = g.kernel[one_d ? 0 : 1];
  conv.stride_h = one_d ? 1 : g.strides[0];
  conv.stride_w = g.strides[one_d ? 0 : 1];
  conv.dilation_h = one_d ? 1 : g.dilations[0];
  conv.dilation_w = g.dilations[one_d ? 0 : 1];
  conv.pad_top = one_d ? 0 : g.pads_begin[0];
  conv.pad_left = g.pads_begin[one_d ? 0 : 1];
  conv.pad_bottom = one_d ? 0 : g.pads_end[0];
  conv.pad_right = g.pads_end[one_d ? 0 : 1];
  return conv;
}

}  // namespace

Conv2D make_conv2d(const Node& node, const Shape& input_shape, const Shape& weight_shape) {
  const WindowGeometry g =
      resolve_window(node.attrs, input_shape, std::vector<std::int64_t>(weight_shape.begin() + 2, weight_shape.end()));
  Conv2D conv = from_geometry(g, input_shape);
  conv.out_channels = weight_shape[0];
  conv.group = node.attrs.get_int("group", 1);
  return conv;
}

Conv2D make_pool2d(const WindowGeometry& geometry, const Shape& input_shape) {
  Conv2D conv = from_geometry(geometry, input_shape);
  conv.out_channels = conv.in_channels;
  conv.group = conv.in_channels;
  return conv;
}

}  // namespace wb::golden
