#pragma once
// `workbench compile` for xDNN targets: quantize (or read a QDQ model), compile for the
// hardware config, and write the program, its .cmd text, the compile report and the
// quantization files to an output folder.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "compiler/xdnn/compile.h"
#include "isa/hw_config.h"
#include "workbench/quantize.h"

namespace wb {

struct CompileCommand {
  std::filesystem::path model;
  std::filesystem::path hw;
  std::vector<std::string> overrides;     // --set
  std::vector<std::string> compile_opts;  // --compile-opt
  QuantizeCommand quantize;               // scheme, calibration
  std::filesystem::path out_dir;          // program.xdnn, program.cmd, compile.json, quant.json, model.qdq.onnx
};

struct CompiledModel {
  HwConfig config;
  QuantizeResult quantized;
  xdnn::CompileResult compiled;
};

// Quantizes and compiles in memory (what `run` does before simulating). Quantization files
// go to `quant_out_dir` when given.
CompiledModel compile_model(const CompileCommand& command, std::ostream& log);

// The `compile` command: compile_model, then write the files (each atomically).
void run_compile(const CompileCommand& command, std::ostream& log);

// One line per compile figure: ops, MACs, instructions, schedule, allocation, DDR traffic.
void print_compile_summary(std::ostream& os, const xdnn::CompileResult& result);

}  // namespace wb
