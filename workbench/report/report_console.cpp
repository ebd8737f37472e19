#include "workbench/report/report_console.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <functional>
#include <tuple>
#include <optional>
#include <ostream>

#include "support/text.h"
#include "workbench/report/report_csv.h"
#include "workbench/report/report_stats.h"
#include "workbench/report/text_table.h"

namespace wb::report {

namespace {

constexpr std::size_t kMaxNameWidth = 40;
constexpr std::size_t kMaxTypeWidth = 20;

// "weights_ddr 64%": the cause most of the layer's time went to; "-" without causes.
std::string main_cause(const LayerRow& row) {
  const std::pair<std::string, std::uint64_t>* best = nullptr;
  for (const auto& entry : row.time) {
    if (best == nullptr || entry.second > best->second) best = &entry;
  }
  if (best == nullptr || row.cycles == 0) return "-";
  return fmt::format("{} {:.0f}%", best->first,
                     100.0 * static_cast<double>(best->second) / static_cast<double>(row.cycles));
}

// "ddr_channel 83%": what binds and how close the simulated time came to it; "-" without a bound.
std::string bound_text(const Bound& bound, std::uint64_t cycles) {
  if (bound.cycles() == 0 || cycles == 0) return "-";
  return fmt::format("{} {:.0f}%", bound.binding(), 100.0 * static_cast<double>(bound.cycles()) / static_cast<double>(cycles));
}

// "+4.2": the simulator against the prediction, in percent of it; "-" without one.
std::string error_text(std::uint64_t cycles, std::optional<std::uint64_t> predicted) {
  const std::optional<double> error = prediction_error_pct(cycles, predicted);
  return error ? fmt::format("{:+.1f}", *error) : "-";
}

}  // namespace

std::string energy_shares(const Energy& energy) {
  const double total = energy_pj(energy);
  std::string text;
  for (const auto& [component, pj] : energy) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {:.1f} uJ ({:.0f} %)", component, pj * 1e-6, total > 0 ? 100.0 * pj / total : 0.0);
  }
  return text;
}

