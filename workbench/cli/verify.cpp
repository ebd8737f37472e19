// `workbench verify DIR --hw HW`: simulate a compiled folder and check it bit-exactly (workbench/run.h).

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

struct VerifyArgs {
  std::string dir, hw;
  std::vector<std::string> inputs;
  std::vector<std::string> overrides;
  std::uint64_t seed = 1;
  ReportArgs report;
};

int verify(const VerifyArgs& args) {
  VerifyCommand command;
  command.dir = args.dir;
  command.hw = args.hw;
  command.overrides = args.overrides;
  command.inputs = to_input_files(args.inputs);
  command.seed = args.seed;
  command.outputs = to_sim_outputs(args.report);
  return exit_code_of_verdict(run_reporting(
      args.report, command.outputs, [&](std::ostream& log) { return verify_program(command, log); }));
}

}  // namespace

void add_verify(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand(
      "verify", "Simulate a compiled folder (program.xdnn or program.pulp + model.qdq.onnx from workbench compile) and "
                "check it "
                "bit-exactly against the integer golden model. Exit 1 if not bit-exact");
  cmd->add_option("DIR", args->dir, "Folder written by workbench compile (or the program file in it)")->required();
  cmd->add_option("--hw", args->hw, "Hardware config YAML the program was compiled for")->required();
  cmd->add_option("--set", args->overrides, "The --set overrides it was compiled with")->allow_extra_args(false);
  add_input_option(cmd, args->inputs);
  cmd->add_option("--seed", args->seed, "Seed of the synthetic input")->check(seed_validator())->capture_default_str();
  add_report_options(cmd, args->report);
  cmd->callback([&chosen, args] { chosen = {[args] { return verify(*args); }, !args->report.quiet}; });
}

}  // namespace wb::cli
