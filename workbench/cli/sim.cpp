// `workbench sim PROGRAM --hw HW`: simulate a compiled program, no golden check (workbench/run.h).

#include <cstdint>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "workbench/cli/commands.h"
#include "workbench/cli/shared_options.h"
#include "workbench/run.h"

namespace wb::cli {

namespace {

struct SimArgs {
  std::string program, hw;
  std::vector<std::string> inputs;
  std::vector<std::string> overrides;
  std::uint64_t seed = 1;
  bool no_data = false;
  std::size_t images = 0;
  ReportArgs report;
};

int sim(const SimArgs& args) {
  SimCommand command;
  command.program = args.program;
  command.hw = args.hw;
  command.overrides = args.overrides;
  command.inputs = to_input_files(args.inputs);
  command.seed = args.seed;
  command.no_data = args.no_data;
  command.images = args.images;
  command.outputs = to_sim_outputs(args.report);
  run_reporting(args.report, command.outputs, [&](std::ostream& log) { return sim_program(command, log); });
  return kExitOk;
}

}  // namespace

void add_sim(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("sim", "Simulate a compiled program (workbench compile -o DIR: DIR/program.xdnn, "
                                        "or DIR/program.pulp for a pulp config) and report cycles per layer (no "
                                        "golden check: see verify)");
  cmd->add_option("PROGRAM", args->program, "Program file (program.xdnn or program.pulp)")->required();
  cmd->add_option("--hw", args->hw, "Hardware config YAML the program was compiled for")->required();
  cmd->add_option("--set", args->overrides, "The --set overrides it was compiled with")->allow_extra_args(false);
  add_input_option(cmd, args->inputs);
  cmd->add_option("--seed", args->seed, "Seed of the synthetic input")->check(seed_validator())->capture_default_str();
  cmd->add_flag("--no-data", args->no_data, "Timing only: skip the arithmetic (same cycles)");
  add_images_option(cmd, args->images);
  add_report_options(cmd, args->report);
  cmd->callback([&chosen, args] { chosen = {[args] { return sim(*args); }, !args->report.quiet}; });
}

}  // namespace wb::cli
