#include "workbench/compare/compare_reports.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <ostream>
#include <ranges>
#include <set>

#include "support/atomic_file.h"
#include "support/error.h"
#include "isa/program_file.h"
#include "support/file_io.h"
#include "support/text.h"
#include "workbench/compare/layer_join.h"
#include "workbench/report/report_csv.h"
#include "workbench/report/report_fields.h"
#include "workbench/report/report_json.h"
#include "workbench/report/report_stats.h"
#include "workbench/report/text_table.h"

namespace wb::compare {
namespace {

constexpr std::size_t kMaxNameWidth = 40;

std::string label_of(std::size_t index) {
  // A..Z, then A1, B1, ...: nobody compares 27 reports, but the label must stay unique.
  const auto letter = static_cast<char>('A' + index % 26);
  return index < 26 ? std::string(1, letter) : fmt::format("{}{}", letter, index / 26);
}

// The clock the report's cycles count: the resolved config's, else what cycles and latency
// imply (reports store both).
double clock_of(const report::RunReport& r, const std::filesystem::path& path) {
  const nlohmann::json& hw = r.hw_resolved;
  if (hw.contains("resolved") && hw["resolved"].contains("clock_mhz") && hw["resolved"]["clock_mhz"].is_number()) {
    return hw["resolved"]["clock_mhz"].get<double>();
  }
  if (r.totals.cycles > 0 && r.totals.latency_ms > 0) {
    return static_cast<double>(r.totals.cycles) / (r.totals.latency_ms * 1e3);
  }
  throw UserError(fmt::format("{}: the report names no clock (hw.resolved.resolved.clock_mhz) and has no latency to "
                              "derive one from; write it again with workbench run --json",
                              path.string()));
}

std::string hw_name_of(const report::RunReport& r) {
  const nlohmann::json& hw = r.hw_resolved;
  if (hw.contains("name") && hw["name"].is_string()) return hw["name"].get<std::string>();
  return r.hw_path.empty() ? "?" : std::filesystem::path(r.hw_path).stem().string();
}

std::string format_time(double value, TimeUnit unit) {
  if (unit == TimeUnit::Cycles) return grouped(static_cast<std::uint64_t>(std::llround(value)));
  return fmt::format("{:.1f}", value);
}

// Two decimals, or two significant digits below 0.1 (a 300x speed-up is 0.0033, not 0.00).
std::string format_ratio(std::optional<double> r) {
  if (!r) return "-";
  if (*r >= 0.1 || *r == 0) return fmt::format("{:.2f}", *r);
  return fmt::format("{:.2g}", *r);
}

std::string mac_per_cycle(std::uint64_t macs, std::uint64_t cycles) {
  return cycles == 0 ? "-" : fmt::format("{:.1f}", static_cast<double>(macs) / static_cast<double>(cycles));
}

std::string unit_name(TimeUnit unit) { return unit == TimeUnit::Cycles ? "cycles" : "us"; }

// A layer's count `name`: its plain field's, else its target statistic's; none when it has none.
std::optional<std::uint64_t> layer_count(const report::LayerRow& layer, std::string_view name) {
  for (const report::PlainField<report::LayerRow>& field : report::layer_fields()) {
    if (field.name == name) return report::field_count(field, layer);
  }
  const auto it = layer.specific.find(std::string(name));
  if (it == layer.specific.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  const auto value = it->get<std::int64_t>();  // a count written as a signed number (by hand)
  return value >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(value)) : std::nullopt;
}

// A count summed over some layers (a row's, or a report's all); none when none of them has it.
template <std::ranges::input_range Layers>
std::optional<std::uint64_t> summed_count(Layers&& layers, std::string_view name) {
  std::optional<std::uint64_t> sum;
  for (const report::LayerRow& layer : layers) {
    if (const auto value = layer_count(layer, name)) sum = sum.value_or(0) + *value;
  }
  return sum;
}

void check_stats(const std::vector<ReportSide>& sides, const std::vector<std::string>& stats) {
  const std::vector<std::string> countable = countable_layer_statistics(sides);
  for (const std::string& stat : stats) {
    if (std::find(countable.begin(), countable.end(), stat) == countable.end()) {
      throw UserError(fmt::format("--stat {}: not a layer statistic these reports count (one that adds up over a "
                                  "row's layers); choose from {} (docs/report.md)",
                                  stat, fmt::join(countable, ", ")));
    }
  }
}

// Energy (uJ) x time (ms): the energy-delay product of a row or run.
std::optional<double> energy_delay_of(std::optional<double> energy_uj, double microseconds) {
  if (!energy_uj) return std::nullopt;
  return *energy_uj * microseconds * 1e-3;
}

}  // namespace

std::vector<std::string> countable_layer_statistics(const std::vector<ReportSide>& sides) {
  std::vector<std::string> names;
  const auto add = [&](std::string_view name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  };
  for (const report::PlainField<report::LayerRow>& field : report::layer_fields()) {
    if (std::holds_alternative<std::uint64_t report::LayerRow::*>(field.field)) add(field.name);
  }
  // Counts of things and durations; a point in time (unit `cycle`: start_cycle, end_cycle) does
  // not add up.
  for (const ReportSide& side : sides) {
    for (const report::StatDecl* stat : report::target_statistics(side.report.target, report::StatScope::Layer)) {
      if (stat->kind == report::StatKind::Count && stat->unit != "cycle") add(stat->name);
    }
  }
  return names;
}

std::string row_name(const RowFigures& row) {
  if (row.output.empty()) return "(after the last common layer)";
  for (const auto& names : row.names) {
    if (names.empty()) continue;
    const std::string last = names.back();
    return names.size() == 1 ? last : fmt::format("{} (+{})", last, names.size() - 1);
  }
  return "-";
}

TimeUnit choose_unit(const std::vector<ReportSide>& sides, std::optional<TimeUnit> asked) {
  std::set<double> clocks;
  std::set<std::string> targets;
  for (const ReportSide& side : sides) {
    clocks.insert(side.clock_mhz);
    targets.insert(side.report.target);
  }
  if (asked == TimeUnit::Cycles && clocks.size() > 1) {
    std::vector<std::string> listed;
    for (double c : clocks) listed.push_back(fmt::format("{:g} MHz", c));
    throw UserError(fmt::format("--unit cycles: the reports run at different clocks ({}), so their cycles are not "
                                "comparable; use --unit us",
                                fmt::join(listed, ", ")));
  }
  if (asked) return *asked;
  return clocks.size() == 1 && targets.size() == 1 ? TimeUnit::Cycles : TimeUnit::Microseconds;
}

Comparison compare(std::vector<ReportSide> sides, std::optional<TimeUnit> unit, const std::vector<std::string>& stats) {
  if (sides.size() < 2) throw UserError("compare needs at least two run reports");
  check_stats(sides, stats);
  Comparison result;
  result.unit = choose_unit(sides, unit);
  result.stats = stats;
  std::vector<std::vector<LayerWrites>> outputs;
  for (const ReportSide& side : sides) {
    std::vector<LayerWrites> tensors;
    // Reports written before layers named their tensor (and sweep databases of then) are
    // joined by layer name, which holds across options of one target if not across targets.
    for (const report::LayerRow& layer : side.report.layers) {
      LayerWrites writes = {layer.output.empty() ? "layer " + layer.name : layer.output};
      writes.insert(writes.end(), layer.parts.begin(), layer.parts.end());
      tensors.push_back(std::move(writes));
    }
    outputs.push_back(std::move(tensors));
  }
  for (const JoinedRow& joined : join_layers(outputs)) {
    RowFigures row;
    row.output = joined.output;
    row.stats.resize(stats.size());
    for (std::size_t s = 0; s < sides.size(); ++s) {
      std::vector<std::string> names, types;
      std::uint64_t cycles = 0, macs = 0, bytes = 0;
      std::optional<double> energy;
      for (std::size_t i : joined.layers[s]) {
        const report::LayerRow& layer = sides[s].report.layers[i];
        names.push_back(layer.name);
        types.push_back(layer.type);
        cycles += layer.cycles;
        macs += layer.macs;
        bytes += layer.bytes_in + layer.bytes_out;
        if (!layer.energy.empty()) energy = energy.value_or(0.0) + report::energy_pj(layer.energy) * 1e-6;
      }
      const auto row_layers = joined.layers[s] | std::views::transform([&](std::size_t i) -> const report::LayerRow& {
                                return sides[s].report.layers[i];
                              });
      for (std::size_t k = 0; k < stats.size(); ++k) row.stats[k].push_back(summed_count(row_layers, stats[k]));
      row.energy_uj.push_back(energy);
      row.names.push_back(std::move(names));
      row.types.push_back(std::move(types));
      row.cycles.push_back(cycles);
      row.macs.push_back(macs);
      row.bytes.push_back(bytes);
      // A clock of 0 (a point stored without one) gives no time rather than an infinite one.
      row.microseconds.push_back(sides[s].clock_mhz > 0 ? static_cast<double>(cycles) / sides[s].clock_mhz : 0.0);
      row.energy_delay.push_back(energy_delay_of(energy, row.microseconds.back()));
    }
    result.rows.push_back(std::move(row));
  }
  result.sides = std::move(sides);
  return result;
}

double time_of(const Comparison& comparison, const RowFigures& row, std::size_t side) {
  return comparison.unit == TimeUnit::Cycles ? static_cast<double>(row.cycles[side]) : row.microseconds[side];
}

std::optional<double> ratio(double a_us, double b_us) {
  if (a_us <= 0) return std::nullopt;
  return b_us / a_us;
}

namespace {

// Each report's rates per second, as its target declares them (xDNN's frames/s per PE and of
// its card), with what binds the card: one line per report that has any.
void print_rates(const std::vector<ReportSide>& sides, std::ostream& os) {
  std::vector<std::string> lines;
  for (const ReportSide& side : sides) {
    const report::RunReport& r = side.report;
    std::vector<std::string> rates;
    for (const report::StatDecl* stat : report::target_statistics(r.target, report::StatScope::Run)) {
      const auto value = r.totals.specific.find(stat->name);
      if (!stat->unit.ends_with("/s") || value == r.totals.specific.end() || !value->is_number()) continue;
      rates.push_back(fmt::format("{} {:.1f} {}", stat->name, value->get<double>(), stat->unit));
    }
    if (rates.empty()) continue;
    if (const auto pes = r.totals.specific.find("pes"); pes != r.totals.specific.end()) {
      rates.push_back(fmt::format("{} PE(s), bound by {}", pes->get<int>(),
                                  r.totals.specific.value("card_binding", std::string("?"))));
    }
    lines.push_back(fmt::format("  {}  {}\n", side.label, fmt::join(rates, ", ")));
  }
  if (lines.empty()) return;
  os << "\nrates:\n";
  for (const std::string& line : lines) os << line;
}

// The totals are the reports' own (layers' cycles add up to them, host time aside); the traffic
// and the asked statistics are the layers' sums.
RowFigures totals_row(const Comparison& comparison) {
  RowFigures row;
  row.stats.resize(comparison.stats.size());
  for (const ReportSide& side : comparison.sides) {
    const report::Totals& t = side.report.totals;
    std::vector<std::string> names;
    std::uint64_t traffic = 0;
    for (const report::LayerRow& layer : side.report.layers) {
      names.push_back(layer.name);
      traffic += layer.bytes_in + layer.bytes_out;
    }
    row.names.push_back(std::move(names));
    row.cycles.push_back(t.cycles);
    row.macs.push_back(t.macs);
    row.bytes.push_back(traffic);
    row.microseconds.push_back(static_cast<double>(t.cycles) / side.clock_mhz);
    row.energy_uj.push_back(t.energy.empty() ? std::nullopt : std::optional<double>(report::energy_pj(t.energy) * 1e-6));
    row.energy_delay.push_back(energy_delay_of(row.energy_uj.back(), row.microseconds.back()));
    for (std::size_t k = 0; k < comparison.stats.size(); ++k) {
      row.stats[k].push_back(summed_count(side.report.layers, comparison.stats[k]));
    }
  }
  return row;
}

}  // namespace

void print_comparison(const Comparison& comparison, std::size_t top, std::ostream& os) {
  const auto& sides = comparison.sides;
  const TimeUnit unit = comparison.unit;
  for (const ReportSide& side : sides) {
    const report::RunReport& r = side.report;
    os << fmt::format("{}  {} on {} ({}, {:g} MHz), scheme {}, {}{}  {}\n", side.label, r.model_name, hw_name_of(r),
                      r.target, side.clock_mhz, r.run.scheme.empty() ? "?" : r.run.scheme,
                      r.run.compile_options.empty() ? "default options" : r.run.compile_options,
                      r.run.overrides.empty() ? "" : fmt::format(", --set {}", fmt::join(r.run.overrides, " ")),
                      side.path.string());
  }
  os << fmt::format("time in {}{}; ratios are {} over A\n\n", unit_name(unit),
                    unit == TimeUnit::Microseconds ? " (targets or clocks differ)" : "",
                    sides.size() == 2 ? "B" : "each report");

  std::vector<TextColumn> columns = {{"#", true, {}}, {"layer (" + sides[0].label + ")", false, {}}, {"layers", true, {}}};
  for (const ReportSide& side : sides) columns.push_back({side.label + " " + unit_name(unit), true, {}});
  for (std::size_t s = 1; s < sides.size(); ++s) columns.push_back({sides[s].label + "/" + sides[0].label, true, {}});
  for (const ReportSide& side : sides) columns.push_back({side.label + " MAC/cyc", true, {}});
  for (const ReportSide& side : sides) columns.push_back({side.label + " bytes", true, {}});
  // Energy, when a report has it (docs/energy.md): uJ per row and side.
  const bool with_energy = std::any_of(sides.begin(), sides.end(), [](const ReportSide& side) { return !side.report.totals.energy.empty(); });
  if (with_energy) {
    for (const ReportSide& side : sides) columns.push_back({side.label + " uJ", true, {}});
    for (const ReportSide& side : sides) columns.push_back({side.label + " uJ*ms", true, {}});
  }
  for (const std::string& stat : comparison.stats) {
    for (const ReportSide& side : sides) columns.push_back({side.label + " " + stat, true, {}});
  }
  columns.push_back({"MACs", true, {}});

  bool macs_differ = false;
  const auto add_row = [&](const std::string& index, const std::string& name, const RowFigures& row) {
    std::size_t c = 0;
    columns[c++].cells.push_back(index);
    columns[c++].cells.push_back(truncated(name, kMaxNameWidth));
    std::vector<std::string> count_text;
    for (const auto& names : row.names) count_text.push_back(std::to_string(names.size()));
    columns[c++].cells.push_back(fmt::format("{}", fmt::join(count_text, "/")));
    for (std::size_t s = 0; s < sides.size(); ++s) columns[c++].cells.push_back(format_time(time_of(comparison, row, s), unit));
    for (std::size_t s = 1; s < sides.size(); ++s) {
      columns[c++].cells.push_back(format_ratio(ratio(row.microseconds[0], row.microseconds[s])));
    }
    for (std::size_t s = 0; s < sides.size(); ++s) columns[c++].cells.push_back(mac_per_cycle(row.macs[s], row.cycles[s]));
    for (std::uint64_t b : row.bytes) columns[c++].cells.push_back(grouped(b));
    if (with_energy) {
      for (const std::optional<double>& uj : row.energy_uj) columns[c++].cells.push_back(uj ? fmt::format("{:.2f}", *uj) : "-");
      for (const std::optional<double>& edp : row.energy_delay) {
        columns[c++].cells.push_back(edp ? fmt::format("{:.4g}", *edp) : "-");
      }
    }
    for (const auto& per_side : row.stats) {
      for (const std::optional<std::uint64_t>& value : per_side) columns[c++].cells.push_back(value ? grouped(*value) : "-");
    }
    const auto& macs = row.macs;
    const bool same = std::all_of(macs.begin(), macs.end(), [&](std::uint64_t m) { return m == macs[0]; });
    macs_differ = macs_differ || !same;
    columns[c++].cells.push_back(grouped(macs[0]) + (same ? "" : " *"));
  };
  for (std::size_t i = 0; i < comparison.rows.size(); ++i) {
    add_row(std::to_string(i + 1), row_name(comparison.rows[i]), comparison.rows[i]);
  }
  add_row("", "total", totals_row(comparison));
  print_columns(columns, os);
  if (macs_differ) os << "* the reports' MACs differ in this row: not the same work (another model or quantization?)\n";
  print_rates(sides, os);

  if (top == 0) return;
  for (std::size_t s = 1; s < sides.size(); ++s) {
    std::vector<std::size_t> order(comparison.rows.size());
    std::iota(order.begin(), order.end(), 0);
    const auto moved = [&](std::size_t i) {
      return std::abs(time_of(comparison, comparison.rows[i], s) - time_of(comparison, comparison.rows[i], 0));
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return moved(a) > moved(b); });
    os << fmt::format("\nmoved most, {} against {}:\n", sides[s].label, sides[0].label);
    std::size_t shown = 0;
    for (std::size_t i : order) {
      if (shown == top || moved(i) == 0) break;
      const RowFigures& row = comparison.rows[i];
      const double delta = time_of(comparison, row, s) - time_of(comparison, row, 0);
      os << fmt::format("  #{:<4} {:>14} {}  (x{})  {}\n", i + 1,
                        fmt::format("{}{}", delta >= 0 ? '+' : '-', format_time(std::abs(delta), unit)), unit_name(unit),
                        format_ratio(ratio(row.microseconds[0], row.microseconds[s])), row_name(row));
      ++shown;
    }
    if (shown == 0) os << "  nothing: every row takes the same time\n";
  }
}

