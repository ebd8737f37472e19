#include "workbench/sweep/spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "support/byte_size.h"
#include "isa/hw_config.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/spelling.h"
#include "support/utf8.h"
#include "workbench/run_common.h"

namespace wb::sweep {

namespace {

constexpr std::size_t kMaxRangeValues = 10000;

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"name",        "description", "mode",         "configs",
                                                "models",      "axes",        "combine",      "constraints",
                                                "quantization", "timeout_s",  "report"};
  return keys;
}

std::string suggestion(const std::string& key, const std::vector<std::string>& known) {
  const std::string best = closest_spelling(key, std::vector<std::string_view>(known.begin(), known.end()));
  if (!best.empty()) return fmt::format(" (did you mean '{}'?)", best);
  return fmt::format(" (known keys: {})", fmt::join(known, ", "));
}

// A number with an optional byte unit: "4096", "1.5", "8KiB". `is_bytes` says whether a unit
// was given.
std::optional<double> parse_number(std::string_view text, bool* is_bytes) {
  *is_bytes = false;
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  if (const auto bytes = parse_byte_size(text)) {
    *is_bytes = true;
    return static_cast<double>(*bytes);
  }
  return std::nullopt;
}

std::string format_number(double value) {
  if (std::abs(value) < 9e15 && value == std::floor(value)) return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

class SpecReader {
 public:
  SpecReader(SweepSpec& spec, std::filesystem::path workload_dir)
      : spec_(spec), workload_dir_(std::move(workload_dir)) {}

  void read(std::string_view yaml) {
    require_text(yaml, spec_.path.string(), "a sweep spec is a YAML text file (docs/sweeps.md)");
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      throw UserError(fmt::format("{}:{}: YAML syntax error: {}", spec_.path.string(), e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) {
      throw UserError(fmt::format("{}:1: expected a map of keys (configs, models, axes, ...) at the top level",
                                  spec_.path.string()));
    }
    std::set<std::string> seen;
    for (const auto& entry : root) {
      const int line = line_of(entry.first);
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
      if (!seen.insert(key).second) fail(line, key, "duplicate key");
      const YAML::Node& value = entry.second;
      if (key == "name") {
        spec_.name = scalar(value, key);
      } else if (key == "description") {
        spec_.description = scalar(value, key);
      } else if (key == "mode") {
        const std::string mode = scalar(value, key);
        if (mode != "timing" && mode != "verify") fail(line_of(value), key, "expected timing or verify, got '" + mode + "'");
        spec_.mode = mode == "timing" ? Mode::Timing : Mode::Verify;
      } else if (key == "combine") {
        const std::string combine = scalar(value, key);
        if (combine != "grid" && combine != "zip") fail(line_of(value), key, "expected grid or zip, got '" + combine + "'");
        spec_.combine = combine == "grid" ? Combine::Grid : Combine::Zip;
      } else if (key == "configs") {
        read_configs(value, line);
      } else if (key == "models") {
        read_models(value, line);
      } else if (key == "axes") {
        read_axes(value, line);
      } else if (key == "constraints") {
        for (const YAML::Node& item : sequence(value, key, line)) {
          spec_.constraints.push_back({scalar(item, key), {line_of(item), key}});
        }
      } else if (key == "quantization") {
        read_quantization(value, line);
      } else if (key == "timeout_s") {
        spec_.timeout_s = number(value, key, 1, 7 * 24 * 3600.0);
      } else if (key == "report") {
        read_report(value, line);
      } else {
        fail(line, key, "unknown key" + suggestion(key, top_level_keys()));
      }
    }
    if (spec_.configs.empty()) fail(1, "configs", "missing: give the base hardware config(s), e.g. configs: [../v3_96.yaml]");
    if (spec_.models.empty()) fail(1, "models", "missing: give the model(s), e.g. models: [resnet50]");
    if (spec_.name.empty()) spec_.name = spec_.path.stem().string();
    for (const ParetoPlot& plot : spec_.pareto) {
      if (plot.group.empty()) continue;
      const bool axis = std::any_of(spec_.axes.begin(), spec_.axes.end(), [&](const Axis& a) { return a.name == plot.group; });
      if (!axis) {
        std::vector<std::string> names;
        for (const Axis& a : spec_.axes) names.push_back(a.name);
        fail(plot.place.line, "report.pareto.group",
             fmt::format("'{}' is not an axis of this spec (axes: {})", plot.group,
                         names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
      }
    }
    static const std::regex name_pattern("[A-Za-z0-9_.-]+");
    if (!std::regex_match(spec_.name, name_pattern)) {
      fail(1, "name", fmt::format("'{}': use letters, digits, '_', '-' and '.' (it names the results file)", spec_.name));
    }
  }

 private:
  [[noreturn]] void fail(int line, const std::string& key, const std::string& message) const {
    throw UserError(fmt::format("{}:{}: {}: {}", spec_.path.string(), line, key, message));
  }

  static int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

  static std::string describe(const YAML::Node& node) {
    if (node.IsNull()) return "nothing";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a map";
    return fmt::format("'{}'", node.Scalar());
  }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(line_of(node), key, "expected a value, got " + describe(node));
    return node.Scalar();
  }

  double number(const YAML::Node& node, const std::string& key, double min, double max) const {
    const std::string text = scalar(node, key);
    bool bytes = false;
    const auto value = parse_number(text, &bytes);
    if (!value || bytes) fail(line_of(node), key, "expected a number, got '" + text + "'");
    if (*value < min || *value > max) {
      fail(line_of(node), key, fmt::format("{} is out of range [{}, {}]", text, format_number(min), format_number(max)));
    }
    return *value;
  }

  // A list, or one value standing for a list of one.
  std::vector<YAML::Node> sequence(const YAML::Node& node, const std::string& key, int line) const {
    std::vector<YAML::Node> items;
    if (node.IsSequence()) {
      for (const auto& item : node) items.push_back(item);
    } else if (node.IsScalar() || node.IsMap()) {
      items.push_back(node);
    } else {
      fail(line, key, "expected a list, got " + describe(node));
    }
    return items;
  }

  void check_map_keys(const YAML::Node& map, const std::string& key, const std::vector<std::string>& known) const {
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      if (!seen.insert(name).second) fail(line_of(entry.first), key + "." + name, "duplicate key");
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        fail(line_of(entry.first), key + "." + name, "unknown key" + suggestion(name, known));
      }
    }
  }

  std::filesystem::path relative_path(const std::string& text) const {
    const std::filesystem::path path(text);
    return path.is_absolute() ? path : (spec_.path.parent_path() / path).lexically_normal();
  }

  void read_configs(const YAML::Node& node, int line) {
    for (const YAML::Node& item : sequence(node, "configs", line)) {
      const std::string text = scalar(item, "configs");
      const std::filesystem::path path = relative_path(text);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        fail(line_of(item), "configs", fmt::format("{}: no such file (paths are relative to the spec)", path.string()));
      }
      spec_.configs.push_back({path, {line_of(item), "configs"}});
    }
    if (spec_.configs.empty()) fail(line, "configs", "empty list; give at least one hardware config");
  }

  // An exported workload: <workload dir>/NAME/model.onnx. NAME may name a subfolder
  // (`battery/inception_v3_opset13`) when given as `workload:`.
  SpecModel workload_model(const std::string& name, int line, const std::string& key) const {
    SpecModel model;
    model.place = {line, key};
    model.name = name.substr(name.rfind('/') + 1);
    model.path = workload_dir_ / name / "model.onnx";
    std::error_code ec;
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
      fail(line, key, fmt::format("'{}' is no workload name (a folder below {})", name, workload_dir_.string()));
    }
    if (!std::filesystem::is_regular_file(model.path, ec)) {
      fail(line, key,
           fmt::format("'{}' is not an exported workload ({} does not exist; /usr/bin/python3 scripts/export_workloads.py "
                       "exports them{})",
                       name, model.path.string(),
                       name.starts_with("battery/") ? ", --battery the battery's" : ""));
    }
    return model;
  }

  SpecModel model_of(const std::string& text, int line) const {
    SpecModel model;
    model.place = {line, "models"};
    std::error_code ec;
    if (text.find('/') != std::string::npos || text.ends_with(".onnx")) {
      model.path = relative_path(text);
      model.name = model_name_of(model.path);
      if (!std::filesystem::is_regular_file(model.path, ec)) {
        fail(line, "models", fmt::format("{}: no such file (paths are relative to the spec)", model.path.string()));
      }
    } else {
      model.name = text;
      model.path = workload_dir_ / text / "model.onnx";
      if (!std::filesystem::is_regular_file(model.path, ec)) {
        fail(line, "models",
             fmt::format("'{}' is neither an .onnx path nor an exported workload ({} does not exist; "
                         "/usr/bin/python3 scripts/export_workloads.py exports them)",
                         text, model.path.string()));
      }
    }
    return model;
  }

  void read_models(const YAML::Node& node, int line) {
    std::set<std::string> names;
    for (const YAML::Node& item : sequence(node, "models", line)) {
      SpecModel model;
      if (item.IsMap()) {
        check_map_keys(item, "models", {"model", "workload", "name", "input", "shape"});
        if (item["model"] && item["workload"]) {
          fail(line_of(item), "models", "an entry names its model once: 'model' (a path or workload name) or 'workload'");
        }
        if (item["workload"]) {
          model = workload_model(scalar(item["workload"], "models.workload"), line_of(item["workload"]), "models.workload");
        } else if (item["model"]) {
          model = model_of(scalar(item["model"], "models.model"), line_of(item["model"]));
        } else {
          fail(line_of(item), "models",
               "an entry given as a map needs 'model' (a path or workload name) or 'workload' (an exported workload, "
               "battery/NAME for the battery's)");
        }
        if (item["name"]) model.name = scalar(item["name"], "models.name");
        if (item["input"]) {
          model.input = relative_path(scalar(item["input"], "models.input"));
          std::error_code ec;
          if (!std::filesystem::is_regular_file(*model.input, ec)) {
            fail(line_of(item["input"]), "models.input", fmt::format("{}: no such file", model.input->string()));
          }
        }
        if (item["shape"]) {
          const YAML::Node& shapes = item["shape"];
          std::vector<YAML::Node> texts;
          if (shapes.IsSequence()) {
            for (const YAML::Node& s : shapes) texts.push_back(s);
          } else {
            texts.push_back(shapes);
          }
          for (const YAML::Node& s : texts) {
            try {
              model.shapes.push_back(parse_shape_option(scalar(s, "models.shape")));
            } catch (const UserError& e) {
              fail(line_of(s), "models.shape", e.what());
            }
          }
        }
      } else {
        model = model_of(scalar(item, "models"), line_of(item));
      }
      if (!names.insert(model.name).second) {
        fail(model.place.line, "models", fmt::format("'{}' is listed twice (give one a name:)", model.name));
      }
      spec_.models.push_back(std::move(model));
    }
    if (spec_.models.empty()) fail(line, "models", "empty list; give at least one model");
  }

  void read_axes(const YAML::Node& node, int line) {
    if (!node.IsMap()) fail(line, "axes", "expected a map of key: [values], got " + describe(node));
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const int key_line = line_of(entry.first);
      const std::string name = scalar(entry.first, "axes");
      const std::string key = "axes." + name;
      if (!seen.insert(name).second) fail(key_line, key, "duplicate axis");
      Axis axis;
      axis.name = name;
      axis.place = {key_line, key};
      const YAML::Node& values = entry.second;
      if (name == kCompileOptAxis && values.IsScalar() && values.Scalar() == "ablation") {
        axis.ablation = true;
      } else if (values.IsSequence()) {
        for (const auto& item : values) {
          const std::string text = scalar(item, key);
          const std::string where = fmt::format("{}:{}: {}", spec_.path.string(), line_of(item), key);
          if (name != kCompileOptAxis) {
            if (const auto range = expand_range(text, where)) {
              for (const std::string& v : *range) axis.values.push_back({v, line_of(item)});
              continue;
            }
          }
          axis.values.push_back({text, line_of(item)});
        }
        if (axis.values.empty()) fail(key_line, key, "empty list; give at least one value (or drop the axis)");
      } else {
        fail(key_line, key,
             fmt::format("expected a list of values{}, got {}",
                         name == kCompileOptAxis ? " (or 'ablation')" : "", describe(values)));
      }
      std::set<std::string> distinct;
      for (const AxisValue& v : axis.values) {
        if (!distinct.insert(v.text).second) fail(v.line, key, fmt::format("'{}' is listed twice", v.text));
      }
      spec_.axes.push_back(std::move(axis));
    }
  }

  void read_quantization(const YAML::Node& node, int line) {
    if (!node.IsMap()) fail(line, "quantization", "expected a map, got " + describe(node));
    check_map_keys(node, "quantization", {"scheme", "calib_count", "calib_method", "percentile", "calib", "seed"});
    QuantizationSpec& q = spec_.quantization;
    if (node["scheme"]) {
      const std::string scheme = scalar(node["scheme"], "quantization.scheme");
      if (scheme != "target") {
        try {
          q.scheme = quant::parse_scheme(scheme);
        } catch (const UserError& e) {
          fail(line_of(node["scheme"]), "quantization.scheme", fmt::format("{} (or 'target': each target's own)", e.what()));
        }
      }
    }
    if (node["calib_count"]) {
      q.calib_count = static_cast<int>(number(node["calib_count"], "quantization.calib_count", 1, 100000));
    }
    if (node["calib_method"]) {
      q.calib_method = scalar(node["calib_method"], "quantization.calib_method");
      if (q.calib_method != "max" && q.calib_method != "percentile" && q.calib_method != "entropy") {
        fail(line_of(node["calib_method"]), "quantization.calib_method", "expected max, percentile or entropy");
      }
    }
    if (node["percentile"]) q.percentile = number(node["percentile"], "quantization.percentile", 1e-9, 100);
    if (node["seed"]) q.seed = static_cast<std::uint64_t>(number(node["seed"], "quantization.seed", 0, 9e15));
    if (node["calib"]) {
      q.calib_dir = relative_path(scalar(node["calib"], "quantization.calib"));
      std::error_code ec;
      if (!std::filesystem::is_directory(*q.calib_dir, ec)) {
        fail(line_of(node["calib"]), "quantization.calib", fmt::format("{}: no such folder", q.calib_dir->string()));
      }
    }
  }

  void read_report(const YAML::Node& node, int line) {
    if (!node.IsMap()) fail(line, "report", "expected a map, got " + describe(node));
    check_map_keys(node, "report", {"pareto"});
    if (!node["pareto"]) return;
    for (const YAML::Node& item : sequence(node["pareto"], "report.pareto", line_of(node["pareto"]))) {
      if (!item.IsMap()) fail(line_of(item), "report.pareto", "each plot is a map {x: ..., y: ...}");
      check_map_keys(item, "report.pareto", {"x", "x_label", "y", "group"});
      ParetoPlot plot;
      plot.place = {line_of(item), "report.pareto"};
      if (!item["x"]) fail(line_of(item), "report.pareto", "a plot needs x (an expression over the config's keys)");
      plot.x = scalar(item["x"], "report.pareto.x");
      plot.x_label = item["x_label"] ? scalar(item["x_label"], "report.pareto.x_label") : plot.x;
      plot.y = item["y"] ? scalar(item["y"], "report.pareto.y") : "latency_ms";
      if (item["group"]) plot.group = scalar(item["group"], "report.pareto.group");
      spec_.pareto.push_back(std::move(plot));
    }
  }

  SweepSpec& spec_;
  std::filesystem::path workload_dir_;
};

}  // namespace

