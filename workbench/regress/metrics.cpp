#include "workbench/regress/metrics.h"

#include <algorithm>

namespace wb::regress {

namespace {

// Standard report keys first, then each back end's traffic by level (workbench/*_backend.cpp).
const std::vector<std::string> kTotalMetrics = {
    "cycles",          "macs",           "ops",                  "moveops",         "ddr_bytes",
    "l3_bytes",        "ddr_weight_bytes", "ddr_activation_bytes", "ddr_spill_bytes", "ddr_input_output_bytes",
    "peak_am_bytes",   "l3_bytes_in",    "l3_bytes_out",         "l1_dma_bytes_in", "l1_dma_bytes_out",
    "instructions"};

const std::vector<std::string> kLayerMetrics = {
    "cycles",           "stall_cycles",       "macs",          "bytes_in",        "bytes_out",
    "ddr_weight_bytes", "ddr_upload_bytes",   "ddr_download_bytes", "compute_cycles", "dma_wait_cycles",
    "l3_wait_cycles",   "l1_bytes_in",        "l1_bytes_out"};

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void add_extra(Figures& figures, const nlohmann::json& extra, const std::vector<std::string>& names) {
  for (const auto& [key, value] : extra.items()) {
    if (!listed(names, key)) continue;
    if (value.is_number_unsigned()) {
      figures[key] = value.get<std::uint64_t>();
    } else if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
      figures[key] = static_cast<std::uint64_t>(value.get<std::int64_t>());
    }
  }
}

}  // namespace

const std::vector<std::string>& total_metrics() { return kTotalMetrics; }
const std::vector<std::string>& layer_metrics() { return kLayerMetrics; }
bool is_total_metric(std::string_view name) { return listed(kTotalMetrics, name); }
bool is_layer_metric(std::string_view name) { return listed(kLayerMetrics, name); }
bool is_breakdown_metric(std::string_view name) {
  return name == "stall_cycles" || name == "compute_cycles" || name == "dma_wait_cycles" || name == "l3_wait_cycles";
}

Figures total_figures(const report::RunReport& report) {
  const report::Totals& t = report.totals;
  Figures figures = {{"cycles", t.cycles}, {"macs", t.macs}, {"ops", t.ops}, {"moveops", t.moveops}};
  if (t.ddr_bytes) figures["ddr_bytes"] = *t.ddr_bytes;
  if (t.l3_bytes) figures["l3_bytes"] = *t.l3_bytes;
  add_extra(figures, t.extra, kTotalMetrics);
  return figures;
}

Figures layer_figures(const report::LayerRow& row) {
  Figures figures = {{"cycles", row.cycles},
                     {"stall_cycles", row.stall_cycles},
                     {"macs", row.macs},
                     {"bytes_in", row.bytes_in},
                     {"bytes_out", row.bytes_out}};
  add_extra(figures, row.extra, kLayerMetrics);
  return figures;
}

}  // namespace wb::regress