std::string comparison_csv(const Comparison& comparison) {
  std::vector<std::string> header = {"row", "output"};
  for (const ReportSide& side : comparison.sides) {
    for (const char* field : {"layers", "cycles", "us", "macs", "mac_per_cycle", "bytes", "energy_uj", "energy_delay"}) {
      header.push_back(fmt::format("{}_{}", side.label, field));
    }
    for (const std::string& stat : comparison.stats) header.push_back(fmt::format("{}_{}", side.label, stat));
  }
  for (std::size_t s = 1; s < comparison.sides.size(); ++s) {
    header.push_back(fmt::format("ratio_{}_{}", comparison.sides[s].label, comparison.sides[0].label));
  }
  const auto line = [](const std::vector<std::string>& fields) {
    std::string text;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text += ',';
      text += report::csv_field(fields[i]);
    }
    return text + "\n";
  };
  std::string text = line(header);
  for (std::size_t i = 0; i < comparison.rows.size(); ++i) {
    const RowFigures& row = comparison.rows[i];
    std::vector<std::string> fields = {std::to_string(i + 1), row.output};
    for (std::size_t s = 0; s < comparison.sides.size(); ++s) {
      fields.push_back(fmt::format("{}", fmt::join(row.names[s], " + ")));
      fields.push_back(std::to_string(row.cycles[s]));
      fields.push_back(report::csv_number(row.microseconds[s]));
      fields.push_back(std::to_string(row.macs[s]));
      fields.push_back(row.cycles[s] == 0 ? ""
                                          : report::csv_number(static_cast<double>(row.macs[s]) /
                                                               static_cast<double>(row.cycles[s])));
      fields.push_back(std::to_string(row.bytes[s]));
      fields.push_back(row.energy_uj[s] ? report::csv_number(*row.energy_uj[s]) : "");
      fields.push_back(row.energy_delay[s] ? report::csv_number(*row.energy_delay[s]) : "");
      for (const auto& per_side : row.stats) fields.push_back(per_side[s] ? std::to_string(*per_side[s]) : "");
    }
    for (std::size_t s = 1; s < comparison.sides.size(); ++s) {
      const auto r = ratio(row.microseconds[0], row.microseconds[s]);
      fields.push_back(r ? report::csv_number(*r) : "");
    }
    text += line(fields);
  }
  return text;
}

