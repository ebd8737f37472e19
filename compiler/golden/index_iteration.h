#pragma once
// Internal to the reference kernels: walking every index of a shape in row-major order.

#include <cstdint>
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

}  // namespace wb::golden
