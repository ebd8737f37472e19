#include "workbench/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <utility>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/text.h"
#include "workbench/report_stats.h"
#include "workbench/text_table.h"

namespace wb::report {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kVerdicts = {"bit-exact", "mismatch", "not-verified"};
constexpr std::array<std::string_view, 2> kTargets = {"xdnn", "pulp"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool is_count(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

bool kind_matches(StatKind kind, const json& value) {
  switch (kind) {
    case StatKind::Count: return is_count(value);
    case StatKind::Real: return value.is_number() || value.is_null();  // null: a non-finite double
    case StatKind::Text: return value.is_string();
  }
  return false;
}

// A key report_stats.h declares as standard at `scope` (a field of every report).
bool standard_key(StatScope scope, std::string_view key) {
  const auto& stats = statistics();
  return std::any_of(stats.begin(), stats.end(),
                     [&](const StatDecl& s) { return s.standard() && s.scope == scope && s.name == key; });
}

// Puts the target's own statistics into `object` as its `target` block, each checked against
// its declaration (a back end that writes an undeclared one has a bug).
void add_block(json& object, const json& specific, std::string_view target, StatScope scope, std::string_view where) {
  if (!specific.is_object())
    throw std::logic_error(fmt::format("run report: {} target statistics are not a JSON object", where));
  if (specific.empty()) return;
  for (const auto& [key, value] : specific.items()) {
    const StatDecl* stat = target_statistic(target, scope, key);
    if (stat == nullptr) {
      throw std::logic_error(fmt::format("run report: {} statistic '{}' is not declared for target '{}' "
                                         "(workbench/report_stats.cpp)",
                                         where, key, target));
    }
    if (!kind_matches(stat->kind, value)) {
      throw std::logic_error(fmt::format("run report: {} statistic '{}' has a value of another kind: {}", where, key,
                                         value.dump()));
    }
  }
  object[std::string(target)] = specific;
}

// ---- from_json: every access names the key it wanted -------------------------------------

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& message) const { throw UserError(fmt::format("{}: {}", source_, message)); }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }

  const json& object(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (!value.is_object()) fail(fmt::format("'{}' must be an object, not {}", join(path, key), brief(value)));
    return value;
  }

  const json& member(const json& parent, const std::string& path, std::string_view key) const {
    const auto it = parent.find(key);
    if (it == parent.end()) fail(fmt::format("missing key '{}'", join(path, key)));
    return *it;
  }

  std::string string(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (!value.is_string()) fail(fmt::format("'{}' must be a string, not {}", join(path, key), brief(value)));
    return value.get<std::string>();
  }

  bool boolean(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (!value.is_boolean()) fail(fmt::format("'{}' must be true or false, not {}", join(path, key), brief(value)));
    return value.get<bool>();
  }

  std::uint64_t unsigned_integer(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
      return static_cast<std::uint64_t>(value.get<std::int64_t>());
    fail(fmt::format("'{}' must be a non-negative integer, not {}", join(path, key), brief(value)));
  }

  std::int64_t integer(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<std::int64_t>();
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(value.get<std::uint64_t>());
    }
    fail(fmt::format("'{}' must be an integer, not {}", join(path, key), brief(value)));
  }

  // JSON has no NaN: nlohmann writes a non-finite double as null, so null reads back as NaN.
  double number(const json& parent, const std::string& path, std::string_view key) const {
    const json& value = member(parent, path, key);
    if (value.is_number()) return value.get<double>();
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    fail(fmt::format("'{}' must be a number, not {}", join(path, key), brief(value)));
  }

  template <std::size_t N>
  std::string one_of(const json& parent, const std::string& path, std::string_view key,
                     const std::array<std::string_view, N>& allowed) const {
    std::string value = string(parent, path, key);
    if (!contains(allowed, value)) {
      fail(fmt::format("'{}' is \"{}\", expected one of {}", join(path, key), value, fmt::join(allowed, ", ")));
    }
    return value;
  }

 private:
  static std::string brief(const json& value) {
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return fmt::format("{} {}", value.type_name(), text);
  }

  std::string_view source_;
};

