#include "workbench/inspect.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>

#include "compiler/ir/fusion.h"
#include "compiler/ir/op_counts.h"
#include "compiler/ir/printer.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/quant/quantizer.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/text.h"
#include "workbench/partition_report.h"

namespace wb {

InspectReport build_inspect_report(const ImportedModel& model, const std::string& model_path) {
  const Graph& graph = model.graph;
  InspectReport report;
  report.model_path = model_path;
  report.graph_name = graph.name;
  report.opset = graph.opset;
  report.producer = model.producer;
  report.unsupported = model.unsupported;
  for (std::size_t i = 0; i < graph.inputs().size(); ++i) {
    const Value* in = graph.inputs()[i];
    std::string text = fmt::format("{}: {}", in->name, format_value_type(*in));
    // A model of symbolic dimensions: what it declares and what gave the sizes used.
    if (i < model.inputs.size() && model.inputs[i].source != "model") {
      text += fmt::format(" (declared {}; {})", model.inputs[i].declared, model.inputs[i].source);
    }
    report.inputs.push_back(std::move(text));
  }
  report.notes = model.notes;
  for (const Value* out : graph.outputs()) report.outputs.push_back(fmt::format("{}: {}", out->name, format_value_type(*out)));

  for (const Node* node : graph.topological_order()) {
    InspectRow row;
    row.name = node->name;
    row.op = node->op_type;
    // Fused forms read as the ops they absorbed: Conv+Add+Relu.
    if (node->op == OpKind::Conv && node->input(kConvResidualInput) != nullptr) row.op += "+Add";
    if (const auto act = FusedActivation::of(*node); act.kind != FusedActivation::Kind::None) {
      row.op += act.kind == FusedActivation::Kind::Relu ? "+Relu" : "+Clip";
    }
    for (const Value* in : node->inputs) {
      if (in != nullptr && !in->is_constant()) row.input_shapes.push_back(format_value_type(*in));
    }
    for (const Value* out : node->outputs) {
      if (out != nullptr) row.output_shapes.push_back(format_value_type(*out));
    }
    const OpCounts counts = count_node(*node);
    row.params = counts.params;
    row.macs = counts.macs;
    row.ops = counts.ops;
    row.supported = node->op != OpKind::Unsupported;
    if (!row.supported) {
      auto it = std::find_if(model.unsupported.begin(), model.unsupported.end(),
                             [&](const UnsupportedNode& u) { return u.name == node->name; });
      if (it != model.unsupported.end()) row.unsupported_reason = it->reason;
    }
    report.total_params += counts.params;
    report.total_macs += counts.macs;
    report.total_ops += counts.ops;
    if (is_conv_op(node->op)) report.conv_macs += counts.macs;
    if (is_matmul_op(node->op)) report.fc_macs += counts.macs;
    report.rows.push_back(std::move(row));
  }
  return report;
}

namespace {

std::string shorten(const std::string& text, std::size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 1) + "~";
}

// The first shape, and how many more there are: "f32[1,64,28,28] +3".
std::string summarize_shapes(const std::vector<std::string>& shapes) {
  if (shapes.empty()) return "";
  return shapes.size() == 1 ? shapes[0] : fmt::format("{} +{}", shapes[0], shapes.size() - 1);
}

}  // namespace