const char* mode_name(Mode mode) { return mode == Mode::Timing ? "timing" : "verify"; }

std::string where(const SweepSpec& spec, const SpecPlace& place) {
  return fmt::format("{}:{}: {}", spec.path.string(), place.line, place.key);
}

std::optional<std::vector<std::string>> expand_range(std::string_view text, const std::string& where) {
  static const std::regex pattern(R"(^\s*(\S+)\s*\.\.\s*(\S+)\s+(step|x)\s+(\S+)\s*$)");
  static const std::regex loose(R"(\.\.)");
  std::cmatch match;
  const std::string copy(text);
  if (!std::regex_match(copy.c_str(), match, pattern)) {
    if (std::regex_search(copy, loose)) {
      throw UserError(fmt::format("{}: '{}' is not a range: write 'FROM .. TO step S' or 'FROM .. TO x FACTOR'", where,
                                  copy));
    }
    return std::nullopt;
  }
  bool bytes_from = false, bytes_to = false, bytes_step = false;
  const auto from = parse_number(match[1].str(), &bytes_from);
  const auto to = parse_number(match[2].str(), &bytes_to);
  const auto step = parse_number(match[4].str(), &bytes_step);
  if (!from || !to || !step) {
    throw UserError(fmt::format("{}: '{}': the bounds and the step must be numbers (byte units allowed)", where, copy));
  }
  const bool geometric = match[3].str() == "x";
  if (geometric ? *step <= 1 : *step <= 0) {
    throw UserError(fmt::format("{}: '{}': the {} must be {}", where, copy, geometric ? "factor" : "step",
                                geometric ? "greater than 1" : "positive"));
  }
  if (*to < *from) throw UserError(fmt::format("{}: '{}': the range ends before it starts", where, copy));
  if (geometric && *from <= 0) throw UserError(fmt::format("{}: '{}': a geometric range starts above 0", where, copy));
  // Sizes given with a unit stay sizes ("8KiB", "12KiB", ...), in the largest exact unit.
  const bool bytes = bytes_from || bytes_to || bytes_step;
  std::vector<std::string> values;
  for (double v = *from; v <= *to * (1 + 1e-12); v = geometric ? v * *step : v + *step) {
    if (values.size() == kMaxRangeValues) {
      throw UserError(fmt::format("{}: '{}' has more than {} values", where, copy, kMaxRangeValues));
    }
    std::string value = format_number(v);
    if (bytes && v == std::floor(v)) {
      value = format_byte_size(static_cast<std::int64_t>(v));
      value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
      if (value.ends_with("bytes")) value = format_number(v);
    }
    values.push_back(std::move(value));
  }
  return values;
}

SweepSpec parse_sweep_spec(std::string_view yaml, const std::filesystem::path& path,
                           const std::filesystem::path& workload_dir) {
  SweepSpec spec;
  spec.path = path;
  spec.text = std::string(yaml);
  SpecReader(spec, workload_dir).read(yaml);
  return spec;
}

SweepSpec load_sweep_spec(const std::filesystem::path& path, const std::filesystem::path& workload_dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw UserError(fmt::format("{}: no such sweep spec", path.string()));
  return parse_sweep_spec(read_file_bytes(path), path, workload_dir);
}

}  // namespace wb::sweep
