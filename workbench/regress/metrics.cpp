#include "workbench/regress/metrics.h"

#include <algorithm>
#include <cmath>

#include "workbench/report/report_fields.h"
#include "workbench/report/report_stats.h"

namespace wb::regress {

namespace {

// The statistics report_stats.cpp declares tracked: standard ones first, then each target's.
const std::vector<std::string>& total_metric_names() {
  static const std::vector<std::string> names = report::tracked_statistics(report::StatScope::Run);
  return names;
}
const std::vector<std::string>& layer_metric_names() {
  static const std::vector<std::string> names = report::tracked_statistics(report::StatScope::Layer);
  return names;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void add_specific(Figures& figures, const nlohmann::json& specific, const std::vector<std::string>& names) {
  for (const auto& [key, value] : specific.items()) {
    if (!listed(names, key)) continue;
    if (value.is_number_unsigned()) {
      figures[key] = value.get<std::uint64_t>();
    } else if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
      figures[key] = static_cast<std::uint64_t>(value.get<std::int64_t>());
    }
  }
}

// Energy as the report's JSON writes it: whole pJ (docs/energy.md).
std::uint64_t rounded_pj(const report::Energy& energy) {
  return static_cast<std::uint64_t>(std::llround(report::energy_pj(energy)));
}

}  // namespace

const std::vector<std::string>& total_metrics() { return total_metric_names(); }
const std::vector<std::string>& layer_metrics() { return layer_metric_names(); }
bool is_total_metric(std::string_view name) { return listed(total_metric_names(), name); }
bool is_layer_metric(std::string_view name) { return listed(layer_metric_names(), name); }
bool is_breakdown_metric(std::string_view name) { return report::is_part_of_cycles(name); }
bool is_prediction_metric(std::string_view name) { return report::is_prediction(name); }

namespace {

// The row's tracked counts that are plain fields (report_fields.h), then the composite ones.
template <class Row>
Figures plain_figures(const Row& row, const std::vector<report::PlainField<Row>>& fields,
                      const std::vector<std::string>& names) {
  Figures figures;
  for (const report::PlainField<Row>& plain : fields) {
    if (!listed(names, plain.name)) continue;
    if (const std::optional<std::uint64_t> count = report::field_count(plain, row)) figures[std::string(plain.name)] = *count;
  }
  if (row.predicted_cycles) figures["predicted_cycles"] = *row.predicted_cycles;
  if (!row.energy.empty()) figures["energy_pj"] = rounded_pj(row.energy);
  add_specific(figures, row.specific, names);
  return figures;
}

}  // namespace

Figures total_figures(const report::RunReport& report) {
  return plain_figures(report.totals, report::totals_fields(), total_metric_names());
}

Figures layer_figures(const report::LayerRow& row) {
  return plain_figures(row, report::layer_fields(), layer_metric_names());
}

}  // namespace wb::regress
