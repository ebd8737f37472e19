#include "compiler/ir/shape_ops.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "compiler/ir/shape_inference.h"
#include "support/error.h"

namespace wb {
namespace {

std::int64_t clamp_from_end(std::int64_t index, std::int64_t size) {
  return std::clamp<std::int64_t>(index < 0 ? index + size : index, 0, size);
}

// Each axis normalised against `rank`, none twice.
std::vector<std::int64_t> distinct_axes(const std::vector<std::int64_t>& axes, std::int64_t rank, std::string_view op) {
  std::vector<std::int64_t> normalized;
  for (auto axis : axes) normalized.push_back(normalize_axis(axis, rank));
  std::set<std::int64_t> seen(normalized.begin(), normalized.end());
  if (seen.size() != normalized.size()) {
    throw UserError(fmt::format("{} axes [{}] name an axis twice", op, fmt::join(axes, ",")));
  }
  return normalized;
}

}  // namespace

std::pair<std::int64_t, std::int64_t> shape_op_range(const Attributes& attrs, std::int64_t rank) {
  const std::int64_t start = clamp_from_end(attrs.get_int("start", 0), rank);
  const std::int64_t end = clamp_from_end(attrs.get_int("end", rank), rank);
  return {start, std::max(start, end)};
}

std::vector<SliceRange> slice_ranges(const Shape& shape, const std::vector<std::int64_t>& starts,
                                     const std::vector<std::int64_t>& ends,
                                     const std::optional<std::vector<std::int64_t>>& axes,
                                     const std::optional<std::vector<std::int64_t>>& steps) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (starts.size() != ends.size() || (axes && axes->size() != starts.size()) ||
      (steps && steps->size() != starts.size())) {
    throw UserError(fmt::format("Slice starts, ends, axes and steps have different lengths ({}, {}, {}, {})",
                                starts.size(), ends.size(), axes ? axes->size() : starts.size(),
                                steps ? steps->size() : starts.size()));
  }
  std::vector<std::int64_t> all_axes(starts.size());
  for (std::size_t i = 0; i < all_axes.size(); ++i) all_axes[i] = static_cast<std::int64_t>(i);
  const auto named = distinct_axes(axes ? *axes : all_axes, rank, "Slice");

  std::vector<SliceRange> ranges(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) ranges[d] = {0, 1, shape[d]};
  for (std::size_t i = 0; i < named.size(); ++i) {
    const std::int64_t size = shape[static_cast<std::size_t>(named[i])];
    const std::int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) throw UserError("Slice step 0");
    // Exporters write INT64_MAX / INT64_MIN for "to the end"; adding the size must not overflow.
    auto from_end = [size](std::int64_t v) { return v < 0 ? std::max(v, -size - 1) + size : v; };
    std::int64_t start = from_end(starts[i]);
    std::int64_t end = from_end(ends[i]);
    if (step > 0) {
      start = std::clamp<std::int64_t>(start, 0, size);
      end = std::clamp<std::int64_t>(end, 0, size);
    } else {
      start = std::clamp<std::int64_t>(start, 0, size - 1);
      end = std::clamp<std::int64_t>(end, -1, size - 1);
    }
    const std::int64_t span = step > 0 ? end - start : start - end;
    // Unsigned, and no span + magnitude: a step of INT64_MIN or near INT64_MAX must not overflow.
    const std::uint64_t magnitude = step > 0 ? static_cast<std::uint64_t>(step) : 0 - static_cast<std::uint64_t>(step);
    const std::int64_t count =
        span <= 0 ? 0 : static_cast<std::int64_t>((static_cast<std::uint64_t>(span) - 1) / magnitude + 1);
    ranges[static_cast<std::size_t>(named[i])] = {start, step, count};
  }
  return ranges;
}

Shape squeezed_shape(const Shape& shape, const std::optional<std::vector<std::int64_t>>& axes) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::set<std::int64_t> drop;
  if (axes) {
    for (auto axis : distinct_axes(*axes, rank, "Squeeze")) {
      if (shape[static_cast<std::size_t>(axis)] != 1) {
        throw UserError(fmt::format("Squeeze of axis {} of size {} (only axes of size 1 can be removed)", axis,
                                    shape[static_cast<std::size_t>(axis)]));
      }
      drop.insert(axis);
    }
  } else {
    for (std::int64_t d = 0; d < rank; ++d) {
      if (shape[static_cast<std::size_t>(d)] == 1) drop.insert(d);
    }
  }
  Shape out;
  for (std::int64_t d = 0; d < rank; ++d) {
    if (!drop.count(d)) out.push_back(shape[static_cast<std::size_t>(d)]);
  }
  return out;
}

Shape unsqueezed_shape(const Shape& shape, const std::vector<std::int64_t>& axes) {
  const auto out_rank = static_cast<std::int64_t>(shape.size() + axes.size());
  const auto inserted = distinct_axes(axes, out_rank, "Unsqueeze");
  const std::set<std::int64_t> ones(inserted.begin(), inserted.end());
  Shape out;
  auto next = shape.begin();
  for (std::int64_t d = 0; d < out_rank; ++d) out.push_back(ones.count(d) ? 1 : *next++);
  return out;
}

std::int64_t range_count(double start, double limit, double delta) {
  if (delta == 0.0) throw UserError("Range delta 0");
  const double count = std::ceil((limit - start) / delta);
  if (!std::isfinite(count) || count > static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
    throw UserError(fmt::format("Range from {} to {} by {} has too many elements", start, limit, delta));
  }
  // Compared before converting: a count below INT64_MIN does not convert.
  return count > 0 ? static_cast<std::int64_t>(count) : 0;
}

std::set<std::int64_t> reduced_axes(const Attributes& attrs, std::int64_t rank) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(rank));
  for (std::int64_t d = 0; d < rank; ++d) all[static_cast<std::size_t>(d)] = d;
  const auto axes = distinct_axes(attrs.get_ints("axes", all), rank, "ReduceMean");
  return {axes.begin(), axes.end()};
}

}  // namespace wb
