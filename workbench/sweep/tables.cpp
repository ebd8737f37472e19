#include "workbench/sweep/tables.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/spelling.h"
#include "support/text.h"
#include "workbench/report/report.h"
#include "workbench/report/report_csv.h"
#include "workbench/sweep/results_db.h"
#include "workbench/sweep/sweep.h"
#include "workbench/backends/target.h"

namespace wb::sweep {

namespace {


struct Column {
  std::string name;     // what --sort and --where take
  std::string title;    // the table's header
  bool numeric = false;
  bool right = false;
  bool total = false;  // a total of the run reports (--column): a number or a name
};

struct Cell {
  std::string text;
  double number = 0;
  bool is_number = false;  // a total's cell holding a number
};

std::string axis_text(const StoredPoint& p, const std::string& axis) {
  const auto it = p.params.find(axis);
  return it == p.params.end() ? "-" : it->get<std::string>();
}

// A point's energy figure (`energy_uj`, `energy_delay`): none from a build before energy.
std::optional<double> energy_total(const StoredPoint& p, const std::string& name) {
  const auto it = p.totals.find(name);
  if (it == p.totals.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

double axis_number(const StoredPoint& p, const std::string& axis) {
  const auto it = p.hw_values.find(axis);
  return it == p.hw_values.end() ? 0.0 : it->get<double>();
}

std::vector<Column> columns_of(const std::vector<std::string>& axes, const std::vector<std::string>& extra = {}) {
  std::vector<Column> columns = {{"position", "#", true, true}, {"model", "model"}, {"config", "config"}};
  for (const std::string& axis : axes) columns.push_back({axis, axis, axis != "compile_opt", axis != "compile_opt"});
  const std::vector<Column> totals = {{"status", "status"},
                                      {"cycles", "cycles", true, true},
                                      {"latency_ms", "latency ms", true, true},
                                      {"mac_per_cycle", "MAC/cycle", true, true},
                                      {"utilization", "util %", true, true},
                                      {"memory_bytes", offchip_levels_label("/") + " bytes", true, true},
                                      {"energy_uj", "energy uJ", true, true},
                                      {"energy_delay", "uJ x ms", true, true},
                                      {"verdict", "verdict"},
                                      {"wall_seconds", "s", true, true}};
  columns.insert(columns.end(), totals.begin(), totals.end());
  for (const std::string& name : extra) columns.push_back({name, name, false, true, true});
  return columns;
}

// A total the user asked for (--column): a number as the report gives it, a name as it is.
Cell total_cell(const StoredPoint& p, const std::string& name) {
  const nlohmann::json* value = p.status == "done" ? stored_total(p, name) : nullptr;
  if (value == nullptr) return {"-"};
  if (value->is_number_unsigned()) return {grouped(value->get<std::uint64_t>()), value->get<double>(), true};
  if (value->is_number()) {
    const double v = value->get<double>();
    return {std::abs(v) >= 100 ? fmt::format("{:.1f}", v) : fmt::format("{:.4g}", v), v, true};
  }
  return {value->is_string() ? value->get<std::string>() : value->dump()};
}

Cell cell_of(const StoredPoint& p, const Column& c) {
  const bool done = p.status == "done";
  if (c.name == "position") return {std::to_string(p.position), static_cast<double>(p.position)};
  if (c.name == "model") return {p.model};
  if (c.name == "config") return {p.config};
  if (c.name == "status") return {p.status.empty() ? "pending" : p.status};
  if (c.name == "cycles") return {done ? grouped(p.cycles) : "-", static_cast<double>(p.cycles)};
  if (c.name == "latency_ms") return {done ? fmt::format("{:.3f}", p.latency_ms) : "-", p.latency_ms};
  if (c.name == "mac_per_cycle") return {done ? fmt::format("{:.2f}", p.mac_per_cycle) : "-", p.mac_per_cycle};
  if (c.name == "utilization") return {done ? fmt::format("{:.1f}", 100 * p.utilization) : "-", p.utilization};
  if (c.name == "memory_bytes") return {done ? grouped(p.memory_bytes) : "-", static_cast<double>(p.memory_bytes)};
  if (c.name == "energy_uj" || c.name == "energy_delay") {
    const std::optional<double> value = done ? energy_total(p, c.name) : std::nullopt;
    // Whole units from 100 up (grouped), two decimals below: uJ of an MCU and of an FPGA alike.
    const auto text = [](double v) {
      return v >= 100 ? grouped(static_cast<std::uint64_t>(std::llround(v))) : fmt::format("{:.2f}", v);
    };
    return {value ? text(*value) : "-", value.value_or(0.0)};
  }
  if (c.name == "verdict") return {done ? p.verdict : "-"};
  if (c.name == "wall_seconds") return {p.status.empty() ? "-" : fmt::format("{:.1f}", p.wall_seconds), p.wall_seconds};
  if (c.total) return total_cell(p, c.name);
  return {axis_text(p, c.name), axis_number(p, c.name)};
}

const Column& find_column(const std::vector<Column>& columns, const std::string& name, const std::string& option) {
  for (const Column& c : columns) {
    if (c.name == name) return c;
  }
  std::vector<std::string> names;
  for (const Column& c : columns) names.push_back(c.name);
  const std::string best = closest_spelling(name, std::vector<std::string_view>(names.begin(), names.end()));
  throw UserError(fmt::format("{} {}: no such column{}; columns: {}", option, name,
                              best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), fmt::join(names, ", ")));
}

struct Filter {
  const Column* column;
  std::string value;
  bool equal;
};

std::vector<Filter> parse_filters(const std::vector<Column>& columns, const std::vector<std::string>& items) {
  std::vector<Filter> filters;
  for (const std::string& item : items) {
    const auto ne = item.find("!=");
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UserError(fmt::format("--where {}: expected COLUMN=VALUE or COLUMN!=VALUE", item));
    }
    const bool equal = ne == std::string::npos || ne + 1 != eq;
    const std::string name = item.substr(0, equal ? eq : ne);
    filters.push_back({&find_column(columns, name, "--where"), item.substr(eq + 1), equal});
  }
  return filters;
}

std::string padded(const std::string& text, std::size_t width, bool right) {
  const std::string fill(text.size() < width ? width - text.size() : 0, ' ');
  return right ? fill + text : text + fill;
}

}  // namespace

int run_show(const ShowOptions& options, std::ostream& out) {
  const ResultsDb db(resolve_db(options.db), false);
  const std::vector<Column> columns = columns_of(db.axes(), options.columns);
  const Column& sort = find_column(columns, options.sort, "--sort");
  const std::vector<Filter> filters = parse_filters(columns, options.where);

  std::vector<StoredPoint> points = db.points();
  std::erase_if(points, [&](const StoredPoint& p) {
    if (options.failed_only && p.status != "failed") return true;
    return std::any_of(filters.begin(), filters.end(), [&](const Filter& f) {
      const std::string text = cell_of(p, *f.column).text;
      return (text == f.value) != f.equal;
    });
  });
  std::stable_sort(points.begin(), points.end(), [&](const StoredPoint& a, const StoredPoint& b) {
    const Cell x = cell_of(a, sort), y = cell_of(b, sort);
    const bool by_number = sort.numeric || (x.is_number && y.is_number);
    const bool less = by_number ? x.number < y.number : x.text < y.text;
    const bool greater = by_number ? y.number < x.number : y.text < x.text;
    return options.descending ? greater : less;
  });
  if (options.limit > 0 && points.size() > options.limit) points.resize(options.limit);

  std::vector<std::size_t> widths;
  for (const Column& c : columns) widths.push_back(c.title.size());
  std::vector<std::vector<std::string>> rows;
  for (const StoredPoint& p : points) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      row.push_back(cell_of(p, columns[i]).text);
      widths[i] = std::max(widths[i], row.back().size());
    }
    rows.push_back(std::move(row));
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line += "  ";
      line += padded(cells[i], widths[i], columns[i].right);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  std::vector<std::string> titles;
  for (const Column& c : columns) titles.push_back(c.title);
  print_row(titles);
  for (const auto& row : rows) print_row(row);
  std::size_t failed = 0;
  for (const StoredPoint& p : points) failed += p.status == "failed" ? 1 : 0;
  if (failed > 0) {
    out << "\nfailed points:\n";
    for (const StoredPoint& p : points) {
      if (p.status == "failed") out << fmt::format("  #{} (exit {}): {}\n", p.position, p.exit_code, p.error);
    }
  }
  out << fmt::format("\n{} of {} points shown ({} sorted by {}{})\n", points.size(), db.points().size(),
                     db.meta("name"), options.sort, options.descending ? ", descending" : "");
  return 0;
}