void print_inspect_report(std::ostream& os, const InspectReport& report) {
  fmt::print(os, "model   {}\n", report.model_path);
  fmt::print(os, "graph   {} (opset {}, producer {})\n", report.graph_name.empty() ? "-" : report.graph_name,
             report.opset, report.producer);
  for (const auto& in : report.inputs) fmt::print(os, "input   {}\n", in);
  for (const auto& out : report.outputs) fmt::print(os, "output  {}\n", out);
  for (const auto& note : report.notes) fmt::print(os, "note    {}\n", note);
  os << '\n';

  std::size_t name_width = 4;
  for (const auto& row : report.rows) name_width = std::max(name_width, std::min<std::size_t>(row.name.size(), 40));
  const std::string header = fmt::format("{:>4}  {:<{}}  {:<18}  {:<24}  {:<20}  {:>11}  {:>15}", "#", "name", name_width,
                                         "op", "input", "output", "params", "MACs");
  os << header << '\n' << std::string(header.size(), '-') << '\n';
  for (std::size_t i = 0; i < report.rows.size(); ++i) {
    const auto& row = report.rows[i];
    const std::string op = row.supported ? row.op : row.op + " (!)";
    fmt::print(os, "{:>4}  {:<{}}  {:<18}  {:<24}  {:<20}  {:>11}  {:>15}\n", i + 1, shorten(row.name, 40), name_width,
               shorten(op, 18), shorten(summarize_shapes(row.input_shapes), 24),
               shorten(summarize_shapes(row.output_shapes), 20),
               row.params ? grouped(row.params) : "", row.macs ? grouped(row.macs) : "");
  }
  os << std::string(header.size(), '-') << '\n';
  fmt::print(os, "layers  {}\n", report.rows.size());
  fmt::print(os, "params  {}\n", grouped(report.total_params));
  fmt::print(os, "MACs    {} (conv {}, FC {})\n", grouped(report.total_macs), grouped(report.conv_macs),
             grouped(report.fc_macs));
  fmt::print(os, "ops     {} (2 x MACs + pooling + elementwise, DESIGN.md §4.4)\n", grouped(report.total_ops));
  if (report.unsupported.empty()) {
    fmt::print(os, "unsupported  none\n");
    if (report.quantization_checked && report.unquantizable.empty()) {
      fmt::print(os, "quantizable  every node (scheme {})\n", report.quant_scheme);
    } else if (report.quantization_checked) {
      fmt::print(os, "quantizable  no: {} node{} without an integer form in scheme {}:\n", report.unquantizable.size(),
                 report.unquantizable.size() == 1 ? "" : "s", report.quant_scheme);
      for (const auto& node : report.unquantizable) fmt::print(os, "  {}\n", node);
    }
  } else {
    fmt::print(os, "unsupported  {} node{} (marked (!) above):\n", report.unsupported.size(),
               report.unsupported.size() == 1 ? "" : "s");
    for (const auto& u : report.unsupported) {
      fmt::print(os, "  {} ({}){}{}{}\n", u.name, u.op_type, u.reason.empty() ? "" : ": ", u.reason,
                 u.follows.empty() ? "" : fmt::format(" (follows from {})", u.follows));
    }
  }
}

nlohmann::json inspect_report_json(const InspectReport& report) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& row : report.rows) {
    layers.push_back({{"name", row.name},
                      {"op", row.op},
                      {"inputs", row.input_shapes},
                      {"outputs", row.output_shapes},
                      {"params", row.params},
                      {"macs", row.macs},
                      {"ops", row.ops},
                      {"supported", row.supported}});
  }
  nlohmann::json unsupported = nlohmann::json::array();
  for (const auto& u : report.unsupported) {
    unsupported.push_back({{"name", u.name}, {"op", u.op_type}, {"reason", u.reason}, {"follows", u.follows}});
  }
  return {{"model", {{"path", report.model_path}, {"graph", report.graph_name}, {"opset", report.opset},
                     {"producer", report.producer}, {"inputs", report.inputs}, {"outputs", report.outputs}, {"notes", report.notes}}},
          {"layers", layers},
          {"totals",
           {{"layers", report.rows.size()},
            {"params", report.total_params},
            {"macs", report.total_macs},
            {"conv_macs", report.conv_macs},
            {"fc_macs", report.fc_macs},
            {"ops", report.total_ops}}},
          {"unsupported", unsupported},
          {"quantization", report.quantization_checked
                               ? nlohmann::json{{"scheme", report.quant_scheme}, {"unquantizable", report.unquantizable}}
                               : nlohmann::json(nullptr)}};
}

namespace {

// The scheme the quantizability check uses: --scheme, else the target's with --hw, else pow2
// (`workbench quantize`'s default).
quant::QuantizeOptions check_options(const InspectCommand& command) {
  quant::QuantizeOptions options;
  if (!command.partition.scheme.empty()) {
    options.scheme = quant::parse_scheme(command.partition.scheme);
  } else if (!command.partition.hw.empty()) {
    options.scheme = to_compile_command(command.partition).quantize.quant.scheme;
  }
  return options;
}

void check_quantization(const InspectCommand& command, const Graph& graph, InspectReport& report) {
  const quant::QuantizeOptions options = check_options(command);
  Graph fused = graph.clone();
  PassManager::from_pipeline(quant::quantization_pipeline(options.scheme)).run(fused);
  report.quantization_checked = true;
  report.quant_scheme = quant::scheme_name(options.scheme);
  report.unquantizable = quant::unquantizable_nodes(fused, options);
}

}  // namespace

