#include "compiler/ir/window_geometry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "support/error.h"
#include "support/math.h"

namespace wb {
namespace {

// a + b, a * b: a UserError instead of an overflow (the operands are the model's attributes
// and shapes, which may hold any int64).
std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) throw UserError(fmt::format("window arithmetic overflows: {} + {}", a, b));
  return sum;
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    throw UserError(fmt::format("window arithmetic overflows: {} x {}", a, b));
  }
  return product;
}

std::vector<std::int64_t> per_axis(const Attributes& attrs, const char* name, std::size_t rank,
                                   std::int64_t fallback) {
  auto values = attrs.get_ints(name, std::vector<std::int64_t>(rank, fallback));
  if (values.size() != rank) {
    throw UserError(fmt::format("attribute '{}' has {} values, expected {} (one per spatial axis)", name,
                                values.size(), rank));
  }
  for (std::int64_t v : values) {
    if (v < 1) throw UserError(fmt::format("attribute '{}' = [{}] must be positive", name, fmt::join(values, ",")));
  }
  return values;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

std::int64_t WindowGeometry::kernel_elements() const {
  std::int64_t n = 1;
  for (auto k : kernel) n *= k;
  return n;
}

std::int64_t WindowGeometry::output_elements() const {
  std::int64_t n = 1;
  for (auto o : output) n *= o;
  return n;
}

bool has_input_dilations(const Attributes& attrs) {
  const auto d = attrs.get_ints(kInputDilationsAttr, {});
  return std::any_of(d.begin(), d.end(), [](std::int64_t v) { return v != 1; });
}

Shape dilated_input_shape(const Attributes& attrs, const Shape& input_shape) {
  if (!attrs.has(kInputDilationsAttr)) return input_shape;
  const std::size_t rank = input_shape.size() < 2 ? 0 : input_shape.size() - 2;
  const auto d = per_axis(attrs, kInputDilationsAttr, rank, 1);
  Shape dilated = input_shape;
  for (std::size_t a = 0; a < rank; ++a) {
    dilated[2 + a] = checked_add(checked_mul(input_shape[2 + a] - 1, d[a]), 1);
  }
  return dilated;
}

std::int64_t taps_on_pixels(std::int64_t output, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                            std::int64_t pad_begin, std::int64_t input_step) {
  if (input_step == 1) return output * kernel;
  std::int64_t taps = 0;
  for (std::int64_t o = 0; o < output; ++o) {
    for (std::int64_t k = 0; k < kernel; ++k) {
      if ((o * stride + k * dilation - pad_begin) % input_step == 0) ++taps;
    }
  }
  return taps;
}

WindowGeometry resolve_window(const Attributes& attrs, const Shape& input_shape, std::vector<std::int64_t> kernel,
                              bool ceil_mode) {
  if (input_shape.size() < 3) {
    throw UserError(fmt::format("input of shape {} has no spatial axes (expected [N, C, spatial...])",
                                format_shape(input_shape)));
  }
  const std::size_t rank = input_shape.size() - 2;
  if (kernel.size() != rank) {
    throw UserError(fmt::format("kernel has {} axes but the input has {} spatial axes", kernel.size(), rank));
  }
  WindowGeometry g;
  g.input.assign(input_shape.begin() + 2, input_shape.end());
  g.kernel = std::move(kernel);
  for (auto k : g.kernel) {
    if (k < 1) throw UserError(fmt::format("kernel shape [{}] must be positive", fmt::join(g.kernel, ",")));
  }
  g.strides = per_axis(attrs, "strides", rank, 1);
  g.dilations = per_axis(attrs, "dilations", rank, 1);
  g.pads_begin.assign(rank, 0);
  g.pads_end.assign(rank, 0);
  g.output.assign(rank, 0);

  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t extent = checked_add(checked_mul(g.kernel[i] - 1, g.dilations[i]), 1);
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.output[i] = ceil_div<std::int64_t>(g.input[i], g.strides[i]);
      const std::int64_t covered = checked_add(checked_mul(g.output[i] - 1, g.strides[i]), extent);
      const std::int64_t total = std::max<std::int64_t>(0, covered - g.input[i]);
      // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning.
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pads_end[i] = total - g.pads_begin[i];
    } else if (auto_pad == "VALID" || auto_pad == "NOTSET") {
      if (auto_pad == "NOTSET") {
        auto pads = attrs.get_ints("pads", std::vector<std::int64_t>(2 * rank, 0));
        if (pads.size() != 2 * rank) {
          throw UserError(fmt::format("attribute 'pads' has {} values, expected {}", pads.size(), 2 * rank));
        }
        g.pads_begin[i] = pads[i];
        g.pads_end[i] = pads[i + rank];
        if (pads[i] < 0 || pads[i + rank] < 0) {
          throw UserError(fmt::format("attribute 'pads' = [{}] must not be negative", fmt::join(pads, ",")));
        }
      }
      const std::int64_t padded = checked_add(checked_add(g.input[i], g.pads_begin[i]), g.pads_end[i]);
      const std::int64_t span = padded - extent;
      if (span < 0) {
        throw UserError(fmt::format("window of extent {} does not fit the padded input of {} on spatial axis {}",
                                    extent, padded, i));
      }
      if (ceil_mode) {
        g.output[i] = ceil_div<std::int64_t>(span, g.strides[i]) + 1;
        // The last window must start inside the input or its leading padding.
        if ((g.output[i] - 1) * g.strides[i] >= g.input[i] + g.pads_begin[i]) --g.output[i];
      } else {
        g.output[i] = floor_div(span, g.strides[i]) + 1;
      }
    } else {
      throw UserError(fmt::format("auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", auto_pad));
    }
    if (g.output[i] < 1) throw UserError("the window produces an empty output");
  }
  return g;
}

}  // namespace wb
