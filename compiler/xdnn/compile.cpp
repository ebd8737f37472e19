#include "compiler/xdnn/compile.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "compiler/ir/node_list.h"
#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/emit_program.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/row_tiling.h"
#include "compiler/xdnn/schedule.h"
#include "compiler/xdnn/sibling_merge.h"
#include "compiler/xdnn/throughput_split.h"
#include "support/error.h"
#include "isa/program_file.h"
#include "isa/xdnn_program.h"

namespace wb::xdnn {

namespace {

// The steps after sibling merging, on `merge`'s graph (the input graph when nothing merged).
CompileResult compile_merged(const quant::QGraph& input_graph, const SiblingMerge& merge, const HwConfig& config,
                             const CompileOptions& options) {
  const XdnnParams& hw = config.xdnn();
  const quant::QGraph& graph = merge.graph_or(input_graph);
  const LayerMapping mapping = map_merged_layers(input_graph, merge, hw, options);
  if (!mapping.unsupported.empty()) {
    std::string message = fmt::format("{} node(s) of '{}' cannot run on {}:", mapping.unsupported.size(), graph.name,
                                      config.name);
    throw UserError(message + unsupported_node_list(mapping.unsupported));
  }
  BufferPlan plan = plan_buffers(graph, mapping, hw, options);
  const Schedule schedule = schedule_layers(graph, mapping, plan, options.schedule_search, options.schedule_budget);
  std::vector<std::string> names;
  for (const auto& layer : mapping.layers) names.push_back(layer.name);
  plan_row_tiling(graph, mapping, plan, schedule, static_cast<std::uint64_t>(hw.am_bytes), names);
  const Allocation allocation =
      allocate_am(plan, schedule, static_cast<std::uint64_t>(hw.am_bytes), options.allocator, names);
  EmittedProgram emitted = emit_program({.graph = graph,
                                         .mapping = mapping,
                                         .plan = plan,
                                         .schedule = schedule,
                                         .allocation = allocation,
                                         .config = config,
                                         .options = options});
  const EmitStats& stats = emitted.stats;
  const std::vector<LayerEmitStats>& layer_stats = emitted.layer_stats;
  CompileResult result;
  result.program = std::move(emitted.program);
  result.program.mutable_header()->set_model_name(graph.name);  // named in the split's messages
  std::optional<ThroughputSplit> split;
  if (options.mode == ScheduleMode::Throughput) split = split_for_throughput(result.program, hw);
  if (result.program.ddr_bytes_used() > static_cast<std::uint64_t>(hw.ddr_bytes)) {
    throw UserError(fmt::format("'{}' needs {} bytes of DDR (weights and activations), more than ddr_bytes = {}",
                                graph.name, result.program.ddr_bytes_used(), hw.ddr_bytes));
  }

  auto* header = result.program.mutable_header();
  header->set_format_version(isa::xdnn::kXdnnFormatVersion);
  header->set_target("xdnn");
  isa::record_hw(*header, config);
  header->set_model_name(graph.name);
  header->set_quant_scheme(quant::scheme_name(graph.scheme));
  header->set_compile_options(describe(options));

  nlohmann::json& report = result.report;
  std::uint64_t ops = 0, macs = 0;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t s = 0; s < schedule.order.size(); ++s) {
    const auto l = static_cast<std::size_t>(schedule.order[s]);
    const XLayer& layer = mapping.layers[l];
    ops += layer.ops;
    macs += layer.macs;
    const LayerEmitStats& ls = layer_stats[l];
    layers.push_back({{"name", layer.name},
                      {"type", layer.type},
                      {"macs", layer.macs},
                      {"ops", layer.ops},
                      {"output", graph.tensor(layer.output).name},
                      {"unit", layer_unit(layer)},
                      {"host_reason", layer.host_reason},
                      {"instructions", ls.instructions},
                      {"channel_blocks", ls.channel_blocks},
                      {"weight_bytes", ls.weight_bytes},
                      {"upload_bytes", ls.upload_bytes},
                      {"download_bytes", ls.download_bytes},
                      {"row_stripes", plan.tiling.count(static_cast<int>(l)) != 0 ? plan.tiling.at(static_cast<int>(l)).stripes : 0U}});
  }
  nlohmann::json strategies = nlohmann::json::object();
  for (const auto& [name, extent] : allocation.strategy_extents) strategies[name] = extent;
  report = {{"model", graph.name},
            {"hw", config.name},
            {"compile_options", describe(options)},
            {"ops", ops},
            {"macs", macs},
            {"moveops", stats.spill_bytes},  // xfDNN's: intermediate activations only (REFERENCE.md)
            {"ddr_activation_bytes", stats.activation_bytes},
            {"ddr_input_output_bytes", stats.input_output_bytes},
            {"ddr_spill_bytes", stats.spill_bytes},
            {"weight_bytes", stats.weight_bytes},
            {"staged_weight_bytes", stats.staged_weight_bytes},
            {"ddr_bytes_used", result.program.ddr_bytes_used()},
            {"instructions", stats.instructions},
            {"schedule",
             {{"valid_schedules", schedule.valid_schedules},
              {"regions", schedule.regions},
              {"regions_truncated", schedule.regions_truncated},
              {"peak_am_bytes", schedule.peak_bytes},
              {"default_order_peak_am_bytes", schedule.default_peak_bytes}}},
            {"allocation",
             {{"strategy", allocation.strategy},
              {"am_bytes", hw.am_bytes},
              {"extent_bytes", allocation.extent_bytes},
              {"strategies", strategies},
              {"spilled_buffers", allocation.spilled_buffers},
              {"ddr_resident_buffers", plan.ddr_resident_buffers},
              {"row_tiled_layers", plan.tiling.size()},
              {"spill_download_bytes", allocation.spill_download_bytes},
              {"spill_upload_bytes", allocation.spill_upload_bytes}}},
            {"replicated_buffers", plan.replicated_buffers},
            {"concats_by_placement", mapping.concats},
            {"merged_layers", merge.parts_of.size()},
            {"mode", mode_name(options.mode)},
            {"dedicated_layer", split ? split->dedicated_layer : ""},
            {"handover_bytes", split ? split->handover_bytes : 0},
            {"handover", !split ? "" : split->streamed ? "streamed" : "gathered"},
            {"layers", layers},
            {"unsupported", nlohmann::json::array()}};
  result.cmd = program_to_cmd(result.program);
  return result;
}

std::uint64_t intermediate_ddr_bytes(const CompileResult& compiled) {
  return compiled.report.at("ddr_spill_bytes").get<std::uint64_t>();
}

}  // namespace

