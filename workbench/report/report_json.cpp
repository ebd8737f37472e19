#include "workbench/report/report_json.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "support/atomic_file.h"
#include "support/error.h"
#include "workbench/report/report_fields.h"
#include "workbench/report/report_stats.h"
#include "workbench/report/target_description.h"

namespace wb::report {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kVerdicts = {"bit-exact", "mismatch", "not-verified"};

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
                                         "(its back end's statistics())",
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
    if (key != target && !is_standard(scope, key)) {
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

json time_object(const LayerRow& row) {
  json time = json::object();
  for (const auto& [cause, cycles] : row.time) time[cause] = cycles;
  return time;
}

// {compute_cycles, memory:{level:{cycles,bytes}}, cycles, binding, attained, mapping_cycles
// (when not 0)}; attained is the bound over the simulated cycles (1: the run is at its bound).
json bound_object(const Bound& bound, std::uint64_t cycles) {
  json memory = json::object();
  for (const MemoryBound& level : bound.memory) memory[level.level] = {{"cycles", level.cycles}, {"bytes", level.bytes}};
  json object = {{"compute_cycles", bound.compute_cycles},
                 {"memory", std::move(memory)},
                 {"cycles", bound.cycles()},
                 {"binding", bound.binding()},
                 {"attained", cycles > 0 ? static_cast<double>(bound.cycles()) / static_cast<double>(cycles) : 0.0}};
  if (bound.mapping_cycles > 0) object["mapping_cycles"] = bound.mapping_cycles;
  return object;
}

// Energy by component, and the figures derived from it (docs/energy.md): nothing without energy.
void add_energy(json& object, const Energy& energy, std::uint64_t macs, std::optional<double> latency_ms) {
  if (energy.empty()) return;
  json components = json::object();
  for (const auto& [component, pj] : energy) components[component] = pj;
  const double total = energy_pj(energy);
  object["energy_pj"] = static_cast<std::uint64_t>(std::llround(total));
  object["pj_per_mac"] = pj_per_mac(energy, macs);
  if (latency_ms) {
    object["energy_uj"] = total * 1e-6;
    object["power_mw"] = power_mw(energy, *latency_ms);
    object["energy_delay"] = energy_delay(energy, *latency_ms);
  }
  object["energy"] = std::move(components);
}

// An "energy" object back, in the target's component order (the derived figures are recomputed).
Energy read_energy(const Reader& in, const json& parent, const std::string& path, const TargetDescription& target_facts) {
  Energy energy;
  if (!parent.contains("energy")) return energy;  // reports written before it was recorded
  const json& object = in.object(parent, path, "energy");
  for (const auto& [component, value] : object.items()) {
    energy.emplace_back(component, in.number(object, path + ".energy", component));
  }
  order_by_names(energy, target_facts.energy_components);
  if (parent.contains("energy_pj")) in.unsigned_integer(parent, path, "energy_pj");  // derived: checked, not kept
  return energy;
}

// The prediction beside the simulated cycles, when there is one: `predicted_cycles` and the
// derived `prediction_error_pct` (null for a prediction of 0 cycles).
void add_prediction(json& object, std::optional<std::uint64_t> predicted, std::uint64_t cycles) {
  if (!predicted) return;
  object["predicted_cycles"] = *predicted;
  const std::optional<double> error = prediction_error_pct(cycles, predicted);
  object["prediction_error_pct"] = error ? json(*error) : json(nullptr);
}

// A run on token ids: their count and the per-token figures derived from it.
void add_tokens(json& totals, const Totals& t) {
  if (!t.tokens || *t.tokens == 0) return;
  const auto tokens = static_cast<double>(*t.tokens);
  totals["tokens"] = *t.tokens;
  totals["tokens_per_s"] = t.latency_ms > 0 ? json(tokens / (t.latency_ms * 1e-3)) : json(nullptr);
  if (!t.energy.empty()) totals["uj_per_token"] = energy_pj(t.energy) * 1e-6 / tokens;
}

}  // namespace

void upgrade_layer_block(json& block, int schema) {
  if (schema >= 5 || !block.is_object() || !block.contains("predicted_cycles")) return;
  block["tiler_cycles"] = std::move(block["predicted_cycles"]);
  block.erase("predicted_cycles");
}

json to_json(const RunReport& report) {
  json totals = json::object();
  for (const PlainField<Totals>& plain : totals_fields()) totals[std::string(plain.name)] = field_json(plain, report.totals);
  totals["offchip_level"] = offchip_level(report);
  if (!report.totals.bound.empty()) totals["bound"] = bound_object(report.totals.bound, report.totals.cycles);
  add_prediction(totals, report.totals.predicted_cycles, report.totals.cycles);
  add_energy(totals, report.totals.energy, report.totals.macs, report.totals.latency_ms);
  add_tokens(totals, report.totals);
  add_block(totals, report.totals.specific, report.target, StatScope::Run, "totals");

  json layers = json::array();
  for (const LayerRow& row : report.layers) {
    json layer = json::object();
    for (const PlainField<LayerRow>& plain : layer_fields()) layer[std::string(plain.name)] = field_json(plain, row);
    layer.update(layer_analysis_json(row));
    add_prediction(layer, row.predicted_cycles, row.cycles);
    add_energy(layer, row.energy, row.macs, std::nullopt);
    if (!row.energy.empty()) layer["energy_delay"] = energy_delay(row.energy, row.us * 1e-3);
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
            {"calibration", report.run.calibration},
            {"inputs", report.run.inputs}}},
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
  if (object.contains("mapping_cycles")) bound.mapping_cycles = in.unsigned_integer(object, where, "mapping_cycles");
  const json& memory = in.object(object, where, "memory");
  for (const auto& [level, figures] : memory.items()) {
    const std::string at = where + ".memory";
    const json& entry = in.object(memory, at, level);
    bound.memory.push_back({level, in.unsigned_integer(entry, at + "." + level, "cycles"),
                            in.unsigned_integer(entry, at + "." + level, "bytes")});
  }
  return bound;
}

