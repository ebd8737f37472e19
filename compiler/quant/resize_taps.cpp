#include "compiler/quant/resize_taps.h"

#include <algorithm>
#include <cmath>

#include "compiler/ir/resize_coordinates.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

std::vector<std::int64_t> resize_axis_taps(const Attributes& attrs, std::int64_t in_size, std::int64_t out_size,
                                           double scale) {
  const std::string mode = attrs.get_string("mode", "nearest");
  const std::string coordinates = attrs.get_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest = attrs.get_string("nearest_mode", "round_prefer_floor");
  const std::int64_t last = in_size - 1;
  std::vector<std::int64_t> taps;
  taps.reserve(static_cast<std::size_t>(3 * out_size));
  for (std::int64_t o = 0; o < out_size; ++o) {
    const double s = resize_source(coordinates, o, scale, in_size, out_size);
    if (mode != "linear") {
      const std::int64_t i = std::clamp<std::int64_t>(resize_nearest(nearest, s), 0, last);
      taps.insert(taps.end(), {i, i, 0});
      continue;
    }
    const double below = std::floor(s);
    const auto i0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(below), 0, last);
    const auto i1 = std::clamp<std::int64_t>(static_cast<std::int64_t>(below) + 1, 0, last);
    const auto weight = i0 == i1 ? std::int64_t{0}
                                 : static_cast<std::int64_t>(std::floor((s - below) * (1 << kResizeWeightBits) + 0.5));
    taps.insert(taps.end(), {i0, i1, weight});
  }
  return taps;
}

void set_resize(QNode& q, const Node& node, const Shape& in, const Shape& out) {
  const Tensor* scales = node.constant_input(2);
  for (const std::size_t axis : {std::size_t{2}, std::size_t{3}}) {
    // A scale from sizes is rounded to float32, as the QDQ file's scales input will hold it.
    q.resize_scales.push_back(
        scales != nullptr && scales->numel() == 4
            ? scales->as_double(static_cast<std::int64_t>(axis))
            : static_cast<double>(static_cast<float>(static_cast<double>(out[axis]) / static_cast<double>(in[axis]))));
  }
  q.resize_rows = resize_axis_taps(node.attrs, in[2], out[2], q.resize_scales[0]);
  q.resize_cols = resize_axis_taps(node.attrs, in[3], out[3], q.resize_scales[1]);
  q.resize_mode = node.attrs.get_string("mode", "nearest");
  q.resize_coordinate_mode = node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  q.resize_nearest_mode = node.attrs.get_string("nearest_mode", "round_prefer_floor");
}

}  // namespace wb::quant
