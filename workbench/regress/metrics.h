#pragma once
// The deterministic figures a regression is decided on: simulated cycles, work and memory
// traffic by level, per layer and per run. Lower is better for every one of them, so "worse"
// always means "went up"; the compiler's predicted cycles are recorded beside them, neither
// better nor worse (is_prediction_metric). Derived ratios (MAC/cycle, utilization, latency) follow from these
// and are not compared on their own; placement figures (start_cycle, tile shapes) move
// whenever an earlier layer does and would only repeat the change.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "workbench/report/report.h"

namespace wb::regress {

// Metric name -> value; only the metrics a run has (xdnn reports DDR traffic, pulp L3/L1).
using Figures = std::map<std::string, std::uint64_t, std::less<>>;

// The run-level metrics, in the order tables show them.
const std::vector<std::string>& total_metrics();
// The per-layer metrics, in the order tables show them.
const std::vector<std::string>& layer_metrics();
bool is_total_metric(std::string_view name);
bool is_layer_metric(std::string_view name);
// A part of a layer's cycles (stall, compute, DMA and L3 waits): shown when it changes, but a
// layer is no worse while its cycles are not, so `compare` does not fail on it (`check`,
// where any change fails, does).
bool is_breakdown_metric(std::string_view name);
// The compiler's prediction of the cycles (predicted_cycles): a change is shown, and fails
// `check` as any change does, but `compare` never calls it worse: a higher prediction is not
// a slower design, and the simulated cycles beside it say whether the design got slower.
bool is_prediction_metric(std::string_view name);

Figures total_figures(const report::RunReport& report);
Figures layer_figures(const report::LayerRow& row);

}  // namespace wb::regress
