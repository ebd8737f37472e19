#pragma once
// `workbench run`, `sim` and `verify`, for any target: simulate a program with its config's
// back end (workbench/backends/target.h), check its outputs (and every layer output the simulator
// read back) bit for bit against the integer golden model, and build the run report
// (DESIGN.md §4.5).

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workbench/compile.h"
#include "workbench/report/report.h"
#include "workbench/run_common.h"
#include "workbench/run_inputs.h"

namespace wb {

struct RunCommand {
  CompileCommand compile;                     // model, hw, --set, --compile-opt, quantization
  InputFiles inputs;                          // --input files (workbench/run_inputs.h); none: seeded
  bool no_data = false;                       // timing only, no golden check
  std::size_t images = 0;                     // --images: the stream's length (0: the simulator's default)
  SimOutputs outputs;
};

struct SimCommand {
  std::filesystem::path program;
  std::filesystem::path hw;
  std::vector<std::string> overrides;
  InputFiles inputs;
  std::uint64_t seed = 1;
  bool no_data = false;
  std::size_t images = 0;
  SimOutputs outputs;
};

struct VerifyCommand {
  std::filesystem::path dir;   // a `workbench compile` output folder
  std::filesystem::path hw;
  std::vector<std::string> overrides;
  InputFiles inputs;
  std::uint64_t seed = 1;
  SimOutputs outputs;
};

// Each returns the report; the caller maps verdict "mismatch" to exit code 1.
report::RunReport run_model(const RunCommand& command, std::ostream& log);
report::RunReport sim_program(const SimCommand& command, std::ostream& log);
report::RunReport verify_program(const VerifyCommand& command, std::ostream& log);

// What the three share, and what a sweep point runs: quantise the float inputs for the
// program, simulate it, check it against the golden model of `graph` (when given and with
// data), log a line, and write the outputs asked for. `model_sha256` is the model file's
// digest when the caller knows it (empty: computed here).
struct SimulationRequest {
  const TargetBackend* backend = nullptr;
  const TargetProgram* program = nullptr;
  const quant::QGraph* graph = nullptr;  // null: no golden check (`sim`)
  const HwConfig* config = nullptr;
  std::filesystem::path hw_path;
  std::string model_path, model_sha256;
  std::vector<Tensor> float_inputs;
  std::vector<std::string> input_sources;  // each input's data, as the report names it ("--input a.npy")
  bool no_data = false;
  std::size_t images = 0;  // images streamed through the target (sim::SimOptions::images)
  SimOutputs outputs;
  double compile_seconds = 0;  // what making the program took (the report's wall.compile_seconds)
};
report::RunReport simulate_and_verify(const SimulationRequest& request, std::ostream& log);

}  // namespace wb
