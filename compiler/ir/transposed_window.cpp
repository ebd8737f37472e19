#include "compiler/ir/transposed_window.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "support/error.h"

namespace wb {
namespace {

std::vector<std::int64_t> positive_per_axis(const Attributes& attrs, const char* name, std::size_t rank) {
  auto values = attrs.get_ints(name, std::vector<std::int64_t>(rank, 1));
  if (values.size() != rank) {
    throw UserError(fmt::format("attribute '{}' has {} values, expected {} (one per spatial axis)", name,
                                values.size(), rank));
  }
  for (std::int64_t v : values) {
    if (v < 1) throw UserError(fmt::format("attribute '{}' = [{}] must be positive", name, fmt::join(values, ",")));
  }
  return values;
}

// Python's a // b (ONNX's reference splits a negative total padding this way).
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The extent the taps reach: (input - 1) * stride + (kernel - 1) * dilation + 1.
std::int64_t full_extent(std::int64_t input, std::int64_t kernel, std::int64_t stride, std::int64_t dilation) {
  return (input - 1) * stride + (kernel - 1) * dilation + 1;
}

}  // namespace

std::int64_t TransposedWindow::output_taps(std::size_t axis) const {
  std::int64_t count = 0;
  for (std::int64_t o = 0; o < output[axis]; ++o) {
    for (std::int64_t k = 0; k < kernel[axis]; ++k) {
      const std::int64_t t = o + pads_begin[axis] - k * dilations[axis];
      if (t - floor_div(t, strides[axis]) * strides[axis] == 0) ++count;
    }
  }
  return count;
}

TransposedWindow resolve_transposed_window(const Attributes& attrs, const Shape& input_shape,
                                           std::vector<std::int64_t> kernel) {
  if (input_shape.size() < 3) {
    throw UserError(fmt::format("input of shape {} has no spatial axes (expected [N, C, spatial...])",
                                format_shape(input_shape)));
  }
  const std::size_t rank = input_shape.size() - 2;
  if (kernel.size() != rank) {
    throw UserError(fmt::format("kernel has {} axes but the input has {} spatial axes", kernel.size(), rank));
  }
  TransposedWindow g;
  g.input.assign(input_shape.begin() + 2, input_shape.end());
  g.kernel = std::move(kernel);
  for (auto k : g.kernel) {
    if (k < 1) throw UserError(fmt::format("kernel shape [{}] must be positive", fmt::join(g.kernel, ",")));
  }
  g.strides = positive_per_axis(attrs, "strides", rank);
  g.dilations = positive_per_axis(attrs, "dilations", rank);
  const auto pads = attrs.get_ints("pads", std::vector<std::int64_t>(2 * rank, 0));
  if (pads.size() != 2 * rank) {
    throw UserError(fmt::format("attribute 'pads' has {} values, expected {} (begin and end per spatial axis)",
                                pads.size(), 2 * rank));
  }
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  g.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  for (std::size_t a = 0; a < rank; ++a) {
    if (g.input[a] < 1) throw UserError(fmt::format("input of shape {} is empty", format_shape(input_shape)));
    const std::int64_t extent = full_extent(g.input[a], g.kernel[a], g.strides[a], g.dilations[a]);
    const std::int64_t out = extent - g.pads_begin[a] - g.pads_end[a];
    if (out < 1) {
      throw UserError(fmt::format("pads [{}] leave no output of the transposed convolution's {} pixels along axis {}",
                                  fmt::join(pads, ","), extent, a));
    }
    g.output.push_back(out);
  }
  return g;
}

std::vector<std::int64_t> canonical_transposed_pads(const Attributes& attrs, const std::vector<std::int64_t>& input,
                                                    const std::vector<std::int64_t>& kernel) {
  const std::size_t rank = kernel.size();
  const auto strides = positive_per_axis(attrs, "strides", rank);
  const auto dilations = positive_per_axis(attrs, "dilations", rank);
  const auto output_padding = attrs.get_ints("output_padding", std::vector<std::int64_t>(rank, 0));
  if (output_padding.size() != rank) {
    throw UserError(fmt::format("attribute 'output_padding' has {} values, expected {}", output_padding.size(), rank));
  }
  for (std::size_t a = 0; a < rank; ++a) {
    if (output_padding[a] < 0 || output_padding[a] >= std::max(strides[a], dilations[a])) {
      throw UserError(fmt::format("output_padding [{}] must be below the stride or the dilation of each axis",
                                  fmt::join(output_padding, ",")));
    }
  }
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    throw UserError(fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", auto_pad));
  }
  std::vector<std::int64_t> wanted;  // an output extent per axis, when one is asked for
  if (attrs.has("output_shape")) {
    wanted = attrs.get_ints("output_shape");
    // ONNX lets output_shape hold N and C too; the last `rank` values are the spatial ones.
    if (wanted.size() < rank) {
      throw UserError(fmt::format("output_shape [{}] has fewer values than the {} spatial axes",
                                  fmt::join(wanted, ","), rank));
    }
    wanted.erase(wanted.begin(), wanted.end() - static_cast<std::ptrdiff_t>(rank));
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (std::size_t a = 0; a < rank; ++a) wanted.push_back(input[a] * strides[a]);
  }
  std::vector<std::int64_t> begin(rank, 0), end(rank, 0);
  if (!wanted.empty()) {
    for (std::size_t a = 0; a < rank; ++a) {
      const std::int64_t total =
          full_extent(input[a], kernel[a], strides[a], dilations[a]) + output_padding[a] - wanted[a];
      if (auto_pad == "SAME_UPPER") {
        begin[a] = floor_div(total, 2);
        end[a] = total - begin[a];
      } else {
        end[a] = floor_div(total, 2);
        begin[a] = total - end[a];
      }
    }
  } else if (auto_pad == "NOTSET") {
    const auto pads = attrs.get_ints("pads", std::vector<std::int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank) {
      throw UserError(fmt::format("attribute 'pads' has {} values, expected {} (begin and end per spatial axis)",
                                  pads.size(), 2 * rank));
    }
    for (std::int64_t p : pads) {
      if (p < 0) throw UserError(fmt::format("pads [{}] must not be negative", fmt::join(pads, ",")));
    }
    std::copy(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank), begin.begin());
    std::copy(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end(), end.begin());
  }
  std::vector<std::int64_t> canonical = begin;
  for (std::size_t a = 0; a < rank; ++a) canonical.push_back(end[a] - output_padding[a]);
  return canonical;
}

}  // namespace wb