// The `target` block of a layer row or the totals, every key declared and of its kind; any key
// of `object` that is neither standard nor the block is refused.
json read_block(const Reader& in, const json& object, const std::string& path, std::string_view target,
                StatScope scope) {
  for (const auto& [key, value] : object.items()) {
    if (key != target && !standard_key(scope, key)) {
      in.fail(fmt::format("'{}' is not a field of {} reports (docs/report.md lists them)", Reader::join(path, key),
                          target));
    }
  }
  json specific = json::object();
  if (!object.contains(target)) return specific;
  const json& block = in.object(object, path, target);
  const std::string block_path = Reader::join(path, target);
  for (const auto& [key, value] : block.items()) {
    const StatDecl* stat = target_statistic(target, scope, key);
    if (stat == nullptr) {
      in.fail(fmt::format("'{}' is not a statistic of {} reports (docs/report.md lists them)",
                          Reader::join(block_path, key), target));
    }
    switch (stat->kind) {
      case StatKind::Count: specific[key] = in.unsigned_integer(block, block_path, key); break;
      case StatKind::Real: specific[key] = value.is_null() ? json(nullptr) : json(in.number(block, block_path, key)); break;
      case StatKind::Text: specific[key] = in.string(block, block_path, key); break;
    }
  }
  return specific;
}

// ---- CSV --------------------------------------------------------------------------------------

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

// SCALE-Sim separates with ", ". A quoted field starts right after the comma instead: RFC 4180
// has a quoted field begin with the quote, so `, "a,b"` would be misread by strict readers
// (pandas' default engine, Python's csv without skipinitialspace). An empty field gets no space.
void append_csv_line(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const bool quote = needs_quotes(fields[i]);
    if (i > 0) out += quote || fields[i].empty() ? "," : ", ";
    out += quote ? csv_quoted(fields[i]) : fields[i];
  }
  out += '\n';
}

