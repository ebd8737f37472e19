#pragma once
// The one vocabulary of layer types that reports use on both targets (docs/report.md, "Layer
// types"). The compilers keep their own names (xfDNN's "eltwise", PULP-NN's "linear" and
// "pointwise" kernels); reports translate them here, so one network's layers read alike on
// xDNN and PULP.

#include <string>
#include <string_view>

namespace wb {

// "eltwise" -> "add", "linear" -> "fc", "pointwise" -> "conv", "gather" -> "channel_gather";
// any other name as it is.
std::string report_layer_type(std::string_view target_type);

}  // namespace wb
