#include "compiler/pulp/compile.h"

#include <fmt/format.h>

#include <sstream>

#include "compiler/ir/node_list.h"
#include "compiler/pulp/deconv_phases.h"
#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/fusion_plan.h"
#include "compiler/pulp/layer_mapping.h"
#include "compiler/pulp/memory_plan.h"
#include "support/error.h"
#include "isa/program_file.h"
#include "perf/pulp/cost.h"
#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

const char* parallel_name(isa::pulp::Parallel p) {
  switch (p) {
    case isa::pulp::PARALLEL_HO: return "Ho";
    case isa::pulp::PARALLEL_HOWO: return "HoWo";
    case isa::pulp::PARALLEL_CO: return "Co";
    default: return "?";
  }
}

nlohmann::json report_of(const isa::pulp::Network& network, const HwConfig& config, const MemoryPlan& plan) {
  nlohmann::json layers = nlohmann::json::array();
  std::uint64_t macs = 0, ops = 0, predicted = 0, l3_in = 0, l3_out = 0;
  for (const auto& layer : network.layers()) {
    const auto& t = layer.tiling();
    std::uint64_t layer_l3_in = 0, layer_l3_out = 0;
    for (const auto& c : layer.l3_prefetch()) layer_l3_in += isa::pulp::copy_bytes(c);
    for (const auto& step : layer.steps()) {
      for (const auto& c : step.l3_load()) layer_l3_in += isa::pulp::copy_bytes(c);
      for (const auto& c : step.l3_store()) layer_l3_out += isa::pulp::copy_bytes(c);
    }
    layers.push_back({{"name", layer.name()},
                      {"type", layer.type()},
                      {"macs", layer.macs()},
                      {"ops", layer.ops()},
                      {"tile", {{"c_out", t.tile_c_out()}, {"h_out", t.tile_h_out()}, {"w_out", t.tile_w_out()},
                                {"c_in", t.tile_c_in()}}},
                      {"tiles", t.tiles()},
                      {"parallel", parallel_name(t.parallel())},
                      {"depthwise_plane", t.depthwise_plane()},
                      {"depthwise_chw", t.depthwise_chw()},
                      {"l1_bytes", t.l1_total_bytes()},
                      {"l3_chunks", t.l3_chunks()},
                      {"output_memory", isa::pulp::memory_name(layer.output_memory())},
                      {"l3_bytes_in", layer_l3_in},
                      {"l3_bytes_out", layer_l3_out},
                      {"predicted_cycles", t.predicted_cycles()}});
    macs += layer.macs();
    ops += layer.ops();
    predicted += t.predicted_cycles();
    l3_in += layer_l3_in;
    l3_out += layer_l3_out;
  }
  return {{"target", "pulp"},
          {"hw", config.name},
          {"tiler", network.layers_size() > 0 ? network.layers(0).tiling().objective() : ""},
          {"macs", macs},
          {"ops", ops},
          {"predicted_cycles", predicted},
          {"l2_bytes_used", network.l2_bytes_used()},
          {"l2_activation_peak_bytes", network.l2_activation_peak_bytes()},
          {"l3_bytes_used", network.l3_bytes_used()},
          {"l3_weight_bytes", network.l3_image().size()},
          {"l3_bytes_in", l3_in},
          {"l3_bytes_out", l3_out},
          {"tilings_measured", plan.tilings_measured},
          {"layers_overruling_predictor", plan.layers_overruling_predictor},
          {"fusion_candidates", plan.fusion_candidates},
          {"fused_pairs", plan.fused_pairs},
          {"patch_stage_layers", plan.patch_stage ? plan.patch_stage->last - plan.patch_stage->first + 1 : 0},
          {"patch_stage_bands", plan.patch_stage ? plan.patch_stage->bands() : 0},
          {"layers", layers},
          {"unsupported", nlohmann::json::array()}};
}

