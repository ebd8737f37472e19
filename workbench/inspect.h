#pragma once
// `workbench inspect`: the per-layer table of a model (name, op, shapes, params, MACs),
// totals, and the nodes the workbench does not support; optionally after a pipeline of
// passes, and where each layer runs on a hardware config (workbench/partition_report.h).

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "compiler/frontend/onnx_import.h"
#include "workbench/compile.h"

namespace wb {

struct InspectRow {
  std::string name;
  std::string op;
  std::vector<std::string> input_shapes;  // non-constant inputs, "f32[1,3,224,224]" or "?"
  std::vector<std::string> output_shapes;
  std::int64_t params = 0;
  std::int64_t macs = 0;
  std::int64_t ops = 0;
  bool supported = true;
  std::string unsupported_reason;
};

struct InspectReport {
  std::string model_path;
  std::string graph_name;
  std::int64_t opset = 0;
  std::string producer;
  std::vector<std::string> inputs;   // "name: f32[1,3,224,224]"
  std::vector<std::string> outputs;
  std::vector<std::string> notes;    // a symbolic batch dimension taken as 1
  std::vector<InspectRow> rows;      // topological order
  std::int64_t total_params = 0;
  std::int64_t total_macs = 0;
  std::int64_t conv_macs = 0;
  std::int64_t fc_macs = 0;
  std::int64_t total_ops = 0;
  std::vector<UnsupportedNode> unsupported;
  // Checked when every node imports: the nodes `quant_scheme` cannot quantize after its
  // passes, "name (op): reason", every one.
  bool quantization_checked = false;
  std::string quant_scheme;
  std::vector<std::string> unquantizable;
};

InspectReport build_inspect_report(const ImportedModel& model, const std::string& model_path);
void print_inspect_report(std::ostream& os, const InspectReport& report);
nlohmann::json inspect_report_json(const InspectReport& report);

struct InspectCommand {
  std::string model;
  std::string json;  // also write the table (and the partition) here
  bool print_ir = false;
  std::string passes;  // a pipeline run first; its IR printed after the passes named:
  bool print_after_all = false;
  std::vector<std::string> print_after;
  std::string dump_ir;  // a folder, one file per printed pass
  // --hw, --set, --compile-opt, --scheme: the partition on that config (hw empty: none; the
  // model is `model`).
  CompileRequest partition;
};

// Prints the report (and the partition) on `out`. The table is of the graph after
// fold-constants (or after --passes), so shapes computed by shape arithmetic are known and
// MACs count as the compilers count them. UserError when the model has nodes the workbench
// does not import, nodes the scheme (--scheme, the target's with --hw, else pow2) cannot
// quantize, or nodes that run nowhere on the config; each list is printed whole first, and
// the JSON written.
void run_inspect(const InspectCommand& command, std::ostream& out);

}  // namespace wb
