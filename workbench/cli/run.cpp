// `workbench run MODEL --hw HW`: quantize, compile, simulate and check bit-exactly (workbench/run.h).

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <ostream>
#include <string>

#include "support/error.h"
#include "workbench/cli/commands.h"
#include "workbench/cli/shared_options.h"
#include "workbench/model_cache.h"
#include "workbench/run.h"

namespace wb::cli {

namespace {

struct RunArgs {
  TargetArgs target;
  ReportArgs report;
  std::vector<std::string> inputs;
  bool no_data = false;
  bool no_cache = false;
  std::size_t images = 0;
};

int run(const RunArgs& args) {
  RunCommand command;
  command.compile = to_compile_command(args.target);
  command.inputs = to_input_files(args.inputs);
  command.no_data = args.no_data;
  command.images = args.images;
  if (args.no_data && !command.inputs.empty()) {
    throw UserError(fmt::format("--input {}: --no-data runs no arithmetic, so no input is read; drop one of them "
                                "(--shape gives a symbolic input's shape without data)",
                                args.inputs.front()));
  }
  if (!args.no_cache) command.compile.model_cache = default_cache_dir() / "models";
  command.outputs = to_sim_outputs(args.report);
  return exit_code_of_verdict(
      run_reporting(args.report, command.outputs, [&](std::ostream& log) { return run_model(command, log); }));
}

}  // namespace

void add_run(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run", "Quantize, compile and simulate a model on a hardware config, check it bit-exactly against the integer "
             "golden model, and report cycles, MAC/cycle, DDR (xDNN) or L3 (PULP) traffic and energy (docs/energy.md) per "
             "layer. Exit 1 if not bit-exact");
  add_target_options(cmd, args->target);
  add_input_option(cmd, args->inputs);
  cmd->add_flag("--no-data", args->no_data, "Timing only: skip the arithmetic and the golden check (same cycles)");
  add_images_option(cmd, args->images);
  cmd->add_flag("--no-cache", args->no_cache,
                "Quantize again instead of taking the quantized model from the cache ($WB_CACHE_DIR/models or "
                "~/.cache/workbench/models, keyed by the model file's digest, scheme, calibration and build; at "
                "most $WB_MODEL_CACHE_LIMIT bytes, default 4GiB)");
  add_report_options(cmd, args->report);
  cmd->callback([&chosen, args] { chosen = {[args] { return run(*args); }, !args->report.quiet}; });
}

}  // namespace wb::cli
