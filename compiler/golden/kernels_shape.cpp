// Shape arithmetic and indexing (Shape, Gather, Slice, Cast, ConstantOfShape, Range,
// Expand) and ReduceMean. Squeeze and Unsqueeze only relabel the shape (run_copy).

#include <fmt/format.h>

#include <cstring>

#include "compiler/golden/index_iteration.h"
#include "compiler/golden/kernels.h"
#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/shape_ops.h"
#include "support/error.h"

namespace wb::golden {

void run_shape(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Shape& shape = inputs[0]->shape();
  const auto [start, end] = shape_op_range(node.attrs, inputs[0]->rank());
  auto* out = outputs[0].data<std::int64_t>();
  for (std::int64_t d = start; d < end; ++d) out[d - start] = shape[static_cast<std::size_t>(d)];
}

void run_gather(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& data = *inputs[0];
  const Tensor& indices = *inputs[1];
  const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), data.rank());
  const std::int64_t axis_size = data.shape()[static_cast<std::size_t>(axis)];
  std::int64_t outer = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= data.shape()[static_cast<std::size_t>(d)];
  const std::size_t inner_bytes =
      data.nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(outer * axis_size, 1));
  std::byte* out = outputs[0].raw();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t k = 0; k < indices.numel(); ++k) {
      std::int64_t index = indices.as_int64(k);
      if (index < -axis_size || index >= axis_size) {
        throw UserError(fmt::format("Gather index {} is out of range for axis {} of size {}", index, axis, axis_size));
      }
      if (index < 0) index += axis_size;
      std::memcpy(out, data.raw() + static_cast<std::size_t>(o * axis_size + index) * inner_bytes, inner_bytes);
      out += inner_bytes;
    }
  }
}

void run_slice(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  auto optional_vector = [&](std::size_t i) -> std::optional<std::vector<std::int64_t>> {
    if (inputs.size() <= i || inputs[i] == nullptr) return std::nullopt;
    return inputs[i]->to_int64_vector();
  };
  const auto ranges = slice_ranges(x.shape(), inputs[1]->to_int64_vector(), inputs[2]->to_int64_vector(),
                                   optional_vector(3), optional_vector(4));
  const Shape in_strides = row_major_strides(x.shape());
  std::int64_t base = 0;
  Shape strides(in_strides.size());
  for (std::size_t d = 0; d < strides.size(); ++d) {
    base += ranges[d].start * in_strides[d];
    strides[d] = ranges[d].step * in_strides[d];
  }
  gather_strided(x, outputs[0], base, strides);
}

void run_cast(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  outputs[0] = inputs[0]->cast(outputs[0].dtype());
}

void run_constant_of_shape(const Node& node, KernelInputs, std::vector<Tensor>& outputs) {
  const Tensor* value = node.attrs.find_tensor("value");
  if (value == nullptr) return;  // the output is allocated zero-filled, ONNX's default
  Tensor& y = outputs[0];
  const std::size_t elem = dtype_size(y.dtype());
  for (std::int64_t i = 0; i < y.numel(); ++i) std::memcpy(y.raw() + static_cast<std::size_t>(i) * elem, value->raw(), elem);
}

void run_range(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  Tensor& y = outputs[0];
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      throw UserError("Range of bool");
    } else {
      // ONNX defines element i as start + i * delta in the input type.
      const T start = inputs[0]->data<T>()[0];
      const T delta = inputs[2]->data<T>()[0];
      T* out = y.data<T>();
      if constexpr (std::is_integral_v<T>) {
        // In modular arithmetic: i * delta alone may overflow where start + i * delta does not
        // (start -9e18, delta 9e15), which in signed arithmetic is undefined; the element,
        // when it fits, comes out exact (the conversion back to T is modular since C++20).
        const auto first = static_cast<std::uint64_t>(static_cast<std::int64_t>(start));
        const auto step = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
        for (std::int64_t i = 0; i < y.numel(); ++i) {
          out[i] = static_cast<T>(static_cast<std::int64_t>(first + static_cast<std::uint64_t>(i) * step));
        }
      } else {
        for (std::int64_t i = 0; i < y.numel(); ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
    }
  });
}

void run_expand(const Node&, KernelInputs inputs, std::vector<Tensor>& outputs) {
  gather_strided(*inputs[0], outputs[0], 0, broadcast_strides(inputs[0]->shape(), outputs[0].shape()));
}

void run_reduce_mean(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = outputs[0];
  const auto axes = reduced_axes(node.attrs, x.rank());
  // The output index of every input element: reduced axes read as 0 in a keepdims layout.
  Shape kept = x.shape();
  for (auto axis : axes) kept[static_cast<std::size_t>(axis)] = 1;
  const Shape kept_strides = row_major_strides(kept);
  std::vector<double> sums(static_cast<std::size_t>(y.numel()), 0.0);
  const std::vector<double> values = x.to_double_vector();
  for_each_index(x.shape(), [&](std::int64_t offset, const std::vector<std::int64_t>& index) {
    std::int64_t dst = 0;
    for (std::size_t d = 0; d < index.size(); ++d) {
      if (!axes.count(static_cast<std::int64_t>(d))) dst += index[d] * kept_strides[d];
    }
    sums[static_cast<std::size_t>(dst)] += values[static_cast<std::size_t>(offset)];
  });
  const double count = static_cast<double>(x.numel()) / static_cast<double>(std::max<std::int64_t>(y.numel(), 1));
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* out = y.data<T>();
      for (std::size_t i = 0; i < sums.size(); ++i) out[i] = static_cast<T>(sums[i] / count);
    } else {
      throw UserError("ReduceMean of a non-float tensor");
    }
  });
}

}  // namespace wb::golden
