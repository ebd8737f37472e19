#include "workbench/report/report_csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "support/atomic_file.h"
#include "workbench/report/report_fields.h"
#include "workbench/report/report_stats.h"

namespace wb::report {

using nlohmann::json;

namespace {

// RFC 4180: a field holding a comma, quote, line break (or, since readers differ on
// whether they trim it, leading or trailing white space) is quoted, quotes doubled.
bool needs_quotes(std::string_view field) {
  if (field.find_first_of(",\"\r\n") != std::string_view::npos) return true;
  return !field.empty() &&
         (field.front() == ' ' || field.front() == '\t' || field.back() == ' ' || field.back() == '\t');
}

std::string csv_quoted(std::string_view field) {
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Plain RFC 4180: SCALE-Sim pads its separators (", "), which leaves a blank at the start of
// every name and value for readers that do not strip it (pandas, Python's csv); its own
// scripts split on commas with any blanks around them, so they read ours.
void append_csv_line(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += needs_quotes(fields[i]) ? csv_quoted(fields[i]) : fields[i];
  }
  out += '\n';
}

// Python's str(float), which SCALE-Sim writes: shortest round trip, "25.0" rather than "25".
std::string python_float(double value) {
  std::string text = fmt::format("{}", value);
  if (std::isfinite(value) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// The causes in the order the first layer that has them lists them, then any others a later
// layer adds (the CSV's time_* columns, the same for every line).
std::vector<std::string> time_causes(const RunReport& report) {
  std::vector<std::string> causes;
  for (const LayerRow& row : report.layers) {
    for (const auto& entry : row.time) {
      if (std::find(causes.begin(), causes.end(), entry.first) == causes.end()) causes.push_back(entry.first);
    }
  }
  return causes;
}

// The standard statistics SCALE-Sim's first columns already carry (Total Cycles, Stall Cycles,
// Overall Util %).
bool in_scale_sim_columns(std::string_view name) {
  return name == "cycles" || name == "stall_cycles" || name == "utilization";
}

}  // namespace

// The first six columns are SCALE-Sim v2's COMPUTE_REPORT.csv (scalesim/simulator.py,
// generate_reports), same names and order (separated by plain commas, not its ", "), so its
// scripts (its own utilities/scalesim_report.py reads with sep=r'\s*,\s*' and selects 'Total
// Cycles' by name) and scripts that index by position read ours:
//   LayerID               layer index from 0, as SCALE-Sim counts (the name is in `name`).
//   Total Cycles          cycles of the layer, stalls included (SCALE-Sim: total compute cycles
//                         as the memory system sees them, stalls included).
//   Stall Cycles          stall_cycles.
//   Overall Util %        100 x utilization: SCALE-Sim's num_compute*100/(total_cycles*num_mac_unit)
//                         is exactly MACs / (cycles x peak MAC/cycle).
//   Mapping Efficiency %  SCALE-Sim: the share of the array the mapping occupies, time aside. A
//                         target that knows it declares mapping_efficiency (0..1) and it is
//                         written here x100 (a systolic array's: the share of its MAC slots the
//                         convs' shapes fill). Otherwise the column repeats Compute Util %,
//                         its lower bound (SCALE-Sim's compute util <= mapping efficiency). The
//                         column is never left out or empty: scripts indexing by position or
//                         parsing every field as float would break.
//   Compute Util %        SCALE-Sim: utilization while computing, memory stalls excluded. Here
//                         100 x MACs / ((cycles - stall_cycles) x peak)
//                         = 100 x utilization x cycles / (cycles - stall_cycles); 0 if all stalls.
// Then ours: every standard statistic that is a plain field of a layer (report_fields.h), in
// declaration order, but the three SCALE-Sim's columns carry (cycles, stall_cycles,
// utilization): name, type, unit, output, macs, ops, us, mac_per_cycle, bytes_in, bytes_out,
// tiles; then one time_<cause> column per time cause any layer has (cycles; empty where a layer lacks it),
// bound_cycles and bound (what binds: compute or a memory level; only when a layer has bounds,
// empty where one lacks them), predicted_cycles and prediction_error_pct (only when a layer has
// a prediction, empty where one lacks it), energy_pj, pj_per_mac, energy_delay and one energy_<component>
// column per energy component (pJ; only when a layer has energy), then the target's own layer statistics any layer has, in their
// declaration order (report_stats.cpp; empty where a layer lacks one).
// Differences from SCALE-Sim, none of which moves or renames its columns: no trailing comma at
// the end of a line (it only makes an unnamed empty column), and RFC 4180 quoting for fields
// with commas or quotes (SCALE-Sim never needs it; its regex separator cannot read quoted commas,
// so a layer name holding a comma still confuses scalesim_report.py, while csv/pandas read it).
// Floats are written in shortest round-trip form, as Python's str() does; lines end in "\n" as
// SCALE-Sim's do. No totals line: scripts summing a column would count it twice.

std::string csv_text(const RunReport& report) {
  std::vector<std::string> specific_keys;
  for (const StatDecl* stat : target_statistics(report.target, StatScope::Layer)) {
    if (std::any_of(report.layers.begin(), report.layers.end(),
                    [&](const LayerRow& row) { return row.specific.contains(stat->name); })) {
      specific_keys.emplace_back(stat->name);
    }
  }
  for (const LayerRow& row : report.layers) {
    if (!row.specific.is_object())
      throw std::logic_error(fmt::format("run report: layer '{}' target statistics are not a JSON object", row.name));
    for (const auto& [key, value] : row.specific.items()) {
      if (target_statistic(report.target, StatScope::Layer, key) == nullptr) {
        throw std::logic_error(fmt::format("run report: layer '{}' statistic '{}' is not declared for target '{}'",
                                           row.name, key, report.target));
      }
    }
  }

  std::vector<const PlainField<LayerRow>*> plain;
  for (const PlainField<LayerRow>& field : layer_fields()) {
    if (!in_scale_sim_columns(field.name)) plain.push_back(&field);
  }
  std::vector<std::string> header = {"LayerID",        "Total Cycles",         "Stall Cycles",
                                     "Overall Util %", "Mapping Efficiency %", "Compute Util %"};
  for (const PlainField<LayerRow>* field : plain) header.emplace_back(field->name);
  const std::vector<std::string> causes = time_causes(report);
  for (const std::string& cause : causes) header.push_back("time_" + cause);
  const bool with_bounds =
      std::any_of(report.layers.begin(), report.layers.end(), [](const LayerRow& row) { return !row.bound.empty(); });
  if (with_bounds) {
    header.emplace_back("bound_cycles");
    header.emplace_back("bound");
  }
  const bool with_predictions = std::any_of(report.layers.begin(), report.layers.end(),
                                            [](const LayerRow& row) { return row.predicted_cycles.has_value(); });
  if (with_predictions) {
    header.emplace_back("predicted_cycles");
    header.emplace_back("prediction_error_pct");
  }
  // Energy: the layer's in pJ, per MAC, and one energy_<component> column per component.
  std::vector<std::string> components;
  for (const LayerRow& row : report.layers) {
    for (const auto& entry : row.energy) {
      if (std::find(components.begin(), components.end(), entry.first) == components.end()) components.push_back(entry.first);
    }
  }
  if (!components.empty()) {
    header.emplace_back("energy_pj");
    header.emplace_back("pj_per_mac");
    header.emplace_back("energy_delay");
    for (const std::string& component : components) header.push_back("energy_" + component);
  }
  header.insert(header.end(), specific_keys.begin(), specific_keys.end());
  std::string out;
  append_csv_line(out, header);

  for (std::size_t i = 0; i < report.layers.size(); ++i) {
    const LayerRow& row = report.layers[i];
    const double overall = 100.0 * row.utilization;
    const double compute = row.cycles > row.stall_cycles ? overall * static_cast<double>(row.cycles) /
                                                               static_cast<double>(row.cycles - row.stall_cycles)
                                                         : 0.0;
    double mapping = compute;
    if (const auto it = row.specific.find("mapping_efficiency"); it != row.specific.end() && it->is_number()) {
      mapping = 100.0 * it->get<double>();
    }
    std::vector<std::string> fields = {std::to_string(i),     std::to_string(row.cycles), std::to_string(row.stall_cycles),
                                       python_float(overall), python_float(mapping),      python_float(compute)};
    for (const PlainField<LayerRow>* field : plain) fields.push_back(csv_value(field_json(*field, row)));
    for (const std::string& cause : causes) {
      const auto it = std::find_if(row.time.begin(), row.time.end(), [&](const auto& e) { return e.first == cause; });
      fields.push_back(it == row.time.end() ? std::string() : std::to_string(it->second));
    }
    if (with_bounds) {
      fields.push_back(row.bound.empty() ? std::string() : std::to_string(row.bound.cycles()));
      fields.push_back(row.bound.binding());
    }
    if (with_predictions) {
      const std::optional<double> error = prediction_error_pct(row.cycles, row.predicted_cycles);
      fields.push_back(row.predicted_cycles ? std::to_string(*row.predicted_cycles) : std::string());
      fields.push_back(error ? python_float(*error) : std::string());
    }
    if (!components.empty()) {
      fields.push_back(row.energy.empty() ? std::string() : python_float(energy_pj(row.energy)));
      fields.push_back(row.energy.empty() ? std::string() : python_float(pj_per_mac(row.energy, row.macs)));
      fields.push_back(row.energy.empty() ? std::string() : python_float(energy_delay(row.energy, row.us * 1e-3)));
      for (const std::string& component : components) {
        const auto it = std::find_if(row.energy.begin(), row.energy.end(), [&](const auto& e) { return e.first == component; });
        fields.push_back(it == row.energy.end() ? std::string() : python_float(it->second));
      }
    }
    for (const std::string& key : specific_keys) {
      const auto it = row.specific.find(key);
      fields.push_back(it == row.specific.end() ? std::string() : csv_value(*it));
    }
    append_csv_line(out, fields);
  }
  return out;
}

std::string csv_field(std::string_view field) { return needs_quotes(field) ? csv_quoted(field) : std::string(field); }

std::string csv_number(double value) { return python_float(value); }

std::string csv_value(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "";
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::number_float:
      return python_float(value.get<double>());
    default:
      return value.dump();  // integers, booleans; objects and arrays as JSON text
  }
}

void write_csv(const RunReport& report, const std::filesystem::path& path) {
  write_file_atomically(path, csv_text(report));
}

}  // namespace wb::report