void run_inspect(const InspectCommand& command, std::ostream& out) {
  ImportOptions options;
  options.allow_unsupported = true;
  for (const std::string& shape : command.partition.shapes) options.given_shapes.push_back(parse_shape_option(shape));
  if (command.passes.empty() &&
      (command.print_after_all || !command.print_after.empty() || !command.dump_ir.empty())) {
    throw UserError("--print-after, --print-after-all and --dump-ir print the IR between the passes of "
                    "--passes PIPELINE; add --passes");
  }
  ImportedModel model = import_onnx_file(command.model, options);
  // Checked on the model as imported: --passes may fuse what the quantizer takes apart (without
  // them the table's graph is only folded, which the quantization pipeline does first anyway).
  std::optional<Graph> imported;
  if (!command.passes.empty()) imported = model.graph.clone();
  if (!command.passes.empty()) {
    if (!model.unsupported.empty()) {
      throw UserError(fmt::format("{}: {}", command.model, format_unsupported(model.unsupported)));
    }
    if (!command.dump_ir.empty() && !command.print_after_all && command.print_after.empty()) {
      throw UserError(fmt::format("--dump-ir {}: writes the IR that --print-after PASS or --print-after-all "
                                  "prints; add one of them",
                                  command.dump_ir));
    }
    if (!command.dump_ir.empty()) create_output_folder(command.dump_ir, "--dump-ir");
    PassManagerOptions pass_options;
    pass_options.print_after_all = command.print_after_all;
    pass_options.print_after = {command.print_after.begin(), command.print_after.end()};
    pass_options.print_stream = &out;
    if (!command.dump_ir.empty()) pass_options.dump_dir = command.dump_ir;
    PassManager manager = PassManager::from_pipeline(command.passes, pass_options);
    const std::string pipeline = manager.pipeline();
    for (const std::string& pass : command.print_after) {
      if (("," + pipeline + ",").find("," + pass + ",") == std::string::npos) {
        throw UserError(
            fmt::format("--print-after {}: not a pass of the pipeline ({}); name one of them", pass, pipeline));
      }
    }
    const auto records = manager.run(model.graph);
    out << format_pass_statistics(records) << '\n';
  } else {
    PassManager::from_pipeline("fold-constants").run(model.graph);
  }
  InspectReport report = build_inspect_report(model, command.model);
  if (report.unsupported.empty()) check_quantization(command, imported ? *imported : model.graph, report);
  if (command.print_ir) {
    print_graph(out, model.graph);
    out << '\n';
  }
  print_inspect_report(out, report);
  nlohmann::json json = inspect_report_json(report);
  if (!report.unsupported.empty()) {
    if (!command.json.empty()) write_file_atomically(command.json, json.dump(2) + "\n");
    throw UserError(fmt::format("{}: {}", command.model, format_unsupported(report.unsupported)));
  }
  if (!report.unquantizable.empty()) {
    if (!command.json.empty()) write_file_atomically(command.json, json.dump(2) + "\n");
    throw UserError(fmt::format("{}: {} node{} cannot be quantized in scheme {} (listed above)", command.model,
                                report.unquantizable.size(), report.unquantizable.size() == 1 ? "" : "s",
                                report.quant_scheme));
  }
  if (!command.partition.hw.empty()) {
    CompileRequest request = command.partition;
    request.model = command.model;
    std::ostringstream quantize_log;  // the partition is the output; quantizing is a means
    const PartitionReport partition = build_partition_report(to_compile_command(request), quantize_log);
    out << '\n';
    print_partition_report(out, partition);
    json["partition"] = partition_report_json(partition);
    if (!partition.partition.unsupported.empty()) {
      if (!command.json.empty()) write_file_atomically(command.json, json.dump(2) + "\n");
      throw UserError(fmt::format("{}: {} node(s) run nowhere on {} (listed above)", command.model,
                                  partition.partition.unsupported.size(), partition.config_name));
    }
  }
  if (!command.json.empty()) write_file_atomically(command.json, json.dump(2) + "\n");
}

}  // namespace wb