int run_export(const ExportOptions& options, std::ostream& out) {
  const ResultsDb db(resolve_db(options.db), false);
  const std::vector<std::string> axes = db.axes();
  const auto line = [](const std::vector<std::string>& fields) {
    std::string text;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text.push_back(',');
      text.append(report::csv_field(fields[i]));
    }
    text.push_back('\n');
    return text;
  };
  const auto axis_value = [](const StoredPoint& p, const std::string& axis) {
    // A config key's resolved value (bytes for "2MiB"); compile options as given.
    if (const auto it = p.hw_values.find(axis); it != p.hw_values.end()) {
      const double v = it->get<double>();
      return v == std::floor(v) && std::abs(v) < 9e15 ? std::to_string(static_cast<std::int64_t>(v)) : report::csv_number(v);
    }
    return axis_text(p, axis);
  };
  std::vector<std::string> header = {"key", "position", "model", "config", "target", "mode", "status"};
  header.insert(header.end(), axes.begin(), axes.end());
  const std::vector<std::string> totals = {"cycles",       "latency_ms", "macs",    "mac_per_cycle",
                                           "utilization",  "memory_bytes", "moveops", "energy_uj", "energy_delay", "verdict",
                                           "wall_seconds", "exit_code",  "error",   "compile_options"};
  header.insert(header.end(), totals.begin(), totals.end());
  std::string text = line(header);
  const std::vector<StoredPoint> points = db.points();
  for (const StoredPoint& p : points) {
    std::vector<std::string> fields = {p.key, std::to_string(p.position), p.model, p.config, p.target, p.mode,
                                       p.status.empty() ? "pending" : p.status};
    for (const std::string& axis : axes) fields.push_back(axis_value(p, axis));
    const bool done = p.status == "done";
    fields.push_back(done ? std::to_string(p.cycles) : "");
    fields.push_back(done ? report::csv_number(p.latency_ms) : "");
    fields.push_back(done ? std::to_string(p.macs) : "");
    fields.push_back(done ? report::csv_number(p.mac_per_cycle) : "");
    fields.push_back(done ? report::csv_number(p.utilization) : "");
    fields.push_back(done ? std::to_string(p.memory_bytes) : "");
    fields.push_back(done ? std::to_string(p.moveops) : "");
    for (const char* energy : {"energy_uj", "energy_delay"}) {
      const std::optional<double> value = done ? energy_total(p, energy) : std::nullopt;
      fields.push_back(value ? report::csv_number(*value) : "");
    }
    fields.push_back(done ? p.verdict : "");
    fields.push_back(p.status.empty() ? "" : report::csv_number(p.wall_seconds));
    fields.push_back(p.status.empty() ? "" : std::to_string(p.exit_code));
    fields.push_back(p.error);
    fields.push_back(p.compile_options);
    text += line(fields);
  }
  write_file_atomically(options.csv, text);
  out << fmt::format("wrote {} points to {}\n", points.size(), options.csv.string());
  if (options.layers_csv) {
    // Every point's layers first: the time causes of every target in the database are columns.
    std::vector<std::pair<const StoredPoint*, std::vector<report::LayerRow>>> done;
    std::vector<std::string> causes;
    for (const StoredPoint& p : points) {
      if (p.status != "done") continue;
      done.emplace_back(&p, db.layers(p.key));
      for (const report::LayerRow& l : done.back().second) {
        for (const auto& [cause, cycles] : l.time) {
          if (std::find(causes.begin(), causes.end(), cause) == causes.end()) causes.push_back(cause);
        }
      }
    }
    std::vector<std::string> layer_header = {"key", "model", "config"};
    layer_header.insert(layer_header.end(), axes.begin(), axes.end());
    for (const char* name : {"layer", "name", "type", "unit", "macs", "cycles", "mac_per_cycle", "utilization",
                             "stall_cycles", "bytes_in", "bytes_out", "tiles", "energy_pj", "bound",
                             "bound_cycles", "mapping_efficiency"}) {
      layer_header.emplace_back(name);
    }
    for (const std::string& cause : causes) layer_header.push_back("time_" + cause);
    std::string layers = line(layer_header);
    std::size_t rows = 0;
    for (const auto& [p, all] : done) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        const report::LayerRow& l = all[i];
        std::vector<std::string> fields = {p->key, p->model, p->config};
        for (const std::string& axis : axes) fields.push_back(axis_value(*p, axis));
        const auto mapping = l.specific.find("mapping_efficiency");
        for (const std::string& f :
             {std::to_string(i), l.name, l.type, l.unit, std::to_string(l.macs), std::to_string(l.cycles),
              report::csv_number(l.mac_per_cycle), report::csv_number(l.utilization), std::to_string(l.stall_cycles),
              std::to_string(l.bytes_in), std::to_string(l.bytes_out), std::to_string(l.tiles),
              // As the run report's layers write it: whole pJ; empty from a build before energy.
              l.energy.empty() ? std::string() : std::to_string(std::llround(report::energy_pj(l.energy))),
              l.bound.binding(),
              l.bound.empty() ? std::string() : std::to_string(l.bound.cycles()),
              mapping != l.specific.end() && mapping->is_number() ? report::csv_number(mapping->get<double>())
                                                                    : std::string()}) {
          fields.push_back(f);
        }
        for (const std::string& cause : causes) {
          const auto it = std::find_if(l.time.begin(), l.time.end(), [&](const auto& t) { return t.first == cause; });
          fields.push_back(it == l.time.end() ? std::string() : std::to_string(it->second));
        }
        layers += line(fields);
        ++rows;
      }
    }
    write_file_atomically(*options.layers_csv, layers);
    out << fmt::format("wrote {} layer rows to {}\n", rows, options.layers_csv->string());
  }
  return 0;
}

}  // namespace wb::sweep
