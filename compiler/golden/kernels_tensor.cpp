// Data movement: Identity/Dropout/Reshape/Flatten, Concat, Transpose, Pad, Resize (nearest and
// linear).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "compiler/golden/index_iteration.h"
#include "compiler/golden/kernels.h"
#include "compiler/ir/resize_coordinates.h"
#include "compiler/ir/shape_inference.h"
#include "support/error.h"

namespace wb::golden {
namespace {

std::int64_t reflect_index(std::int64_t i, std::int64_t size) {
  if (size == 1) return 0;
  const std::int64_t period = 2 * (size - 1);
  i = ((i % period) + period) % period;
  return i < size ? i : period - i;
}

}  // namespace

void run_copy(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  outputs[0] = inputs[0]->reshaped(outputs[0].shape());
  if (node.op == OpKind::Dropout && outputs.size() > 1) {
    bool* mask = outputs[1].data<bool>();
    std::fill(mask, mask + outputs[1].numel(), true);  // inference: nothing is dropped
  }
}

void run_concat(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  Tensor& y = outputs[0];
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), y.rank());
  std::int64_t outer = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= y.shape()[d];
  const std::size_t out_row = y.nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(outer, 1));
  std::size_t column = 0;
  for (const Tensor* in : inputs) {
    const std::size_t in_row = in->nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(outer, 1));
    for (std::int64_t o = 0; o < outer && in_row > 0; ++o) {
      std::memcpy(y.raw() + static_cast<std::size_t>(o) * out_row + column, in->raw() + static_cast<std::size_t>(o) * in_row, in_row);
    }
    column += in_row;
  }
}

void run_transpose(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  std::vector<std::int64_t> reversed(static_cast<std::size_t>(x.rank()));
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  const auto perm = node.attrs.get_ints("perm", reversed);
  const Shape in_strides = row_major_strides(x.shape());
  Shape strides(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) strides[i] = in_strides[static_cast<std::size_t>(perm[i])];
  gather_strided(x, y, 0, strides);
}

void run_pad(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const auto pads = inputs[1]->to_int64_vector();
  const std::string mode = node.attrs.get_string("mode", "constant");
  const std::size_t rank = x.shape().size();
  const std::size_t elem = dtype_size(x.dtype());
  const Tensor* value = inputs.size() > 2 ? inputs[2] : nullptr;
  std::vector<std::byte> fill(elem, std::byte{0});
  if (value != nullptr && value->numel() > 0) std::memcpy(fill.data(), value->raw(), elem);
  const Shape in_strides = row_major_strides(x.shape());
  for_each_index(y.shape(), [&](std::int64_t offset, const std::vector<std::int64_t>& index) {
    std::int64_t src = 0;
    bool outside = false;
    for (std::size_t d = 0; d < rank; ++d) {
      std::int64_t i = index[d] - pads[d];
      const std::int64_t size = x.shape()[d];
      if (i < 0 || i >= size) {
        if (mode == "constant") outside = true;
        else if (mode == "edge") i = std::clamp<std::int64_t>(i, 0, size - 1);
        else i = reflect_index(i, size);
      }
      src += i * in_strides[d];
    }
    std::byte* dst = y.raw() + static_cast<std::size_t>(offset) * elem;
    if (outside) std::memcpy(dst, fill.data(), elem);
    else std::memcpy(dst, x.raw() + static_cast<std::size_t>(src) * elem, elem);
  });
}

namespace {

// One input index and its weight; a linear resize reads one or two per axis.
struct Tap {
  std::int64_t index = 0;
  double weight = 1.0;
};

// ONNX's linear mode: along each axis the two neighbours of the source coordinate, indices
// clamped to the axis (the edge value repeats, as ONNX's reference pads with it), weighted by
// distance; the output is the product of the axes' weights summed over every corner.
void resize_linear(const Tensor& x, Tensor& y, const std::vector<std::vector<double>>& coordinates) {
  const std::size_t rank = x.shape().size();
  std::vector<std::vector<std::vector<Tap>>> taps(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t last = x.shape()[d] - 1;
    for (const double s : coordinates[d]) {
      const double below = std::floor(s);
      const double fraction = s - below;
      const auto i0 = std::clamp<std::int64_t>(static_cast<std::int64_t>(below), 0, last);
      const auto i1 = std::clamp<std::int64_t>(static_cast<std::int64_t>(below) + 1, 0, last);
      if (fraction == 0.0 || i0 == i1) {
        taps[d].push_back({{i0, 1.0}});
      } else {
        taps[d].push_back({{i0, 1.0 - fraction}, {i1, fraction}});
      }
    }
  }
  const Shape in_strides = row_major_strides(x.shape());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = y.data<T>();
      std::vector<const std::vector<Tap>*> axis_taps(rank);
      std::vector<std::size_t> corner(rank);
      for_each_index(y.shape(), [&](std::int64_t offset, const std::vector<std::int64_t>& index) {
        for (std::size_t d = 0; d < rank; ++d) axis_taps[d] = &taps[d][static_cast<std::size_t>(index[d])];
        std::fill(corner.begin(), corner.end(), 0);
        double sum = 0;
        while (true) {
          double weight = 1.0;
          std::int64_t src = 0;
          for (std::size_t d = 0; d < rank; ++d) {
            const Tap& tap = (*axis_taps[d])[corner[d]];
            weight *= tap.weight;
            src += tap.index * in_strides[d];
          }
          sum += weight * static_cast<double>(in[src]);
          std::size_t d = rank;
          while (d-- > 0 && ++corner[d] == axis_taps[d]->size()) corner[d] = 0;
          if (d == static_cast<std::size_t>(-1)) break;
        }
        out[offset] = static_cast<T>(sum);
      });
    } else {
      throw std::logic_error("a linear Resize of a non-float tensor");
    }
  });
}

}  // namespace

void run_resize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const Tensor* scales = inputs.size() > 2 ? inputs[2] : nullptr;
  const std::string coordinate_mode = node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = node.attrs.get_string("nearest_mode", "round_prefer_floor");
  const std::size_t rank = x.shape().size();
  // Per axis, the real source coordinate of every output index.
  std::vector<std::vector<double>> coordinates(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t in_size = x.shape()[d];
    const std::int64_t out_size = y.shape()[d];
    const double scale = scales != nullptr && scales->numel() > 0
                             ? scales->as_double(static_cast<std::int64_t>(d))
                             : static_cast<double>(out_size) / static_cast<double>(in_size);
    for (std::int64_t o = 0; o < out_size; ++o) {
      coordinates[d].push_back(resize_source(coordinate_mode, o, scale, in_size, out_size));
    }
  }
  if (node.attrs.get_string("mode", "nearest") == "linear") {
    resize_linear(x, y, coordinates);
    return;
  }
  // Per axis, the source index of every output index.
  std::vector<std::vector<std::int64_t>> source(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    for (const double s : coordinates[d]) {
      source[d].push_back(std::clamp<std::int64_t>(resize_nearest(nearest_mode, s), 0, x.shape()[d] - 1));
    }
  }
  const Shape in_strides = row_major_strides(x.shape());
  const std::size_t elem = dtype_size(x.dtype());
  for_each_index(y.shape(), [&](std::int64_t offset, const std::vector<std::int64_t>& index) {
    std::int64_t src = 0;
    for (std::size_t d = 0; d < rank; ++d) src += source[d][static_cast<std::size_t>(index[d])] * in_strides[d];
    std::memcpy(y.raw() + static_cast<std::size_t>(offset) * elem, x.raw() + static_cast<std::size_t>(src) * elem, elem);
  });
}

}  // namespace wb::golden
