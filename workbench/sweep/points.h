#pragma once
// A sweep spec expanded into its design points, each checked up front and given its key.
// One point = one (model, base config, axis values) = one process = one result record.
// A point's key hashes everything that decides its result: the resolved hardware config's
// fingerprint, the model file's SHA-256, the quantization (scheme, calibration, input) and
// the workbench build (model_cache.h's key), every compile option's value, and the mode. A
// rerun skips the points whose key has a result.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "workbench/quantize.h"
#include "workbench/run_inputs.h"
#include "workbench/sweep/spec.h"

namespace wb::sweep {

struct DesignPoint {
  std::string key;    // 32 hex digits
  int position = 0;   // in the spec's expansion order
  std::string model;  // SpecModel::name
  std::filesystem::path model_path;
  std::string model_sha256;
  InputFiles inputs;  // the model's input file (verify mode), else none: seeded
  std::string config;  // HwConfig::name
  std::filesystem::path config_path;
  HwConfig hw;  // resolved (base + overrides)
  std::vector<std::string> overrides;     // --set items
  std::vector<std::string> compile_opts;  // --compile-opt items (as the axis gave them)
  std::string compile_options;            // every option's value, resolved: "a=on,b=dory"
  nlohmann::json params = nlohmann::json::object();  // axis name -> value as given
  std::string label;  // "resnet50 v3_96 array.rows=56 am_bytes=2MiB", axes in spec order
  Mode mode = Mode::Timing;
  QuantizeCommand quantize;  // how the model is quantized for this point's target
  std::string quant_key;     // model_cache.h's key of `quantize`
};

// Every point of the spec, in order: models outermost, then configs, then the axes (grid:
// the first axis varies slowest; zip: the i-th values together); constraints applied.
// UserError "SPEC:LINE: KEY: ..." for a value its target does not accept, a compile option
// its compiler does not have, a constraint over keys no base config has, or zip axes of
// different lengths; also when no point is left. `model_digests` caches the models' SHA-256
// by path (filled as needed).
std::vector<DesignPoint> expand_points(const SweepSpec& spec, std::map<std::filesystem::path, std::string>& model_digests);

// The numbers of a resolved config by dotted key (integers, sizes, reals; booleans as 0/1),
// as constraints and report axes see them.
std::map<std::string, double> numeric_keys(const HwConfig& config);

}  // namespace wb::sweep