// plan_memory; when a layer that tiles itself (attention's product, a gather of pixels) does not fit L2, the error names an l2_bytes with which
// every such layer fits, found by planning again: a larger L2 also keeps earlier tensors in it,
// so the layer's own shortfall is only where the search starts. Doubling until one fits, then
// halving the interval to within 1 % (a few plans of a second or two each).
MemoryPlan plan_or_name_the_l2(const quant::QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                               const CompileOptions& options, const TilingReferee* referee) {
  try {
    return plan_with_fusion(graph, mapping, config, options, referee);
  } catch (const OperandsOutsideL2& shortage) {
    const auto fits = [&](std::int64_t l2_bytes, std::int64_t& next_guess) {
      HwConfig larger = config;
      std::get<PulpParams>(larger.params).l2_bytes = l2_bytes;
      try {
        plan_memory(graph, mapping, larger, options, nullptr);  // whether it fits, not how fast
      } catch (const OperandsOutsideL2& again) {
        next_guess = again.estimate;
        return false;
      } catch (const UserError&) {
        // Another memory is the problem now, not L2.
      }
      return true;
    };
    constexpr std::int64_t kLargestL2 = std::int64_t{1} << 32;
    std::int64_t low = config.pulp().l2_bytes, high = shortage.estimate, guess = 0;
    while (!fits(high, guess)) {
      low = high;
      high = std::max(guess, 2 * high);
      if (high > kLargestL2) throw;
    }
    while (high - low > std::max<std::int64_t>(4096, high / 100)) {
      const std::int64_t middle = low + (high - low) / 2;
      (fits(middle, guess) ? high : low) = middle;
    }
    throw UserError(fmt::format("{}; use --set l2_bytes={} or more", shortage.what(), high));
  }
}

}  // namespace

CompileResult compile_pulp(const quant::QGraph& graph, const HwConfig& config, const CompileOptions& options,
                           const TilingReferee* referee) {
  if (graph.scheme != quant::Scheme::Pulp) {
    throw UserError(fmt::format("model '{}' is quantized with the {} scheme; PULP targets run the pulp scheme "
                                "(--scheme pulp)",
                                graph.name, quant::scheme_name(graph.scheme)));
  }
  // The graph with its transposed convs as phases (deconv_phases.h) and a copy layer per
  // constant a concat reads (layer_mapping.h).
  const quant::QGraph lowered = with_concat_copies(with_deconv_phases(graph));
  const LayerMapping mapping = map_layers(lowered);
  if (!mapping.unsupported.empty()) {
    throw UserError(fmt::format("model '{}': {} node(s) the PULP cluster cannot run:{}", graph.name,
                                mapping.unsupported.size(), unsupported_node_list(mapping.unsupported)));
  }
  const MemoryPlan plan = plan_or_name_the_l2(lowered, mapping, config, options, referee);
  CompileResult result;
  isa::pulp::Network& network = result.network;
  auto& header = *network.mutable_header();
  header.set_format_version(isa::pulp::kPulpFormatVersion);
  header.set_target("pulp");
  isa::record_hw(header, config);
  header.set_model_name(graph.name);
  header.set_quant_scheme(quant::scheme_name(graph.scheme));
  header.set_compile_options(describe(options));
  emit_network(lowered, mapping, plan, options, config.pulp(), network);
  result.report = report_of(network, config, plan);
  result.tiling_log = tiling_log(network, config);
  return result;
}

