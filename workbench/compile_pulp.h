#pragma once
// `workbench compile` for PULP targets: quantize (pulp scheme), tile for the cluster and write
// the tile program, its tiling log (DORY style) and the compile report.

#include <iosfwd>

#include "compiler/pulp/compile.h"
#include "workbench/compile_xdnn.h"

namespace wb {

struct PulpCompiledModel {
  HwConfig config;
  QuantizeResult quantized;
  pulp::CompileResult compiled;
};

// Quantizes and compiles in memory (what `run` does before simulating).
PulpCompiledModel compile_pulp_model(const CompileCommand& command, std::ostream& log);

// The `compile` command for a pulp config: program.pulp, tiling.txt and compile.json (each
// written atomically) plus the quantization files.
void run_compile_pulp(const CompileCommand& command, std::ostream& log);

// One line of totals: layers, MACs, L2/L3 use, predicted cycles.
void print_pulp_compile_summary(std::ostream& os, const pulp::CompileResult& result);

}  // namespace wb
