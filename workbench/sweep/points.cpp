#include "workbench/sweep/points.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "support/error.h"
#include "isa/program_file.h"
#include "support/file_io.h"
#include "support/sha256.h"
#include "workbench/model_cache.h"
#include "workbench/report/report.h"
#include "workbench/sweep/expression.h"
#include "workbench/backends/target.h"

namespace wb::sweep {

namespace {

struct BaseConfig {
  const SpecConfig* spec;
  std::string text;
  HwConfig config;
};

// "a=off,b=cost" -> {"a=off", "b=cost"}; "default" (or empty) -> {}.
std::vector<std::string> split_options(const std::string& text) {
  std::vector<std::string> items;
  if (text == "default" || text.empty()) return items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto begin = item.find_first_not_of(" \t");
    const auto end = item.find_last_not_of(" \t");
    if (begin != std::string::npos) items.push_back(item.substr(begin, end - begin + 1));
  }
  return items;
}

// One combination of axis values: (axis index, value) per axis.
using Combination = std::vector<const AxisValue*>;

std::vector<Combination> combinations(const SweepSpec& spec, const std::vector<std::vector<AxisValue>>& values) {
  std::vector<Combination> all;
  if (values.empty()) return {Combination{}};
  if (spec.combine == Combine::Zip) {
    const std::size_t n = values.front().size();
    for (std::size_t a = 0; a < values.size(); ++a) {
      if (values[a].size() != n) {
        throw UserError(fmt::format("{}: zip needs axes of one length: {} has {} values, {} has {}",
                                    where(spec, spec.axes[a].place), spec.axes.front().name, n, spec.axes[a].name,
                                    values[a].size()));
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      Combination c;
      for (const auto& axis : values) c.push_back(&axis[i]);
      all.push_back(std::move(c));
    }
    return all;
  }
  Combination current(values.size());
  std::function<void(std::size_t)> recurse = [&](std::size_t axis) {
    if (axis == values.size()) {
      all.push_back(current);
      return;
    }
    for (const AxisValue& v : values[axis]) {
      current[axis] = &v;
      recurse(axis + 1);
    }
  };
  recurse(0);
  return all;
}

QuantizeCommand quantize_command(const SweepSpec& spec, const SpecModel& model, const TargetBackend& backend) {
  QuantizeCommand q;
  q.model = model.path;
  q.quant.scheme = spec.quantization.scheme.value_or(backend.default_scheme());
  q.calibration.method = quant::parse_calibration_method(spec.quantization.calib_method);
  q.calibration.percentile = spec.quantization.percentile;
  q.calib_dir = spec.quantization.calib_dir;
  q.calib_count = spec.quantization.calib_count;
  q.seed = spec.quantization.seed;
  q.structure_only = spec.mode == Mode::Timing;
  q.given_shapes = model.shapes;
  return q;
}

}  // namespace

std::map<std::string, double> numeric_keys(const HwConfig& config) {
  std::map<std::string, double> values;
  for (const HwKeyValue& kv : resolved_keys(config)) {
    if (const auto* i = std::get_if<std::int64_t>(&kv.value)) values[std::string(kv.key.path)] = static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&kv.value)) values[std::string(kv.key.path)] = *d;
    if (const auto* b = std::get_if<bool>(&kv.value)) values[std::string(kv.key.path)] = *b ? 1.0 : 0.0;
  }
  return values;
}