std::string tiling_log(const isa::pulp::Network& network, const HwConfig& config) {
  const PulpParams& hw = config.pulp();
  std::ostringstream os;
  os << fmt::format("PULP tiling of '{}' for {} ({} cores, L1 tile budget {} B, L2 {} B), tiler={}\n",
                    network.header().model_name(), config.name, hw.cores, hw.l1_tile_budget_bytes, hw.l2_bytes,
                    network.layers_size() > 0 ? network.layers(0).tiling().objective() : "-");
  int index = 0;
  for (const auto& layer : network.layers()) {
    const auto& t = layer.tiling();
    const auto& first = layer.steps(0).compute();
    const std::int64_t out_channels = layer.output_shape_size() > 1 ? layer.output_shape(1) : 1;
    // A grouped conv's groups, from its first call (whole groups: c_in and c_out of each call
    // are its groups' channels).
    std::string grouping, tile_groups;
    if (layer.kind() == isa::pulp::KERNEL_GROUPED_CONV && first.groups() > 0) {
      const std::uint32_t group_in = first.c_in() / first.groups(), group_out = first.c_out() / first.groups();
      grouping = fmt::format(", {} groups of {} -> {} channels", out_channels / group_out, group_in, group_out);
      const std::uint32_t tile_group_count = t.tile_c_out() / group_out;
      tile_groups = fmt::format(" ({} group{})", tile_group_count, tile_group_count == 1 ? "" : "s");
    }
    // A 3-D output [a, b, n] (attention's scores) is a * b rows of n, as the cluster stores it.
    const bool rows = layer.output_shape_size() == 3;
    os << fmt::format("Layer {} {} '{}': out {}x{}x{}, {} MACs{}\n", index++, layer.type(), layer.name(),
                      rows                              ? layer.output_shape(0) * layer.output_shape(1)
                      : layer.output_shape_size() > 2 ? layer.output_shape(2)
                                                        : 1,
                      !rows && layer.output_shape_size() > 3 ? layer.output_shape(3) : 1,
                      rows ? layer.output_shape(2) : out_channels, layer.macs(), grouping);
    os << fmt::format("  L3-L2: {} chunk(s){}, output in {}{}\n", t.l3_chunks(),
                      t.l3_chunks() > 1 ? fmt::format(" of {} rows", t.chunk_h_out()) : "",
                      isa::pulp::memory_name(layer.output_memory()),
                      layer.output_pixel_bytes() != 0
                          ? fmt::format(" (a channel slice of a concat's tensor, pixels {} B apart)",
                                        layer.output_pixel_bytes())
                          : "");
    if (layer.kind() == isa::pulp::KERNEL_EMBEDDING) {
      os << fmt::format("  L2-L1: {} token ids per tile, {} tiles; per token the uDMA copies one row of {} B from {}, "
                        "no kernel\n",
                        t.tile_h_out(), t.tiles(), t.tile_c_out(),
                        layer.steps_size() > 0 ? isa::pulp::memory_name(layer.steps(0).row_gather().table_memory()) : "L3");
    } else if (layer.kind() == isa::pulp::KERNEL_PIXEL_COPY) {
      std::size_t copies = 0;
      for (const auto& step : layer.steps()) copies += static_cast<std::size_t>(step.load_size());
      os << fmt::format("  L2-L1: {} output pixels per tile, {} tiles, {} cluster-DMA copies in (runs of pixels), "
                        "no kernel\n",
                        t.tile_h_out(), t.tiles(), copies);
    } else {
      os << fmt::format("  L2-L1: tile C_out {}{} H_out {} W_out {} (C_in {}), {} tiles, first tile in {}x{}x{}, parallel {}{}\n",
                        t.tile_c_out(), tile_groups, t.tile_h_out(), t.tile_w_out(), t.tile_c_in(), t.tiles(),
                        first.h_in(), first.w_in(), first.c_in(), parallel_name(t.parallel()),
                        t.depthwise_plane() ? ", plane kernel"
                        : t.depthwise_chw() ? ", channel-major input (DORY's), blocking copies"
                                            : "");
    }
    os << fmt::format("  L1: input {} B, output {} B, weights+bias {} B, im2col {} B, constants {} B = {} B ({:.1f}% of "
                      "{} B)\n",
                      t.l1_input_bytes(), t.l1_output_bytes(), t.l1_weight_bytes(), t.l1_im2col_bytes(),
                      t.l1_constant_bytes(), t.l1_total_bytes(),
                      100.0 * static_cast<double>(t.l1_total_bytes()) / static_cast<double>(hw.l1_tile_budget_bytes),
                      hw.l1_tile_budget_bytes);
    os << fmt::format("  predicted {} cycles ({:.2f} MAC/cycle)\n", t.predicted_cycles(),
                      t.predicted_cycles() > 0 ? static_cast<double>(layer.macs()) / static_cast<double>(t.predicted_cycles())
                                               : 0.0);
  }
  return os.str();
}

}  // namespace wb::pulp
