#pragma once
// The xDNN compiler driver: QGraph + HwConfig -> Program, its .cmd text and the compile
// report. Runs the steps in order, each its own unit: merge_siblings, map_layers,
// plan_buffers, schedule_layers, plan_row_tiling, allocate_am, emit_program. When the merged
// program moves intermediate bytes through DDR (or does not fit), it compiles the siblings
// apart too and keeps whichever moves fewer (docs/xdnn.md, "Sibling merging").

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/compile_options.h"
#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::xdnn {

struct CompileResult {
  isa::xdnn::Program program;
  nlohmann::json report;  // ops, moveops, per-layer rows, schedule and allocation figures, unsupported
  std::string cmd;        // one instruction a line (xfDNN's .cmd)
};

// UserError listing every unsupported node at once, or naming the layer that does not fit.
CompileResult compile_xdnn(const quant::QGraph& graph, const HwConfig& config, const CompileOptions& options);

// The text form of a program: a header comment, then one instruction a line.
std::string program_to_cmd(const isa::xdnn::Program& program);

}  // namespace wb::xdnn
