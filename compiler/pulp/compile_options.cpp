#include "compiler/pulp/compile_options.h"

#include <fmt/format.h>

#include <string>

#include "support/error.h"

namespace wb::pulp {

namespace {

std::string tile_choice_name(bool measured) { return measured ? "measured" : "predicted"; }

}  // namespace

const char* fusion_name(Fusion fusion) {
  switch (fusion) {
    case Fusion::Off: return "off";
    case Fusion::On: return "on";
    case Fusion::All: return "all";
  }
  return "off";
}

const OptionTable& compile_option_table() {
  static const OptionTable table(
      "pulp", {{"tiler", OptionKind::Choice, objective_name(CompileOptions{}.tiler),
                {objective_name(TilerObjective::Dory), objective_name(TilerObjective::Cost),
                 objective_name(TilerObjective::Energy)},
                "DORY as its 2021 code ran (its tiler's objective, PULP-NN's kernels, depthwise tiles transposed by the "
                "DMA with blocking copies, its layer loop on the cores, a layer's prefetched weights waited for whole; "
                "docs/pulp.md); cost: "
                "the fewest cycles the predictor gives (also choosing the plane depthwise kernel, streaming "
                "prefetched weights tile by tile and, where a layer's weights come from L3 in chunks, the chunk "
                "size); energy: as cost, but the least energy the energy model predicts "
                "(docs/energy.md). Both let the cluster model measure DORY's tiling and the best predicted "
                "others (measure, measured_tilings) and keep the best measured"},
               {"weight_prefetch", OptionKind::Switch, CompileOptions{}.weight_prefetch ? "on" : "off", {},
                "load the next layer's weights from L3 during this layer"},
               {"tile_choice", OptionKind::Choice, tile_choice_name(CompileOptions{}.measure_tilings),
                {tile_choice_name(true), tile_choice_name(false)},
                "tiler=cost/energy: measured: the cluster model measures each layer's DORY tiling and the "
                "measured_tilings the predictor ranks best, and the best measured wins; predicted: the predictor's "
                "best"},
               {"measured_tilings", OptionKind::Count, std::to_string(CompileOptions{}.measured_tilings), {},
                "with tile_choice=measured, how many of the predictor's best tilings of a layer are measured besides "
                "DORY's (of a fused pair, which has no DORY tiling: its best predicted and this many more)"},
               {"fusion", OptionKind::Choice, fusion_name(CompileOptions{}.fusion),
                {fusion_name(Fusion::Off), fusion_name(Fusion::On), fusion_name(Fusion::All)},
                "tiler=cost/energy: on: a depthwise layer and the pointwise layer reading its output run as one, tile "
                "by tile, the depthwise output kept in L1 (never in L2), for each pair whose fused layer runs faster "
                "than the two apart and only when the network does (measured with tile_choice=measured); and the "
                "network's first layers whose maps go through L3 run as a patch stage, band by band, their "
                "intermediates in L2 rings, when the network runs faster so; all: every pair and the stage the plan "
                "allows, paying or not (docs/pulp.md, \"Fused depthwise + pointwise\", \"The patch stage\")"}});
  return table;
}

CompileOptions to_compile_options(const OptionValues& values) {
  CompileOptions options;
  options.tiler = TilerObjective::Dory;
  for (const TilerObjective objective : {TilerObjective::Cost, TilerObjective::Energy}) {
    if (values.choice("tiler") == objective_name(objective)) options.tiler = objective;
  }
  options.weight_prefetch = values.on("weight_prefetch");
  options.measure_tilings = values.choice("tile_choice") == tile_choice_name(true);
  options.measured_tilings = static_cast<std::uint32_t>(values.count("measured_tilings"));
  for (const Fusion fusion : {Fusion::On, Fusion::All}) {
    if (values.choice("fusion") == fusion_name(fusion)) options.fusion = fusion;
  }
  if (options.fusion != Fusion::Off && options.tiler == TilerObjective::Dory) {
    throw UserError(fmt::format("--compile-opt fusion={} needs tiler=cost or tiler=energy (DORY runs every layer on "
                                "its own)",
                                fusion_name(options.fusion)));
  }
  return options;
}

CompileOptions parse_compile_options(const std::vector<std::string>& items) {
  return to_compile_options(compile_option_table().parse(items));
}

std::string describe(const CompileOptions& options) {
  OptionValues values = compile_option_table().defaults();
  values.set("tiler", objective_name(options.tiler));
  values.set("weight_prefetch", options.weight_prefetch ? "on" : "off");
  values.set("tile_choice", tile_choice_name(options.measure_tilings));
  values.set("measured_tilings", std::to_string(options.measured_tilings));
  values.set("fusion", fusion_name(options.fusion));
  return compile_option_table().describe(values);
}

std::string compile_options_help() { return compile_option_table().help(); }

}  // namespace wb::pulp
