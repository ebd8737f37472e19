#pragma once
// `workbench run`, `sim` and `verify` for xDNN targets: simulate a compiled program on the
// SystemC model of the overlay, check its outputs (and every layer's) bit for bit against
// the integer golden model, and build the run report (DESIGN.md §4.5).

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workbench/compile_xdnn.h"
#include "workbench/report.h"
#include "workbench/run_common.h"

namespace wb {

struct RunCommand {
  CompileCommand compile;                     // model, hw, --set, --compile-opt, quantization
  std::optional<std::filesystem::path> input; // float input tensor (.npy/.pb); else seeded synthetic
  bool no_data = false;                       // timing only, no golden check
  SimOutputs outputs;
};

struct SimCommand {
  std::filesystem::path program;
  std::filesystem::path hw;
  std::vector<std::string> overrides;
  std::optional<std::filesystem::path> input;
  std::uint64_t seed = 1;
  bool no_data = false;
  std::optional<std::filesystem::path> save_outputs;  // folder for the integer outputs (.npy)
  SimOutputs outputs;
};

struct VerifyCommand {
  std::filesystem::path dir;   // a `workbench compile` output folder
  std::filesystem::path hw;
  std::vector<std::string> overrides;
  std::optional<std::filesystem::path> input;
  std::uint64_t seed = 1;
  SimOutputs outputs;
};

// Each returns the report; the caller maps verdict "mismatch" to exit code 1.
report::RunReport run_xdnn(const RunCommand& command, std::ostream& log);
report::RunReport sim_xdnn(const SimCommand& command, std::ostream& log);
report::RunReport verify_xdnn(const VerifyCommand& command, std::ostream& log);

}  // namespace wb
