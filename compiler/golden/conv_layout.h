#pragma once
// Convolution geometry seen as 2-D (a 1-D window is a 2-D one of height 1) and the
// im2col transform the float and integer convolution kernels share.

#include <cstdint>

#include "compiler/ir/graph.h"
#include "compiler/ir/window_geometry.h"

namespace wb::golden {

struct Conv2D {
  std::int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  std::int64_t out_channels = 0, out_h = 0, out_w = 0;
  std::int64_t kernel_h = 0, kernel_w = 0;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;
  std::int64_t pad_bottom = 0, pad_right = 0;  // only oneDNN needs these; the loops stop at out_h/out_w
  std::int64_t group = 1;

  bool operator==(const Conv2D&) const = default;

  std::int64_t group_in_channels() const { return in_channels / group; }
  std::int64_t group_out_channels() const { return out_channels / group; }
  std::int64_t patch_size() const { return group_in_channels() * kernel_h * kernel_w; }  // rows of the col matrix
  std::int64_t out_pixels() const { return out_h * out_w; }
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0;
  }
};

// `weight_shape` is [M, C/group, k...]; the node's attributes give the rest.
Conv2D make_conv2d(const Node& node, const Shape& input_shape, const Shape& weight_shape);

// Same view for a pooling window (out_channels = in_channels, group = channels).
Conv2D make_pool2d(const WindowGeometry& geometry, const Shape& input_shape);

// Writes the [patch_size x out_pixels] column matrix (row-major) of one group of one image:
// col[(c*kh + ky)*kw + kx][oy*ow + ox] = convert(image[c][iy][ix]), `padding` outside.
// `image` points at the group's first input channel.
template <class In, class Out, class Convert>
void im2col(const Conv2D& conv, const In* image, Out* col, Out padding, Convert convert) {
  const std::int64_t rows = conv.patch_size();
  const std::int64_t kernel_area = conv.kernel_h * conv.kernel_w;
#pragma omp parallel for schedule(static)
  for (std::int64_t row = 0; row < rows; ++row) {
    const std::int64_t c = row / kernel_area;
    const std::int64_t ky = (row / conv.kernel_w) % conv.kernel_h;
    const std::int64_t kx = row % conv.kernel_w;
    const In* plane = image + c * conv.in_h * conv.in_w;
    Out* out = col + row * conv.out_pixels();
    for (std::int64_t oy = 0; oy < conv.out_h; ++oy) {
      const std::int64_t iy = oy * conv.stride_h - conv.pad_top + ky * conv.dilation_h;
      Out* out_row = out + oy * conv.out_w;
      if (iy < 0 || iy >= conv.in_h) {
        for (std::int64_t ox = 0; ox < conv.out_w; ++ox) out_row[ox] = padding;
        continue;
      }
      const In* in_row = plane + iy * conv.in_w;
      const std::int64_t offset = kx * conv.dilation_w - conv.pad_left;
      for (std::int64_t ox = 0; ox < conv.out_w; ++ox) {
        const std::int64_t ix = ox * conv.stride_w + offset;
        out_row[ox] = (ix >= 0 && ix < conv.in_w) ? convert(in_row[ix]) : padding;
      }
    }
  }
}

}  // namespace wb::golden
