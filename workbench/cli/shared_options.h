#pragma once
// What several commands share: the check of a seed, the target options of compile, run and
// inspect, and the report outputs of run, sim and verify with the exit code of their verdict.

#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <string>

#include "workbench/compile.h"
#include "workbench/report/report.h"
#include "workbench/run_common.h"

namespace wb::cli {

// A seed is an unsigned 64-bit integer; CLI11 would wrap "-1" to 2^64 - 1.
CLI::Validator seed_validator();

// "xdnn: a=on|off (...); ... pulp: ..." from every back end's option table.
std::string compile_options_help();

// The hardware, quantization and compiler switches of `compile` and `run`.
struct TargetArgs {
  CompileRequest request;
  int threads = 0;  // of the float/golden executors; 0: all cores
};
void add_target_options(CLI::App* cmd, TargetArgs& args);
// --images N into `images` (0: the simulator's default), for `run` and `sim`.
void add_images_option(CLI::App* cmd, std::size_t& images);
// --shape NAME=1x3x224x224 (repeatable) into `shapes`.
void add_shape_option(CLI::App* cmd, std::vector<std::string>& shapes);
// --input NAME=PATH or PATH (repeatable) into `inputs`.
void add_input_option(CLI::App* cmd, std::vector<std::string>& inputs);
// The --input texts as files (workbench/run_inputs.h).
InputFiles to_input_files(const std::vector<std::string>& inputs);
// Sets the executors' threads, then resolves the request.
CompileCommand to_compile_command(const TargetArgs& args);

// The report outputs of `run`, `sim` and `verify`.
struct ReportArgs {
  std::string json, csv, trace, vcd, plot;
  bool quiet = false;
};
void add_report_options(CLI::App* cmd, ReportArgs& args);
// The outputs asked for; the table and the totals go to stdout.
SimOutputs to_sim_outputs(const ReportArgs& args);

// Runs the step of `run`, `sim` or `verify` with its log (the steps' summaries) on stdout, or
// nowhere under --quiet (the totals and the verdict still reach stdout through
// SimOutputs::console), then draws the run's roofline if --plot asked for it.
report::RunReport run_reporting(const ReportArgs& args, const SimOutputs& outputs,
                                const std::function<report::RunReport(std::ostream& log)>& step);

// kExitFailure, with the first mismatch on stderr, for a run that is not bit-exact.
int exit_code_of_verdict(const report::RunReport& report);

}  // namespace wb::cli