CompileResult compile_xdnn(const quant::QGraph& graph, const HwConfig& config, const CompileOptions& options) {
  const SiblingMerge merge = merge_siblings(graph, config.xdnn(), options);
  if (!merge.graph) return compile_merged(graph, merge, config, options);
  // A merged buffer lives until the last of its siblings' readers has run. Where AM is short
  // that can move more intermediate bytes through DDR (spills, row stripes) than the siblings
  // apart would, or not fit at all: then the siblings stay apart.
  std::optional<CompileResult> merged;
  try {
    merged = compile_merged(graph, merge, config, options);
    if (intermediate_ddr_bytes(*merged) == 0) return std::move(*merged);
  } catch (const UserError&) {
  }
  CompileResult apart = compile_merged(graph, SiblingMerge{}, config, options);
  if (merged && intermediate_ddr_bytes(*merged) <= intermediate_ddr_bytes(apart)) return std::move(*merged);
  apart.report["sibling_merge_declined"] =
      merged ? fmt::format("merging {} layers moved {} intermediate bytes through DDR, {} apart", merge.parts_of.size(),
                           intermediate_ddr_bytes(*merged), intermediate_ddr_bytes(apart))
             : fmt::format("the network does not fit AM with {} layers merged", merge.parts_of.size());
  return apart;
}

}  // namespace wb::xdnn
