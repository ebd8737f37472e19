#pragma once
// Where a Resize output position reads from along one axis (ONNX's
// coordinate_transformation_mode and nearest_mode): shared by the float kernel and by the
// quantizer and QDQ reader, which turn it into the integer Resize's tables.

#include <cstdint>
#include <string>

namespace wb {

// The real source coordinate of output index `out` along an axis of `in_size` resized to
// `out_size` by `scale`. UserError for a mode the workbench does not know.
double resize_source(const std::string& coordinate_mode, std::int64_t out, double scale, std::int64_t in_size,
                     std::int64_t out_size);

// The input index a nearest-neighbour Resize reads for source coordinate `x` (not clamped).
std::int64_t resize_nearest(const std::string& nearest_mode, double x);

}  // namespace wb
