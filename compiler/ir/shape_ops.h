#pragma once
// The index arithmetic of the shape and indexing ops (Shape, Slice, Squeeze, Unsqueeze,
// Range, ReduceMean), shared by shape inference and the reference kernels so they cannot
// disagree. Errors are UserErrors saying what is wrong with the attribute or input.

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "compiler/ir/attributes.h"
#include "compiler/ir/tensor.h"

namespace wb {

// Shape-15's [start, end) over the input's axes, negative values counted from the end and
// both clamped into [0, rank]; end >= start.
std::pair<std::int64_t, std::int64_t> shape_op_range(const Attributes& attrs, std::int64_t rank);

// What Slice reads along one axis: `count` elements from `start`, every `step`-th.
struct SliceRange {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = 0;
};

// One range per axis of `shape` (axes not named keep the whole axis), following Slice-13:
// negative starts/ends count from the end, then are clamped to the axis; a step of 0 or an
// axis named twice is an error.
std::vector<SliceRange> slice_ranges(const Shape& shape, const std::vector<std::int64_t>& starts,
                                     const std::vector<std::int64_t>& ends,
                                     const std::optional<std::vector<std::int64_t>>& axes,
                                     const std::optional<std::vector<std::int64_t>>& steps);

// Squeeze-13: drops the named axes (each must have size 1), or every axis of size 1.
Shape squeezed_shape(const Shape& shape, const std::optional<std::vector<std::int64_t>>& axes);

// Unsqueeze-13: inserts axes of size 1 at the named positions of the output.
Shape unsqueezed_shape(const Shape& shape, const std::vector<std::int64_t>& axes);

// Range-11's element count: max(ceil((limit - start) / delta), 0); delta must not be 0.
std::int64_t range_count(double start, double limit, double delta);

// ReduceMean-13's reduced axes (attribute `axes`, default all), normalised.
std::set<std::int64_t> reduced_axes(const Attributes& attrs, std::int64_t rank);

}  // namespace wb
