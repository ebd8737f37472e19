#pragma once
// `workbench compile`, for any target: quantize (or read a QDQ model), compile for the
// hardware config with the config's back end (workbench/backends/target.h), and write the program,
// its text forms, the compile report and the quantization files to an output folder.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "workbench/quantize.h"
#include "workbench/backends/target.h"

namespace wb {

struct CompileCommand {
  std::filesystem::path model;
  std::filesystem::path hw;
  std::vector<std::string> overrides;     // --set
  std::vector<std::string> compile_opts;  // --compile-opt
  QuantizeCommand quantize;               // scheme, calibration
  std::filesystem::path out_dir;          // the program and its files, quant.json, model.qdq.onnx
  // The quantized-model cache folder (workbench/model_cache.h); none: quantize every time.
  // Used only when quantizing writes nothing else (no quant files, report or dumps).
  std::optional<std::filesystem::path> model_cache;
};

// A compile command as the command line names it (`compile`, `run`, `inspect --hw`):
// to_compile_command resolves the scheme and the calibration method.
struct CompileRequest {
  std::string model;
  std::string hw;
  std::vector<std::string> overrides;     // --set
  std::vector<std::string> compile_opts;  // --compile-opt
  std::vector<std::string> shapes;        // --shape NAME=1x3x224x224
  std::string scheme;                     // empty: the target's own (xdnn for xdnn configs, pulp for pulp ones)
  std::string calib_dir;                  // empty: calib_count seeded synthetic inputs
  std::string calib_method = "max";
  int calib_count = 16;
  std::uint64_t seed = 1;
};

// UserError for an unknown scheme or calibration method, or a config that does not load
// (the default scheme is the config's target's).
CompileCommand to_compile_command(const CompileRequest& request);

struct CompiledModel {
  HwConfig config;
  const TargetBackend* backend = nullptr;
  QuantizeResult quantized;  // from the cache: only the qgraph (no float graph)
  std::unique_ptr<TargetProgram> program;
  std::vector<Tensor> seeded_inputs;  // from the cache: the seeded N(0,1) inputs of quantize.seed
  std::string model_sha256;           // when the cache was used
};

// Quantizes (or takes the quantized model from the cache) and compiles in memory (what `run`
// does before simulating). The compile options are checked before quantizing, so a typo
// costs no calibration.
CompiledModel compile_model(const CompileCommand& command, std::ostream& log);

// The `compile` command: compile_model with the quantization files in out_dir, then the
// back end's files (each written atomically).
void run_compile(const CompileCommand& command, std::ostream& log);

}  // namespace wb
