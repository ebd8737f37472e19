#include "compiler/ir/resize_coordinates.h"

#include <fmt/format.h>

#include <cmath>

#include "support/error.h"

namespace wb {

double resize_source(const std::string& mode, std::int64_t out, double scale, std::int64_t in_size,
                     std::int64_t out_size) {
  const auto o = static_cast<double>(out);
  if (mode == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out_size > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return out_size == 1 ? 0.0 : o * static_cast<double>(in_size - 1) / static_cast<double>(out_size - 1);
  }
  if (mode == "asymmetric") return o / scale;
  if (mode == "tf_half_pixel_for_nn") return (o + 0.5) / scale;
  throw UserError(fmt::format("coordinate_transformation_mode '{}' is not supported", mode));
}

std::int64_t resize_nearest(const std::string& mode, double x) {
  if (mode == "floor") return static_cast<std::int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<std::int64_t>(std::ceil(x));
  const double fl = std::floor(x);
  const bool tie = x - fl == 0.5;
  if (mode == "round_prefer_floor") return static_cast<std::int64_t>(tie ? fl : std::round(x));
  if (mode == "round_prefer_ceil") return static_cast<std::int64_t>(tie ? fl + 1 : std::round(x));
  throw UserError(fmt::format("nearest_mode '{}' is not supported", mode));
}

}  // namespace wb
