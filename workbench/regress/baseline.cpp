#include "workbench/regress/baseline.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"

namespace wb::regress {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The keys of a row that are not figures.
const std::set<std::string, std::less<>> kRowKeys = {"model",          "config", "layer",  "type",
                                                     "target",         "scheme", "compile_options",
                                                     "hw_fingerprint", "model_sha256", "data", "verdict", "error"};

// nlohmann keeps the last of duplicate keys silently; a baseline with one is refused.
json parse_strict(const std::string& text, const std::filesystem::path& path) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == json::parse_event_t::key && !open_objects.empty() && duplicate.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second) duplicate = key;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text, check);
  } catch (const json::parse_error& e) {
    throw UserError(fmt::format("{}: not valid JSON (truncated?): {}", path.string(), e.what()));
  }
  if (!duplicate.empty()) {
    throw UserError(fmt::format("{}: the key \"{}\" appears twice in one object; keep one", path.string(), duplicate));
  }
  return doc;
}

std::string text_of(const json& row, const char* key, const std::string& where) {
  const auto it = row.find(key);
  if (it == row.end() || !it->is_string()) throw UserError(fmt::format("{}: needs \"{}\" (a string)", where, key));
  return it->get<std::string>();
}

ordered_json figures_json(const Figures& figures, ordered_json row) {
  for (const auto& [metric, value] : figures) row[metric] = value;
  return row;
}

Figures figures_of(const json& row, const std::string& where) {
  Figures figures;
  for (const auto& [key, value] : row.items()) {
    if (kRowKeys.count(key) != 0) continue;
    if (!is_total_metric(key) && !is_layer_metric(key)) {
      throw UserError(fmt::format("{}: \"{}\" is not a metric (docs/regression.md lists them)", where, key));
    }
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      throw UserError(fmt::format("{}: \"{}\" must be a non-negative integer, not {}", where, key, value.dump()));
    }
    figures[key] = value.get<std::uint64_t>();
  }
  return figures;
}

// The line of the i-th row: write_baseline puts one row per line after the "rows" line.
std::string row_place(const std::string& text, std::size_t index) {
  std::istringstream lines(text);
  std::string line;
  std::size_t number = 0, seen = 0;
  bool in_rows = false;
  while (std::getline(lines, line)) {
    ++number;
    if (!in_rows) {
      in_rows = line.find("\"rows\"") != std::string::npos;
      continue;
    }
    if (line.find('{') != std::string::npos && seen++ == index) return fmt::format("line {}: rows[{}]", number, index);
  }
  return fmt::format("rows[{}]", index);
}

}  // namespace

bool is_baseline_document(const json& doc) {
  return doc.is_object() && doc.contains("baseline") && doc.contains("rows");
}