void print_table(const RunReport& report, std::ostream& os) {
  const std::string memory = offchip_level(report);
  std::vector<TextColumn> columns = {{"name", false, {}},  {"type", false, {}},        {"unit", false, {}}, {"MACs", true, {}},
                                     {"cycles", true, {}}, {"us", true, {}},           {"MAC/cycle", true, {}},
                                     {"util %", true, {}}, {"stall", true, {}},        {memory + " in", true, {}},
                                     {memory + " out", true, {}}, {"tiles", true, {}}};
  const bool with_causes = std::any_of(report.layers.begin(), report.layers.end(),
                                       [](const LayerRow& row) { return !row.time.empty(); });
  for (const LayerRow& row : report.layers) {
    const std::array<std::string, 12> cells = {truncated(row.name, kMaxNameWidth),
                                               truncated(row.type, kMaxTypeWidth),
                                               row.unit,
                                               grouped(row.macs),
                                               grouped(row.cycles),
                                               fmt::format("{:.1f}", row.us),
                                               fmt::format("{:.1f}", row.mac_per_cycle),
                                               fmt::format("{:.1f}", 100.0 * row.utilization),
                                               grouped(row.stall_cycles),
                                               grouped(row.bytes_in),
                                               grouped(row.bytes_out),
                                               grouped(row.tiles)};
    append_row(columns, cells);
  }
  // The prediction beside the simulated cycles, on targets that predict (none: no columns).
  if (std::any_of(report.layers.begin(), report.layers.end(), [](const LayerRow& row) { return row.predicted_cycles.has_value(); })) {
    TextColumn predicted{"pred", true, {}}, error{"err%", true, {}};
    for (const LayerRow& row : report.layers) {
      predicted.cells.push_back(row.predicted_cycles ? grouped(*row.predicted_cycles) : "-");
      error.cells.push_back(error_text(row.cycles, row.predicted_cycles));
    }
    const auto after_cycles = columns.begin() + 5;
    columns.insert(after_cycles, {std::move(predicted), std::move(error)});
  }
  // Energy, on reports that have it (docs/energy.md): the layer's, and its cost per MAC.
  if (std::any_of(report.layers.begin(), report.layers.end(), [](const LayerRow& row) { return !row.energy.empty(); })) {
    TextColumn uj{"uJ", true, {}}, per_mac{"pJ/MAC", true, {}};
    for (const LayerRow& row : report.layers) {
      uj.cells.push_back(row.energy.empty() ? "-" : fmt::format("{:.2f}", energy_pj(row.energy) * 1e-6));
      per_mac.cells.push_back(row.energy.empty() || row.macs == 0 ? "-" : fmt::format("{:.1f}", pj_per_mac(row.energy, row.macs)));
    }
    columns.push_back(std::move(uj));
    columns.push_back(std::move(per_mac));
  }
  if (with_causes) {
    TextColumn main{"most time", false, {}};
    for (const LayerRow& row : report.layers) main.cells.push_back(main_cause(row));
    columns.push_back(std::move(main));
  }
  // The share of the array a layer's shape fills, on a target that declares it (xDNN): what a
  // `mapping` bound means.
  const auto mapping_of = [](const LayerRow& row) -> std::optional<double> {
    const auto it = row.specific.find("mapping_efficiency");
    if (row.macs == 0 || it == row.specific.end() || !it->is_number() || it->get<double>() <= 0) return std::nullopt;
    return it->get<double>();
  };
  if (std::any_of(report.layers.begin(), report.layers.end(), [&](const LayerRow& row) { return mapping_of(row).has_value(); })) {
    TextColumn mapping{"map %", true, {}};
    for (const LayerRow& row : report.layers) {
      const std::optional<double> share = mapping_of(row);
      mapping.cells.push_back(share ? fmt::format("{:.0f}", 100 * *share) : "-");
    }
    columns.push_back(std::move(mapping));
  }
  if (std::any_of(report.layers.begin(), report.layers.end(), [](const LayerRow& row) { return !row.bound.empty(); })) {
    TextColumn bound{"bound, attained", false, {}};
    for (const LayerRow& row : report.layers) bound.cells.push_back(bound_text(row.bound, row.cycles));
    columns.push_back(std::move(bound));
  }
  print_columns(columns, os);
  os << '\n';
  if (!report.units.empty()) {
    print_units(report, os);
    os << '\n';
  }
  print_totals(report, os);
}

void print_units(const RunReport& report, std::ostream& os) {
  if (report.units.empty()) return;
  std::vector<TextColumn> columns = {{"unit", false, {}},       {"busy %", true, {}}, {"busy cycles", true, {}},
                                     {"operations", true, {}}, {"bytes", true, {}},  {"stall", true, {}}};
  for (const UnitRow& unit : report.units) {
    const std::array<std::string, 6> cells = {unit.name,
                                              fmt::format("{:.1f}", 100.0 * unit.busy),
                                              grouped(unit.busy_cycles),
                                              grouped(unit.operations),
                                              grouped(unit.bytes),
                                              grouped(unit.stall_cycles)};
    append_row(columns, cells);
  }
  print_columns(columns, os);
}

// The layers' cycles grouped by `key` (their type, the unit they ran on), as shares of the
// layers' cycles added up, largest first: "conv 81% (12), maxpool 6% (2), ...". On xDNN layers
// overlap, so the sum is not the run's cycles; the shares still say where the work went.
std::string cycle_shares(const RunReport& report, const std::function<std::string(const LayerRow&)>& key) {
  std::vector<std::tuple<std::string, std::uint64_t, std::size_t>> groups;
  std::uint64_t all = 0;
  for (const LayerRow& row : report.layers) {
    const std::string name = key(row).empty() ? "-" : key(row);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return std::get<0>(g) == name; });
    if (it == groups.end()) it = groups.insert(groups.end(), {name, 0, 0});
    std::get<1>(*it) += row.cycles;
    ++std::get<2>(*it);
    all += row.cycles;
  }
  if (all == 0) return "-";
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return std::get<1>(a) > std::get<1>(b); });
  std::string text;
  for (const auto& [name, cycles, count] : groups) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {:.0f}% ({})", name, 100.0 * static_cast<double>(cycles) / static_cast<double>(all), count);
  }
  return text;
}

