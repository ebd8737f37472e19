#pragma once
// Internal to the reference kernels: walking every index of a shape in row-major order, and
// the strided gather that Transpose, Slice and Expand all are.

#include <cstdint>
#include <cstring>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb::golden {

// Calls fn(offset, index) for every index of `shape` in row-major order, offset counting
// from 0.
template <class Fn>
void for_each_index(const Shape& shape, Fn fn) {
  const std::int64_t count = num_elements(shape);
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::int64_t offset = 0; offset < count; ++offset) {
    fn(offset, index);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// y[i] = x[base + sum_d index_d(i) * strides[d]] for every element i of y (strides in
// elements of x, one per axis of y; 0 repeats, negative walks backwards).
inline void gather_strided(const Tensor& x, Tensor& y, std::int64_t base, const Shape& strides) {
  const std::size_t elem = dtype_size(x.dtype());
  for_each_index(y.shape(), [&](std::int64_t offset, const std::vector<std::int64_t>& index) {
    std::int64_t src = base;
    for (std::size_t d = 0; d < index.size(); ++d) src += index[d] * strides[d];
    std::memcpy(y.raw() + static_cast<std::size_t>(offset) * elem, x.raw() + static_cast<std::size_t>(src) * elem, elem);
  });
}

}  // namespace wb::golden