Baseline read_baseline(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw UserError(fmt::format("{}: no such baseline file (write one with workbench regress update-baseline)",
                                path.string()));
  }
  const std::string text = read_file_bytes(path);
  const json doc = parse_strict(text, path);
  const std::string file = path.string();
  if (!doc.is_object() || !doc.contains("baseline")) {
    throw UserError(fmt::format("{}: not a regression baseline (no \"baseline\" version key)", file));
  }
  if (doc["baseline"] != kBaselineVersion) {
    throw UserError(fmt::format("{}: baseline format {}, but this build reads format {}; regenerate it with workbench "
                                "regress update-baseline",
                                file, doc["baseline"].dump(), kBaselineVersion));
  }
  Baseline baseline;
  if (!doc.contains("matrix") || !doc["matrix"].is_array()) throw UserError(file + ": needs \"matrix\" (a list of sweep specs)");
  for (const json& spec : doc["matrix"]) {
    if (!spec.is_string()) throw UserError(file + ": \"matrix\" lists sweep spec paths (strings)");
    baseline.matrix.emplace_back(spec.get<std::string>());
  }
  if (doc.contains("history")) {
    if (!doc["history"].is_array()) throw UserError(file + ": \"history\" must be a list");
    for (std::size_t i = 0; i < doc["history"].size(); ++i) {
      const json& h = doc["history"][i];
      const std::string where = fmt::format("{}: history[{}]", file, i);
      if (!h.is_object()) throw UserError(where + ": must be an object");
      baseline.history.push_back({text_of(h, "date", where), text_of(h, "build", where), text_of(h, "reason", where)});
    }
  }
  if (!doc.contains("rows") || !doc["rows"].is_array()) throw UserError(file + ": needs \"rows\" (a list)");
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < doc["rows"].size(); ++i) {
    const json& row = doc["rows"][i];
    const std::string where = fmt::format("{}: {}", file, row_place(text, i));
    if (!row.is_object()) throw UserError(where + ": a row is an object");
    const std::string model = text_of(row, "model", where);
    const std::string config = text_of(row, "config", where);
    const std::string layer = text_of(row, "layer", where);
    const auto [it, fresh] = seen.emplace(std::make_tuple(model, config, layer), i);
    if (!fresh) {
      throw UserError(fmt::format("{}: duplicate row: model {}, config {}, layer {} is also {}; keep one", where, model,
                                  config, layer, row_place(text, it->second)));
    }
    if (layer == kTotalRow) {
      RunRecord run;
      run.source = file;
      run.model = model;
      run.config = config;
      run.target = text_of(row, "target", where);
      run.scheme = text_of(row, "scheme", where);
      run.compile_options = text_of(row, "compile_options", where);
      run.hw_fingerprint = text_of(row, "hw_fingerprint", where);
      run.model_sha256 = text_of(row, "model_sha256", where);
      run.verdict = text_of(row, "verdict", where);
      run.error = row.value("error", std::string());
      if (!row.contains("data") || !row["data"].is_boolean()) throw UserError(where + ": needs \"data\" (true or false)");
      run.data = row["data"].get<bool>();
      run.totals = figures_of(row, where);
      baseline.runs.push_back(std::move(run));
      continue;
    }
    if (baseline.runs.empty() || baseline.runs.back().model != model || baseline.runs.back().config != config) {
      throw UserError(fmt::format("{}: layer row of {} on {} without its \"{}\" row before it", where, model, config,
                                  kTotalRow));
    }
    Figures figures = figures_of(row, where);
    if (figures.count("cycles") == 0) throw UserError(fmt::format("{}: layer {} has no \"cycles\"", where, layer));
    baseline.runs.back().layers.push_back({layer, text_of(row, "type", where), std::move(figures)});
  }
  return baseline;
}

std::string baseline_text(const Baseline& baseline) {
  std::string out = fmt::format("{{\n\"baseline\": {},\n\"matrix\": [", kBaselineVersion);
  for (std::size_t i = 0; i < baseline.matrix.size(); ++i) {
    out += (i == 0 ? "" : ", ") + json(baseline.matrix[i].generic_string()).dump();
  }
  out += "],\n\"history\": [\n";
  for (std::size_t i = 0; i < baseline.history.size(); ++i) {
    const BaselineUpdate& h = baseline.history[i];
    const ordered_json entry = {{"date", h.date}, {"build", h.build}, {"reason", h.reason}};
    out += entry.dump() + (i + 1 < baseline.history.size() ? ",\n" : "\n");
  }
  out += "],\n\"rows\": [\n";
  std::vector<std::string> rows;
  std::map<std::pair<std::string, std::string>, const RunRecord*> cases;
  for (const RunRecord& run : baseline.runs) {
    const auto [it, fresh] = cases.emplace(std::make_pair(run.model, run.config), &run);
    if (!fresh) {
      throw UserError(fmt::format("the baseline keys its rows by (model, config, layer), but the matrix has two runs of "
                                  "{} ({} and {}; compile options {} and {}): give each model and config once (a "
                                  "spec's model entry may name a run apart: {{model: ..., name: ...}})",
                                  case_name(run), it->second->source, run.source, it->second->compile_options,
                                  run.compile_options));
    }
    ordered_json total = {{"model", run.model},
                          {"config", run.config},
                          {"layer", kTotalRow},
                          {"target", run.target},
                          {"scheme", run.scheme},
                          {"compile_options", run.compile_options},
                          {"hw_fingerprint", run.hw_fingerprint},
                          {"model_sha256", run.model_sha256},
                          {"data", run.data},
                          {"verdict", run.verdict}};
    if (!run.error.empty()) total["error"] = run.error;
    rows.push_back(figures_json(run.totals, std::move(total)).dump());
    for (const LayerRecord& layer : run.layers) {
      const ordered_json row = {{"model", run.model}, {"config", run.config}, {"layer", layer.name}, {"type", layer.type}};
      rows.push_back(figures_json(layer.figures, row).dump());
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) out += rows[i] + (i + 1 < rows.size() ? ",\n" : "\n");
  out += "]\n}\n";
  return out;
}

void write_baseline(const Baseline& baseline, const std::filesystem::path& path) {
  write_file_atomically(path, baseline_text(baseline));
}

}  // namespace wb::regress