void print_totals(const RunReport& report, std::ostream& os) {
  const Totals& t = report.totals;
  std::vector<std::pair<std::string, std::string>> totals = {
      {"cycles", grouped(t.cycles)},
      {"latency", fmt::format("{:.3f} ms", t.latency_ms)},
      {"MACs", grouped(t.macs)},
      {"ops", grouped(t.ops)},
      {"MAC/cycle", fmt::format("{:.2f}", t.mac_per_cycle)},
      {"utilization", fmt::format("{:.1f} %", 100.0 * t.utilization)}};
  if (!report.layers.empty()) {
    totals.emplace_back("time by type", cycle_shares(report, [](const LayerRow& row) { return row.type; }));
    totals.emplace_back("time by unit", cycle_shares(report, [](const LayerRow& row) { return row.unit; }));
  }
  if (t.predicted_cycles) {
    totals.insert(totals.begin() + 1, {"predicted", fmt::format("{} cycles (simulated {} %)", grouped(*t.predicted_cycles),
                                                              error_text(t.cycles, t.predicted_cycles))});
  }
  totals.emplace_back(offchip_level(report) + " bytes", grouped(t.offchip_bytes));
  totals.emplace_back("moveops", grouped(t.moveops));
  totals.emplace_back("host time", fmt::format("{:.1f} ms", t.host_ms));
  if (!t.energy.empty()) {
    totals.emplace_back("energy", fmt::format("{:.1f} uJ, {:.1f} pJ/MAC, {:.1f} mW average", energy_pj(t.energy) * 1e-6,
                                              pj_per_mac(t.energy, t.macs), power_mw(t.energy, t.latency_ms)));
    totals.emplace_back("energy by part", energy_shares(t.energy));
  }
  if (t.tokens && *t.tokens > 0) {
    const auto tokens = static_cast<double>(*t.tokens);
    std::string rates = t.latency_ms > 0 ? fmt::format("{:.1f} tokens/s", tokens / (t.latency_ms * 1e-3)) : "";
    if (!t.energy.empty()) rates += fmt::format(", {:.3f} uJ/token", energy_pj(t.energy) * 1e-6 / tokens);
    totals.emplace_back("tokens", fmt::format("{} ({})", grouped(*t.tokens), rates));
  }
  if (!t.bound.empty()) {
    std::string levels = fmt::format("compute {}", grouped(t.bound.compute_cycles));
    if (t.bound.mapping_cycles > 0) levels += fmt::format(" (of which empty array slots {})", grouped(t.bound.mapping_cycles));
    for (const MemoryBound& level : t.bound.memory) levels += fmt::format(", {} {}", level.level, grouped(level.cycles));
    totals.emplace_back("bound", fmt::format("{} cycles ({}); attained {}", grouped(t.bound.cycles()), levels,
                                             bound_text(t.bound, t.cycles)));
  }
  for (const StatDecl* stat : target_statistics(report.target, StatScope::Run)) {
    const auto it = t.specific.find(stat->name);
    if (it == t.specific.end()) continue;
    const bool count = it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0);
    std::string value = count ? grouped(it->get<std::uint64_t>()) : csv_value(*it);
    if (it->is_number_float()) {
      const double v = it->get<double>();
      value = fmt::format("{:.{}f}", v, std::abs(v) >= 100 ? 1 : 4);
    }
    if (stat->unit == "bytes" || stat->unit == "cycles" || stat->unit == "ms" || stat->unit == "frames/s") {
      value += fmt::format(" {}", stat->unit);
    }
    totals.emplace_back(std::string(stat->name), std::move(value));
  }
  std::string verdict = report.verdict.empty() ? "-" : report.verdict;
  if (report.mismatch) {
    verdict += fmt::format(" (layer {}, element {}: expected {}, got {})", report.mismatch->layer,
                           report.mismatch->index, report.mismatch->expected, report.mismatch->actual);
  }
  totals.emplace_back("verdict", verdict);

  std::size_t key_width = 0;
  for (const auto& [key, value] : totals) key_width = std::max(key_width, display_width(key));
  for (const auto& [key, value] : totals) os << padded(key, key_width, false) << "  " << value << '\n';
}

}  // namespace wb::report
