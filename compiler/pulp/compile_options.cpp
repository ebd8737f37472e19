#include "compiler/pulp/compile_options.h"

namespace wb::pulp {

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
                "(docs/energy.md). Both leave DORY's tiling only for a predicted gain above the kernel's "
                "tiling_margin.* key"},
               {"weight_prefetch", OptionKind::Switch, CompileOptions{}.weight_prefetch ? "on" : "off", {},
                "load the next layer's weights from L3 during this layer"}});
  return table;
}

CompileOptions to_compile_options(const OptionValues& values) {
  CompileOptions options;
  options.tiler = TilerObjective::Dory;
  for (const TilerObjective objective : {TilerObjective::Cost, TilerObjective::Energy}) {
    if (values.choice("tiler") == objective_name(objective)) options.tiler = objective;
  }
  options.weight_prefetch = values.on("weight_prefetch");
  return options;
}

CompileOptions parse_compile_options(const std::vector<std::string>& items) {
  return to_compile_options(compile_option_table().parse(items));
}

std::string describe(const CompileOptions& options) {
  OptionValues values = compile_option_table().defaults();
  values.set("tiler", objective_name(options.tiler));
  values.set("weight_prefetch", options.weight_prefetch ? "on" : "off");
  return compile_option_table().describe(values);
}

std::string compile_options_help() { return compile_option_table().help(); }

}  // namespace wb::pulp
