#pragma once
// The quantization JSON (docs/quant.md, "Files written"): per layer bits, thresholds, scales
// and requantisation parameters, in the spirit of xfDNN's quantizer output, with each
// scheme's own names for them (xdnn scale/prescale_shift/postscale_shift, pulp k/lambda/d or
// outmul/outshift).

#include <nlohmann/json.hpp>

#include "compiler/quant/qgraph.h"

namespace wb::quant {

// `extra` (e.g. {"model": ..., "calibration": {...}}) is merged into the top level.
nlohmann::json qgraph_to_json(const QGraph& graph, const nlohmann::json& extra = nlohmann::json::object());

}  // namespace wb::quant