// A layer's time causes (recorded since the time attribution), bound (since the bounds) and
// parts (a merged layer's tensors): older reports, and sweep databases written before them,
// lack them.
void read_analysis(const Reader& in, const json& layer, const std::string& path, const TargetDescription& target_facts,
                   LayerRow& row) {
  if (layer.contains("time")) {
    const json& time = in.object(layer, path, "time");
    for (const auto& [cause, cycles] : time.items()) {
      row.time.emplace_back(cause, in.unsigned_integer(time, path + ".time", cause));
    }
    order_by_names(row.time, target_facts.time_causes);
  }
  if (layer.contains("bound")) row.bound = read_bound(in, layer, path);
  if (layer.contains("parts")) {
    const json& parts = in.member(layer, path, "parts");
    if (!parts.is_array() || !std::all_of(parts.begin(), parts.end(), [](const json& p) { return p.is_string(); })) {
      in.fail(fmt::format("'{}.parts' must be an array of tensor names", path));
    }
    row.parts = parts.get<std::vector<std::string>>();
  }
}

// The prediction of a layer or the totals, when recorded: `predicted_cycles` kept, its derived
// error checked and recomputed from it.
std::optional<std::uint64_t> read_prediction(const Reader& in, const json& object, const std::string& path) {
  if (object.contains("prediction_error_pct")) in.number(object, path, "prediction_error_pct");
  if (!object.contains("predicted_cycles")) return std::nullopt;
  return in.unsigned_integer(object, path, "predicted_cycles");
}

// One row of 'layers', at `path`; a row of a report before schema 5 has its target block upgraded.
// Every plain field of `row` from `object` (report_fields.h): one added within the schema may be
// absent, and then keeps its default.
template <class Row>
void read_plain_fields(const Reader& in, const json& object, const std::string& path,
                       const std::vector<PlainField<Row>>& fields, Row& row) {
  for (const PlainField<Row>& plain : fields) {
    if (!plain.always_written && !object.contains(plain.name)) continue;
    std::visit(
        [&](auto member) {
          using Value = std::remove_reference_t<decltype(row.*member)>;
          if constexpr (std::is_same_v<Value, std::string>) {
            row.*member = in.string(object, path, plain.name);
          } else if constexpr (std::is_same_v<Value, std::uint64_t>) {
            row.*member = in.unsigned_integer(object, path, plain.name);
          } else {
            row.*member = in.number(object, path, plain.name);
          }
        },
        plain.field);
  }
}

