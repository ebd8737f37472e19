// `workbench report DB -o DIR`: a sweep's results as an HTML page (workbench/sweep_report/sweep_report.h).

#include <iostream>
#include <memory>
#include <string>

#include "workbench/cli/commands.h"
#include "workbench/sweep_report/sweep_report.h"

namespace wb::cli {

namespace {

struct SweepReportArgs {
  sweep::ReportOptions options;
  std::string db, out_dir;
};

int write_sweep_report(SweepReportArgs args) {
  args.options.db = args.db;
  args.options.out_dir = args.out_dir;
  return sweep::run_report(args.options, std::cout);
}

}  // namespace

void add_report(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<SweepReportArgs>();
  auto* cmd = app.add_subcommand(
      "report", "Write a sweep's results as a self-contained HTML page (DIR/index.html, plots also as DIR/*.svg): the "
                "points, Pareto frontiers, both targets side by side, the ablation of compile options, per-layer "
                "breakdowns, failures");
  cmd->add_option("DB", args->db, "Results database of a sweep (or its spec)")->required();
  cmd->add_option("-o,--output", args->out_dir, "Output folder")->required();
  cmd->add_option("--point", args->options.points, "Draw this point's per-layer breakdown (its # or a key "
                                                   "prefix; repeatable). Default: the fastest point of each "
                                                   "model on each config")
      ->allow_extra_args(false);
  cmd->callback([&chosen, args] { chosen.run = [args] { return write_sweep_report(*args); }; });
}

}  // namespace wb::cli
