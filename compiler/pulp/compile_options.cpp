#include "compiler/pulp/compile_options.h"

#include <string>

namespace wb::pulp {

namespace {

std::string tile_choice_name(bool measured) { return measured ? "measured" : "predicted"; }

}  // namespace

const OptionTable& compile_option_table() {
  static const OptionTable table(
      "pulp", {{"tiler", OptionKind::Choice, objective_name(CompileOptions{}.tiler),
                {objective_name(TilerObjective::Dory), objective_name(TilerObjective::Cost),
                 objective_name(TilerObjective::Energy)},
                "DORY as its 2021 code ran (its tiler's objective, PULP-NN's kernels, depthwise tiles transposed by the "
                "DMA with blocking copies, its layer loop on the cores, a layer's prefetched weights waited for whole; "
                "docs/pulp.md); cost: "
                "the fewest cycles the predictor gives (also choosing the plane depthwise kernel and streaming "
                "prefetched weights tile by tile); energy: as cost, but the least energy the energy model predicts "
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
                "DORY's"}});
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
  return compile_option_table().describe(values);
}

std::string compile_options_help() { return compile_option_table().help(); }

}  // namespace wb::pulp