std::vector<DesignPoint> expand_points(const SweepSpec& spec,
                                       std::map<std::filesystem::path, std::string>& model_digests) {
  std::vector<BaseConfig> bases;
  for (const SpecConfig& c : spec.configs) {
    BaseConfig base{&c, read_file_bytes(c.path), {}};
    try {
      base.config = parse_hw_config(base.text, c.path.string());
    } catch (const UserError& e) {
      throw UserError(fmt::format("{}: {}", where(spec, c.place), e.what()));
    }
    bases.push_back(std::move(base));
  }

  // Constraints: parsed once; each applies to the points whose target has all its keys, and
  // must apply to at least one base config.
  std::vector<Expression> constraints;
  for (const Constraint& c : spec.constraints) {
    Expression e(c.expression, where(spec, c.place));
    bool applies = false;
    for (const BaseConfig& base : bases) {
      const auto keys = numeric_keys(base.config);
      applies = applies || std::all_of(e.names().begin(), e.names().end(),
                                       [&](const std::string& n) { return keys.count(n) > 0; });
    }
    if (!applies) {
      throw UserError(fmt::format("{}: '{}' uses {}, which no base config has (the keys are those of `workbench hw "
                                  "show`)",
                                  where(spec, c.place), c.expression, fmt::join(e.names(), ", ")));
    }
    constraints.push_back(std::move(e));
  }

  std::vector<DesignPoint> points;
  for (const SpecModel& model : spec.models) {
    auto digest = model_digests.find(model.path);
    if (digest == model_digests.end()) {
      digest = model_digests.emplace(model.path, sha256_file(model.path)).first;
    }
    for (const BaseConfig& base : bases) {
      const TargetBackend& backend = backend_for(base.config);
      const OptionTable& options = backend.compile_options();
      // The values of each axis for this base; the ablation depends on the target.
      std::vector<std::vector<AxisValue>> values;
      for (const Axis& axis : spec.axes) {
        if (!axis.ablation) {
          values.push_back(axis.values);
          continue;
        }
        if (spec.combine == Combine::Zip) {
          throw UserError(fmt::format("{}: 'ablation' needs combine: grid", where(spec, axis.place)));
        }
        std::vector<AxisValue> ablation = {{"default", axis.place.line}};
        for (const std::string& item : options.ablation()) ablation.push_back({item, axis.place.line});
        values.push_back(std::move(ablation));
      }
      // Each value alone first, by the key's own checks (kind, range), so an error names its own
      // line. The rules between keys (a budget within its memory) are the whole point's,
      // checked after the combination and the constraints: an L1 axis alone must not fail on
      // the base config's budget.
      for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        if (spec.axes[a].name == kCompileOptAxis) continue;
        for (const AxisValue& v : values[a]) {
          try {
            parse_hw_config(base.text, base.spec->path.string(), {spec.axes[a].name + "=" + v.text}, HwChecks::KeysOnly);
          } catch (const UserError& e) {
            throw UserError(fmt::format("{}:{}: {}: '{}' for {}: {}", spec.path.string(), v.line, spec.axes[a].place.key,
                                        v.text, base.spec->path.filename().string(), e.what()));
          }
        }
      }
      QuantizeCommand quantize = quantize_command(spec, model, backend);
      InputFiles inputs;
      if (model.input) inputs.push_back({"", *model.input});
      quantize.input_file_shapes = input_file_shapes(inputs);
      const std::string quant_key = quantization_key(quantize, digest->second, inputs);

      for (const Combination& combination : combinations(spec, values)) {
        DesignPoint p;
        p.model = model.name;
        p.model_path = model.path;
        p.model_sha256 = digest->second;
        p.inputs = inputs;
        p.config_path = base.spec->path;
        p.mode = spec.mode;
        p.quantize = quantize;
        p.quant_key = quant_key;
        for (std::size_t a = 0; a < combination.size(); ++a) {
          const Axis& axis = spec.axes[a];
          const AxisValue& v = *combination[a];
          p.params[axis.name] = v.text;
          const std::string place = fmt::format("{}:{}: {}", spec.path.string(), v.line, axis.place.key);
          if (axis.name == kCompileOptAxis) {
            for (const std::string& item : split_options(v.text)) {
              if (const std::string why = options.problem(item); !why.empty()) {
                throw UserError(fmt::format("{}: '{}' for {} ({}): {}", place, item, base.config.name,
                                            base.spec->path.filename().string(), why));
              }
              p.compile_opts.push_back(item);
            }
          } else {
            p.overrides.push_back(axis.name + "=" + v.text);
          }
        }
        // What constraints see: the point's resolved keys (a size relative to an axis follows it).
        const std::map<std::string, double> keys =
            numeric_keys(parse_hw_config(base.text, base.spec->path.string(), p.overrides, HwChecks::KeysOnly));
        bool keep = true;
        for (const Expression& e : constraints) {
          const bool applies = std::all_of(e.names().begin(), e.names().end(),
                                           [&](const std::string& n) { return keys.count(n) > 0; });
          if (applies && e.evaluate(keys) == 0.0) keep = false;
        }
        if (!keep) continue;
        try {
          p.hw = parse_hw_config(base.text, base.spec->path.string(), p.overrides);
        } catch (const UserError& e) {
          throw UserError(fmt::format("{}: the point {} on {}: {} (add a constraint that drops it)",
                                      where(spec, base.spec->place), p.params.dump(),
                                      base.spec->path.filename().string(), e.what()));
        }
        p.config = p.hw.name;
        p.label = p.model + " " + p.config;
        for (std::size_t a = 0; a < combination.size(); ++a) {
          p.label += fmt::format(" {}={}", spec.axes[a].name, combination[a]->text);
        }
        p.compile_options = options.describe(options.parse(p.compile_opts));
        const nlohmann::json identity = {{"hw", isa::hw_fingerprint(p.hw)},
                                         {"target", target_name(p.hw.target())},
                                         {"model", p.model_sha256},
                                         {"quantization", p.quant_key},
                                         {"compile_options", p.compile_options},
                                         {"mode", mode_name(p.mode)}};
        p.key = sha256_hex(identity.dump()).substr(0, 32);
        p.position = static_cast<int>(points.size());
        points.push_back(std::move(p));
      }
    }
  }
  if (points.empty()) {
    throw UserError(fmt::format("{}:1: constraints: every point was dropped; loosen them", spec.path.string()));
  }
  std::set<std::string> keys;
  for (const DesignPoint& p : points) {
    if (!keys.insert(p.key).second) {
      throw UserError(fmt::format("{}: two points are the same design ({} on {}, {}): remove the duplicate value",
                                  spec.path.string(), p.model, p.config, p.params.dump()));
    }
  }
  return points;
}

}  // namespace wb::sweep
