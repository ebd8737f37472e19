#include "workbench/cli/shared_options.h"

#include <fmt/format.h>

#include <iostream>

#include "compiler/golden/reference_executor.h"
#include "workbench/cli/commands.h"
#include "workbench/sweep_report/roofline.h"
#include "workbench/backends/target.h"

namespace wb::cli {

CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.find('-') != std::string::npos ? "a seed is a non-negative integer, not " + value : "";
      },
      "UINT");
}

std::string compile_options_help() {
  std::string text;
  for (const TargetBackend* backend : all_backends()) {
    text += fmt::format(" {}: {}.", backend->name(), backend->compile_options().help());
  }
  return text;
}

void add_target_options(CLI::App* cmd, TargetArgs& args) {
  CompileRequest& request = args.request;
  cmd->add_option("MODEL", request.model, "ONNX model file (float, or QDQ/QLinearConv)")->required();
  cmd->add_option("--hw", request.hw, "Hardware config YAML (configs/v3_96.yaml, ...)")->required();
  cmd->add_option("--set", request.overrides, "Override a hardware key by its dotted path: --set am_bytes=3MiB "
                                              "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--compile-opt", request.compile_opts,
                  "Compiler switch name=value (repeatable); switches are on or off." + compile_options_help())
      ->allow_extra_args(false);
  add_shape_option(cmd, request.shapes);
  cmd->add_option("--scheme", request.scheme, "Quantization scheme: xdnn, pow2 or pulp (default: the target's own: "
                                              "xdnn for xdnn configs, pulp for pulp configs)")
      ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}));
  cmd->add_option("--calib", request.calib_dir, "Folder of calibration inputs (.npy/.pb). Default: seeded synthetic "
                                                "inputs, with a warning");
  cmd->add_option("--calib-count", request.calib_count, "Number of synthetic calibration inputs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--calib-method", request.calib_method, "Threshold method: max, percentile or entropy")
      ->capture_default_str();
  cmd->add_option("--seed", request.seed, "Seed of the synthetic inputs")->check(seed_validator())->capture_default_str();
  cmd->add_option("--threads", args.threads, "Worker threads of the float/golden executors (default: the cores other processes leave idle, fitted at each phase)")
      ->check(CLI::Range(1, 1024));
}

void add_shape_option(CLI::App* cmd, std::vector<std::string>& shapes) {
  cmd->add_option("--shape", shapes,
                  "The shape of a graph input whose dimensions the model leaves symbolic (exported as dynamic): "
                  "--shape input=1x3x224x224 (repeatable). An --input file's shape gives it too; without either "
                  "a symbolic batch dimension is 1 (with a note) and any other is an error")
      ->allow_extra_args(false);
}

void add_input_option(CLI::App* cmd, std::vector<std::string>& inputs) {
  cmd->add_option("--input,-i", inputs,
                  "Input tensor file (.npy/.pb): float32 for an image or embeddings, int32/int64 for token ids. "
                  "NAME=PATH for a graph input by name, or PATH for the graph's inputs in order (repeatable; a "
                  "model of several inputs takes one for each). Default: seeded N(0,1)")
      ->allow_extra_args(false);
}

InputFiles to_input_files(const std::vector<std::string>& inputs) {
  InputFiles files;
  for (const std::string& text : inputs) files.push_back(parse_input_option(text));
  return files;
}

CompileCommand to_compile_command(const TargetArgs& args) {
  if (args.threads > 0) set_reference_threads(args.threads);
  return wb::to_compile_command(args.request);
}

void add_report_options(CLI::App* cmd, ReportArgs& args) {
  cmd->add_option("--json", args.json, "Write the run report as JSON (DESIGN.md 4.5)");
  cmd->add_option("--csv", args.csv, "Write the per-layer report as CSV (SCALE-Sim COMPUTE_REPORT columns first)");
  cmd->add_option("--trace", args.trace,
                  "Write Chrome/Perfetto trace events (a track per unit, transfers with bytes, counters; "
                  "docs/report.md)");
  cmd->add_option("--vcd", args.vcd, "Write a SystemC VCD of the units' busy signals (GTKWave)");
  cmd->add_option("--plot", args.plot,
                  "Write the run's roofline into this folder: roofline_<level>.svg per memory level, every layer "
                  "against the peak and the level's bandwidth (docs/report.md, \"Bounds\"), and energy.svg, every "
                  "layer's pJ/MAC against its MAC/cycle (docs/energy.md)");
  cmd->add_flag("--quiet", args.quiet,
                "No per-layer table, no step summaries, no progress display and no timings (the totals and the verdict stay)");
}

SimOutputs to_sim_outputs(const ReportArgs& args) {
  SimOutputs outputs;
  outputs.json = args.json;
  outputs.csv = args.csv;
  outputs.trace = args.trace;
  outputs.vcd = args.vcd;
  outputs.plot_dir = args.plot;
  outputs.table = !args.quiet;
  outputs.console = &std::cout;
  return outputs;
}

report::RunReport run_reporting(const ReportArgs& args, const SimOutputs& outputs,
                                const std::function<report::RunReport(std::ostream& log)>& step) {
  std::ostream quiet_log(nullptr);
  const report::RunReport report = step(args.quiet ? quiet_log : std::cout);
  sweep::plot_run_roofline(report, outputs.plot_dir, std::cout, std::cerr);
  return report;
}

int exit_code_of_verdict(const report::RunReport& report) {
  if (report.verdict == "mismatch") {
    std::cerr << fmt::format("error: not bit-exact: layer '{}', element {}: expected {}, got {}\n", report.mismatch->layer,
                             report.mismatch->index, report.mismatch->expected, report.mismatch->actual);
    return kExitFailure;
  }
  return kExitOk;
}

void add_images_option(CLI::App* cmd, std::size_t& images) {
  cmd->add_option("--images", images,
                  "Images streamed through the target one after another, each with the same input; the report is "
                  "per image in the steady state (xDNN: default 1, 3 in throughput mode, 3 per PE on a card of "
                  "several (--set pes=N, images dealt to the PEs in turn); docs/xdnn.md, \"Throughput mode\", "
                  "\"Cards of several PEs\"). PULP runs one image")
      ->check(CLI::Range(1, 1000));
}

}  // namespace wb::cli