LayerRow read_layer_row(const Reader& in, const json& layer, const std::string& path, const TargetDescription& target_facts,
                        const std::string& target, int version) {
  if (!layer.is_object()) in.fail(fmt::format("'{}' must be an object", path));
  LayerRow row;
  read_plain_fields(in, layer, path, layer_fields(), row);
  read_analysis(in, layer, path, target_facts, row);
  row.predicted_cycles = read_prediction(in, layer, path);
  row.energy = read_energy(in, layer, path, target_facts);
  if (version < 5 && layer.contains(target)) {
    json upgraded = layer;
    upgrade_layer_block(upgraded[target], version);
    row.specific = read_block(in, upgraded, path, target, StatScope::Layer);
  } else {
    row.specific = read_block(in, layer, path, target, StatScope::Layer);
  }
  return row;
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
  const int version = schema->is_number_integer() ? static_cast<int>(std::clamp<std::int64_t>(schema->get<std::int64_t>(), -1, 1000)) : -1;
  if (version < 3 || version > kReportSchema) {
    in.fail(fmt::format("run report schema {}, but this build reads schema {} (and 3 to {}); run it again with "
                        "this build",
                        schema->dump(), kReportSchema, kReportSchema - 1));
  }
  const bool schema_3 = version == 3;

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
  if (run.contains("inputs")) {
    if (!run.at("inputs").is_array()) in.fail("'run.inputs' must be an array");
    report.run.inputs = run.at("inputs");
  }

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
  report.target = in.string(hw, "hw", "target");
  const TargetDescription* described = find_description(report.target);
  if (described == nullptr) {
    std::vector<std::string_view> known;
    for (const TargetDescription* d : all_descriptions()) known.push_back(target_name(d->target));
    in.fail(fmt::format("'hw.target' is \"{}\", expected one of {}", report.target, fmt::join(known, ", ")));
  }
  report.hw_resolved = in.object(hw, "hw", "resolved");

  report.verdict = in.one_of(doc, "", "verdict", kVerdicts);
  const json& mismatch = in.member(doc, "", "mismatch");
  if (!mismatch.is_null()) {
    if (!mismatch.is_object()) in.fail("'mismatch' must be an object or null");
    report.mismatch =
        Mismatch{in.string(mismatch, "mismatch", "layer"), in.integer(mismatch, "mismatch", "index"),
                 in.integer(mismatch, "mismatch", "expected"), in.integer(mismatch, "mismatch", "actual")};
  }

  json totals = in.object(doc, "", "totals");  // a copy: schema 3's keys are renamed in it
  if (schema_3) {
    // Schema 3 named the off-chip traffic after its level: ddr_bytes or l3_bytes.
    for (const char* old_name : {"ddr_bytes", "l3_bytes"}) {
      if (!totals.contains(old_name)) continue;
      totals["offchip_bytes"] = totals[old_name];
      totals["offchip_level"] = std::string(described->offchip_level);
      totals.erase(old_name);
    }
  }
  Totals& t = report.totals;
  read_plain_fields(in, totals, "totals", totals_fields(), t);
  in.string(totals, "totals", "offchip_level");  // the target's: checked, not kept
  if (totals.contains("bound")) t.bound = read_bound(in, totals, "totals");
  t.predicted_cycles = read_prediction(in, totals, "totals");
  if (totals.contains("tokens")) t.tokens = in.unsigned_integer(totals, "totals", "tokens");
  t.energy = read_energy(in, totals, "totals", *described);
  t.specific = read_block(in, totals, "totals", report.target, StatScope::Run);

  const json& layers = in.member(doc, "", "layers");
  if (!layers.is_array()) in.fail("'layers' must be an array");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string path = fmt::format("layers[{}]", i);
    report.layers.push_back(read_layer_row(in, layers[i], path, *described, report.target, version));
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

json layer_analysis_json(const LayerRow& row) {
  json analysis = {{"time", time_object(row)}};
  if (!row.bound.empty()) analysis["bound"] = bound_object(row.bound, row.cycles);
  if (!row.parts.empty()) analysis["parts"] = row.parts;
  return analysis;
}

void read_layer_analysis(const json& analysis, std::string_view target, std::string_view source, LayerRow& row) {
  const Reader in(source);
  const TargetDescription* described = find_description(target);
  if (described == nullptr) in.fail(fmt::format("'target' is \"{}\", no target of this build", target));
  if (!analysis.is_object()) in.fail("the layer's time and bound must be an object");
  read_analysis(in, analysis, row.name, *described, row);
}

}  // namespace wb::report