// Python's str(float), which SCALE-Sim writes: shortest round trip, "25.0" rather than "25".
std::string python_float(double value) {
  std::string text = fmt::format("{}", value);
  if (std::isfinite(value) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

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

// ---- console table ----------------------------------------------------------------------------

constexpr std::size_t kMaxNameWidth = 40;
constexpr std::size_t kMaxTypeWidth = 20;

std::string memory_name(const RunReport& report) {
  if (report.target == "xdnn") return "DDR";
  if (report.target == "pulp") return "L3";
  return "bytes";
}

// Every time cause a target reports, in the order reports list them (a layer's causes come
// back from JSON, whose objects have no order, in this one). The xDNN ones are
// sim/xdnn/time_attribution.h's, the PULP ones perf/pulp/timeline.h's; docs/report.md says
// what each means.
constexpr std::array<std::string_view, 16> kTimeCauseOrder = {
    "array", "pool_eltwise",   "host",     "weights_ddr", "weights_am", "activation_ddr", "queued",   "dependency_wait", "issue",
    "cores", "bank_conflicts", "dispatch", "barrier",     "dma_issue",      "dma_wait", "l3_wait"};

std::size_t time_cause_rank(std::string_view cause) {
  return static_cast<std::size_t>(std::find(kTimeCauseOrder.begin(), kTimeCauseOrder.end(), cause) -
                                  kTimeCauseOrder.begin());
}

json time_object(const LayerRow& row) {
  json time = json::object();
  for (const auto& [cause, cycles] : row.time) time[cause] = cycles;
  return time;
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

// {compute_cycles, memory:{level:{cycles,bytes}}, cycles, binding, attained}; attained is the
// bound over the simulated cycles (1: the run is at its bound).
json bound_object(const Bound& bound, std::uint64_t cycles) {
  json memory = json::object();
  for (const MemoryBound& level : bound.memory) memory[level.level] = {{"cycles", level.cycles}, {"bytes", level.bytes}};
  return {{"compute_cycles", bound.compute_cycles},
          {"memory", std::move(memory)},
          {"cycles", bound.cycles()},
          {"binding", bound.binding()},
          {"attained", cycles > 0 ? static_cast<double>(bound.cycles()) / static_cast<double>(cycles) : 0.0}};
}

// "ddr_channel 83%": what binds and how close the simulated time came to it; "-" without a bound.
std::string bound_text(const Bound& bound, std::uint64_t cycles) {
  if (bound.cycles() == 0 || cycles == 0) return "-";
  return fmt::format("{} {:.0f}%", bound.binding(), 100.0 * static_cast<double>(bound.cycles()) / static_cast<double>(cycles));
}

}  // namespace

std::uint64_t Bound::cycles() const {
  std::uint64_t most = compute_cycles;
  for (const MemoryBound& level : memory) most = std::max(most, level.cycles);
  return most;
}

std::string Bound::binding() const {
  std::string name = compute_cycles > 0 ? "compute" : "";
  std::uint64_t most = compute_cycles;
  for (const MemoryBound& level : memory) {
    if (level.cycles > most) {
      most = level.cycles;
      name = level.level;
    }
  }
  return name;
}

// ---- JSON -------------------------------------------------------------------------------------

json to_json(const RunReport& report) {
  json totals = {{"cycles", report.totals.cycles},
                 {"latency_ms", report.totals.latency_ms},
                 {"macs", report.totals.macs},
                 {"ops", report.totals.ops},
                 {"mac_per_cycle", report.totals.mac_per_cycle},
                 {"utilization", report.totals.utilization},
                 {"moveops", report.totals.moveops},
                 {"host_ms", report.totals.host_ms}};
  if (report.totals.ddr_bytes) totals["ddr_bytes"] = *report.totals.ddr_bytes;
  if (report.totals.l3_bytes) totals["l3_bytes"] = *report.totals.l3_bytes;
  if (!report.totals.bound.empty()) totals["bound"] = bound_object(report.totals.bound, report.totals.cycles);
  add_block(totals, report.totals.specific, report.target, StatScope::Run, "totals");

  json layers = json::array();
  for (const LayerRow& row : report.layers) {
    json layer = {{"name", row.name},
                  {"type", row.type},
                  {"unit", row.unit},
                  {"output", row.output},
                  {"macs", row.macs},
                  {"ops", row.ops},
                  {"cycles", row.cycles},
                  {"us", row.us},
                  {"mac_per_cycle", row.mac_per_cycle},
                  {"utilization", row.utilization},
                  {"stall_cycles", row.stall_cycles},
                  {"bytes_in", row.bytes_in},
                  {"bytes_out", row.bytes_out},
                  {"tiles", row.tiles},
                  {"time", time_object(row)}};
    if (!row.bound.empty()) layer["bound"] = bound_object(row.bound, row.cycles);
    add_block(layer, row.specific, report.target, StatScope::Layer, fmt::format("layer '{}'", row.name));
    layers.push_back(std::move(layer));
  }

  json units = json::array();
  for (const UnitRow& unit : report.units) {
    units.push_back({{"name", unit.name},
                     {"busy_cycles", unit.busy_cycles},
                     {"busy", unit.busy},
                     {"operations", unit.operations},
                     {"bytes", unit.bytes},
                     {"stall_cycles", unit.stall_cycles}});
  }

  json mismatch = nullptr;
  if (report.mismatch) {
    mismatch = {{"layer", report.mismatch->layer},
                {"index", report.mismatch->index},
                {"expected", report.mismatch->expected},
                {"actual", report.mismatch->actual}};
  }

  return {{"schema", kReportSchema},
          {"tool",
           {{"version", report.tool_version},
            {"git", report.tool_git},
            {"commit", report.tool_commit},
            {"dirty", report.tool_dirty}}},
          {"model", {{"path", report.model_path}, {"sha256", report.model_sha256}, {"name", report.model_name}}},
          {"hw",
           {{"path", report.hw_path},
            {"sha256", report.hw_sha256},
            {"target", report.target},
            {"resolved", report.hw_resolved}}},
          {"run",
           {{"scheme", report.run.scheme},
            {"compile_options", report.run.compile_options},
            {"hw_fingerprint", report.run.hw_fingerprint},
            {"data", report.run.data},
            {"overrides", report.run.overrides},
            {"calibration", report.run.calibration}}},
          {"verdict", report.verdict},
          {"mismatch", std::move(mismatch)},
          {"totals", std::move(totals)},
          {"layers", std::move(layers)},
          {"units", std::move(units)},
          {"wall",
           {{"compile_seconds", report.wall.compile_seconds}, {"simulate_seconds", report.wall.simulate_seconds}}}};
}

namespace {

// A "bound" object back (its derived cycles, binding and attained are recomputed, not read).
Bound read_bound(const Reader& in, const json& parent, const std::string& path) {
  const json& object = in.object(parent, path, "bound");
  const std::string where = path + ".bound";
  Bound bound;
  bound.compute_cycles = in.unsigned_integer(object, where, "compute_cycles");
  const json& memory = in.object(object, where, "memory");
  for (const auto& [level, figures] : memory.items()) {
    const std::string at = where + ".memory";
    const json& entry = in.object(memory, at, level);
    bound.memory.push_back({level, in.unsigned_integer(entry, at + "." + level, "cycles"),
                            in.unsigned_integer(entry, at + "." + level, "bytes")});
  }
  return bound;
}

}  // namespace

RunReport from_json(const json& doc, std::string_view source) {
  const Reader in(source);
  if (!doc.is_object()) in.fail(fmt::format("a run report is a JSON object, not {}", doc.type_name()));
  RunReport report;

  const auto schema = doc.find("schema");
  if (schema == doc.end()) {
    in.fail(fmt::format("no 'schema' key: a run report of schema 1 (this build reads schema {}); run it again "
                        "with this build",
                        kReportSchema));
  }
  if (!schema->is_number_integer() || schema->get<std::int64_t>() != kReportSchema) {
    in.fail(fmt::format("run report schema {}, but this build reads schema {}; run it again with this build",
                        schema->dump(), kReportSchema));
  }

  const json& tool = in.object(doc, "", "tool");
  report.tool_version = in.string(tool, "tool", "version");
  report.tool_git = in.string(tool, "tool", "git");
  report.tool_commit = in.string(tool, "tool", "commit");
  report.tool_dirty = in.boolean(tool, "tool", "dirty");

  const json& run = in.object(doc, "", "run");
  report.run.scheme = in.string(run, "run", "scheme");
  report.run.compile_options = in.string(run, "run", "compile_options");
  report.run.hw_fingerprint = in.string(run, "run", "hw_fingerprint");
  report.run.data = in.boolean(run, "run", "data");
  // Recorded since the provenance fields were added; older reports (sweep databases) lack them.
  if (run.contains("overrides")) {
    const json& overrides = run.at("overrides");
    if (!overrides.is_array()) in.fail("'run.overrides' must be an array of strings");
    for (const json& o : overrides) {
      if (!o.is_string()) in.fail("'run.overrides' must be an array of strings");
      report.run.overrides.push_back(o.get<std::string>());
    }
  }
  if (run.contains("calibration")) report.run.calibration = run.at("calibration");

  const json& wall = in.object(doc, "", "wall");
  report.wall.compile_seconds = in.number(wall, "wall", "compile_seconds");
  report.wall.simulate_seconds = in.number(wall, "wall", "simulate_seconds");

  const json& model = in.object(doc, "", "model");
  report.model_path = in.string(model, "model", "path");
  report.model_sha256 = in.string(model, "model", "sha256");
  report.model_name = in.string(model, "model", "name");

  const json& hw = in.object(doc, "", "hw");
  report.hw_path = in.string(hw, "hw", "path");
  report.hw_sha256 = in.string(hw, "hw", "sha256");
  report.target = in.one_of(hw, "hw", "target", kTargets);
  report.hw_resolved = in.object(hw, "hw", "resolved");

  report.verdict = in.one_of(doc, "", "verdict", kVerdicts);
  const json& mismatch = in.member(doc, "", "mismatch");
  if (!mismatch.is_null()) {
    if (!mismatch.is_object()) in.fail("'mismatch' must be an object or null");
    report.mismatch =
        Mismatch{in.string(mismatch, "mismatch", "layer"), in.integer(mismatch, "mismatch", "index"),
                 in.integer(mismatch, "mismatch", "expected"), in.integer(mismatch, "mismatch", "actual")};
  }

  const json& totals = in.object(doc, "", "totals");
  Totals& t = report.totals;
  t.cycles = in.unsigned_integer(totals, "totals", "cycles");
  t.latency_ms = in.number(totals, "totals", "latency_ms");
  t.macs = in.unsigned_integer(totals, "totals", "macs");
  t.ops = in.unsigned_integer(totals, "totals", "ops");
  t.mac_per_cycle = in.number(totals, "totals", "mac_per_cycle");
  t.utilization = in.number(totals, "totals", "utilization");
  t.moveops = in.unsigned_integer(totals, "totals", "moveops");
  t.host_ms = in.number(totals, "totals", "host_ms");
  if (totals.contains("ddr_bytes")) t.ddr_bytes = in.unsigned_integer(totals, "totals", "ddr_bytes");
  if (totals.contains("l3_bytes")) t.l3_bytes = in.unsigned_integer(totals, "totals", "l3_bytes");
  if (totals.contains("bound")) t.bound = read_bound(in, totals, "totals");
  t.specific = read_block(in, totals, "totals", report.target, StatScope::Run);

  const json& layers = in.member(doc, "", "layers");
  if (!layers.is_array()) in.fail("'layers' must be an array");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string path = fmt::format("layers[{}]", i);
    const json& layer = layers[i];
    if (!layer.is_object()) in.fail(fmt::format("'{}' must be an object", path));
    LayerRow row;
    row.name = in.string(layer, path, "name");
    row.type = in.string(layer, path, "type");
    // Reports written before `unit` existed (same schema) say nothing of where a layer ran.
    if (layer.contains("unit")) row.unit = in.string(layer, path, "unit");
    if (layer.contains("output")) row.output = in.string(layer, path, "output");
    row.macs = in.unsigned_integer(layer, path, "macs");
    row.ops = in.unsigned_integer(layer, path, "ops");
    row.cycles = in.unsigned_integer(layer, path, "cycles");
    if (layer.contains("us")) row.us = in.number(layer, path, "us");
    row.mac_per_cycle = in.number(layer, path, "mac_per_cycle");
    row.utilization = in.number(layer, path, "utilization");
    row.stall_cycles = in.unsigned_integer(layer, path, "stall_cycles");
    row.bytes_in = in.unsigned_integer(layer, path, "bytes_in");
    row.bytes_out = in.unsigned_integer(layer, path, "bytes_out");
    row.tiles = in.unsigned_integer(layer, path, "tiles");
    // Recorded since the time attribution; older reports (sweep databases) lack it.
    if (layer.contains("time")) {
      const json& time = in.object(layer, path, "time");
      for (const auto& [cause, cycles] : time.items()) {
        row.time.emplace_back(cause, in.unsigned_integer(time, path + ".time", cause));
      }
      std::stable_sort(row.time.begin(), row.time.end(), [](const auto& a, const auto& b) {
        return time_cause_rank(a.first) < time_cause_rank(b.first);
      });
    }
    // Recorded since the bounds; older reports lack them.
    if (layer.contains("bound")) row.bound = read_bound(in, layer, path);
    row.specific = read_block(in, layer, path, report.target, StatScope::Layer);
    report.layers.push_back(std::move(row));
  }
  // Recorded since the per-unit summary; older reports (sweep databases) lack it.
  if (doc.contains("units")) {
    const json& units = doc.at("units");
    if (!units.is_array()) in.fail("'units' must be an array");
    for (std::size_t i = 0; i < units.size(); ++i) {
      const std::string path = fmt::format("units[{}]", i);
      const json& unit = units[i];
      if (!unit.is_object()) in.fail(fmt::format("'{}' must be an object", path));
      report.units.push_back({in.string(unit, path, "name"), in.unsigned_integer(unit, path, "busy_cycles"),
                              in.number(unit, path, "busy"), in.unsigned_integer(unit, path, "operations"),
                              in.unsigned_integer(unit, path, "bytes"),
                              in.unsigned_integer(unit, path, "stall_cycles")});
    }
  }
  return report;
}

void write_json(const RunReport& report, const std::filesystem::path& path) {
  write_file_atomically(path, to_json(report).dump(2) + "\n");
}

// ---- CSV --------------------------------------------------------------------------------------
//
// The first six columns are SCALE-Sim v2's COMPUTE_REPORT.csv (scalesim/simulator.py,
// generate_reports), same names, order and ", " separator, so its scripts (its own
// utilities/scalesim_report.py reads with sep=r'\s*,\s*' and selects 'Total Cycles' by name) and
// scripts that index by position read ours:
//   LayerID               layer index from 0, as SCALE-Sim counts (the name is in `name`).
//   Total Cycles          cycles of the layer, stalls included (SCALE-Sim: total compute cycles
//                         as the memory system sees them, stalls included).
//   Stall Cycles          stall_cycles.
//   Overall Util %        100 x utilization: SCALE-Sim's num_compute*100/(total_cycles*num_mac_unit)
//                         is exactly MACs / (cycles x peak MAC/cycle).
//   Mapping Efficiency %  SCALE-Sim: the share of the array the mapping occupies, time aside. A
//                         target that knows it declares mapping_efficiency (0..1) and it is
//                         written here x100: xDNN, the share of the array's MAC slots its convs'
//                         shapes fill (channel sections, column groups, pixel pairs; 0 for a layer
//                         not on the array). Otherwise (PULP) the column repeats Compute Util %,
//                         its lower bound (SCALE-Sim's compute util <= mapping efficiency). The
//                         column is never left out or empty: scripts indexing by position or
//                         parsing every field as float would break.
//   Compute Util %        SCALE-Sim: utilization while computing, memory stalls excluded. Here
//                         100 x MACs / ((cycles - stall_cycles) x peak)
//                         = 100 x utilization x cycles / (cycles - stall_cycles); 0 if all stalls.
// Then ours: name, type, macs, ops, mac_per_cycle, bytes_in, bytes_out, tiles, unit, us, one
// time_<cause> column per time cause any layer has (cycles; empty where a layer lacks it),
// bound_cycles and bound (what binds: compute or a memory level; only when a layer has bounds,
// empty where one lacks them), then the target's own layer statistics any layer has, in their
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

  std::vector<std::string> header = {
      "LayerID",        "Total Cycles", "Stall Cycles", "Overall Util %", "Mapping Efficiency %",
      "Compute Util %", "name",         "type",         "macs",           "ops",
      "mac_per_cycle",  "bytes_in",     "bytes_out",    "tiles",          "unit",
      "us"};
  const std::vector<std::string> causes = time_causes(report);
  for (const std::string& cause : causes) header.push_back("time_" + cause);
  const bool with_bounds =
      std::any_of(report.layers.begin(), report.layers.end(), [](const LayerRow& row) { return !row.bound.empty(); });
  if (with_bounds) {
    header.emplace_back("bound_cycles");
    header.emplace_back("bound");
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
    std::vector<std::string> fields = {std::to_string(i),
                                       std::to_string(row.cycles),
                                       std::to_string(row.stall_cycles),
                                       python_float(overall),
                                       python_float(mapping),
                                       python_float(compute),
                                       row.name,
                                       row.type,
                                       std::to_string(row.macs),
                                       std::to_string(row.ops),
                                       python_float(row.mac_per_cycle),
                                       std::to_string(row.bytes_in),
                                       std::to_string(row.bytes_out),
                                       std::to_string(row.tiles),
                                       row.unit,
                                       python_float(row.us)};
    for (const std::string& cause : causes) {
      const auto it = std::find_if(row.time.begin(), row.time.end(), [&](const auto& e) { return e.first == cause; });
      fields.push_back(it == row.time.end() ? std::string() : std::to_string(it->second));
    }
    if (with_bounds) {
      fields.push_back(row.bound.empty() ? std::string() : std::to_string(row.bound.cycles()));
      fields.push_back(row.bound.binding());
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

void write_csv(const RunReport& report, const std::filesystem::path& path) {
  write_file_atomically(path, csv_text(report));
}

// ---- console ----------------------------------------------------------------------------------

void print_table(const RunReport& report, std::ostream& os) {
  const std::string memory = memory_name(report);
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
  if (with_causes) {
    TextColumn main{"most time", false, {}};
    for (const LayerRow& row : report.layers) main.cells.push_back(main_cause(row));
    columns.push_back(std::move(main));
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

void print_totals(const RunReport& report, std::ostream& os) {
  const Totals& t = report.totals;
  std::vector<std::pair<std::string, std::string>> totals = {
      {"cycles", grouped(t.cycles)},
      {"latency", fmt::format("{:.3f} ms", t.latency_ms)},
      {"MACs", grouped(t.macs)},
      {"ops", grouped(t.ops)},
      {"MAC/cycle", fmt::format("{:.2f}", t.mac_per_cycle)},
      {"utilization", fmt::format("{:.1f} %", 100.0 * t.utilization)}};
  if (t.ddr_bytes) totals.emplace_back("DDR bytes", grouped(*t.ddr_bytes));
  if (t.l3_bytes) totals.emplace_back("L3 bytes", grouped(*t.l3_bytes));
  totals.emplace_back("moveops", grouped(t.moveops));
  totals.emplace_back("host time", fmt::format("{:.1f} ms", t.host_ms));
  if (!t.bound.empty()) {
    std::string levels = fmt::format("compute {}", grouped(t.bound.compute_cycles));
    for (const MemoryBound& level : t.bound.memory) levels += fmt::format(", {} {}", level.level, grouped(level.cycles));
    totals.emplace_back("bound", fmt::format("{} cycles ({}); attained {}", grouped(t.bound.cycles()), levels,
                                             bound_text(t.bound, t.cycles)));
  }
  for (const StatDecl* stat : target_statistics(report.target, StatScope::Run)) {
    const auto it = t.specific.find(stat->name);
    if (it == t.specific.end()) continue;
    std::string value = is_count(*it) ? grouped(it->get<std::uint64_t>()) : csv_value(*it);
    if (stat->unit == "bytes" || stat->unit == "cycles") value += fmt::format(" {}", stat->unit);
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