ReportSide side_of(const nlohmann::json& doc, std::size_t index, const std::filesystem::path& source) {
  ReportSide side;
  side.label = label_of(index);
  side.path = source;
  side.report = report::from_json(doc, source.string());
  side.clock_mhz = clock_of(side.report, source);
  if (!(side.clock_mhz > 0)) throw UserError(fmt::format("{}: clock of {} MHz", source.string(), side.clock_mhz));
  return side;
}

int run_compare(const CompareCommand& command, std::ostream& out) {
  if (command.reports.size() < 2) {
    throw UserError(fmt::format("compare needs at least two run reports (got {}): workbench compare A.json B.json",
                                command.reports.size()));
  }
  if (command.csv) check_output_file(*command.csv, "--csv");
  std::vector<ReportSide> sides;
  for (std::size_t i = 0; i < command.reports.size(); ++i) {
    const std::filesystem::path& path = command.reports[i];
    if (!std::filesystem::is_regular_file(path)) {
      throw UserError(fmt::format("{}: no such file (give run reports written by workbench run/sim/verify --json)",
                                  path.string()));
    }
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(read_file_bytes(path));
    } catch (const nlohmann::json::parse_error& e) {
      throw UserError(fmt::format("{}: not valid JSON (truncated?): {}", path.string(), e.what()));
    }
    sides.push_back(side_of(doc, i, path));
  }
  const Comparison comparison = compare(std::move(sides), command.unit, command.stats);
  print_comparison(comparison, command.top, out);
  if (command.csv) {
    write_file_atomically(*command.csv, comparison_csv(comparison));
    out << fmt::format("\nwrote {} rows to {}\n", comparison.rows.size(), command.csv->string());
  }
  return 0;
}

}  // namespace wb::compare
