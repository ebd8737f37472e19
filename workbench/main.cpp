// The `workbench` command line: parses arguments and calls the library (workbench/*.h).
// Exit codes: 0 ok, 2 bad input or usage, 1 anything else (DESIGN.md §4.5).

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <google/protobuf/stubs/logging.h>
#include <malloc.h>

#include <iostream>
#include <new>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/ir/printer.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/passes/pass_registry.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/file_io.h"
#include "workbench/console_progress.h"
#include "workbench/compile.h"
#include "workbench/hw_show.h"
#include "workbench/infer.h"
#include "workbench/inspect.h"
#include "workbench/model_cache.h"
#include "workbench/partition_report.h"
#include "workbench/compare/compare_reports.h"
#include "workbench/quantize.h"
#include "workbench/regress/check.h"
#include "workbench/regress/commands.h"
#include "workbench/regress/history.h"
#include "workbench/regress/history_db.h"
#include "workbench/run.h"
#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/progress.h"
#include "workbench/sweep/sweep.h"
#include "workbench/sweep/tables.h"
#include "workbench/sweep_report/roofline.h"
#include "workbench/sweep_report/sweep_report.h"
#include "workbench/target.h"
#include "workbench/version.h"
#include "workbench/warnings.h"

namespace {

// A seed is an unsigned 64-bit integer; CLI11 would wrap "-1" to 2^64 - 1.
const CLI::Validator kSeedValidator(
    [](std::string& value) -> std::string {
      return value.find('-') != std::string::npos ? "a seed is a non-negative integer, not " + value : "";
    },
    "UINT");

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// Options shared by `compile` and `run`: the hardware, quantization and compiler switches.
struct TargetArgs {
  std::string model;
  std::string hw;
  std::vector<std::string> overrides;
  std::vector<std::string> compile_opts;
  std::string scheme;  // empty: the target's own (xdnn for xdnn configs, pulp for pulp ones)
  std::string calib_dir;
  std::string method = "max";
  int calib_count = 16;
  std::uint64_t seed = 1;
  int threads = 0;
};

wb::CompileCommand to_compile_command(const TargetArgs& args) {
  if (args.threads > 0) wb::set_reference_threads(args.threads);
  wb::CompileCommand command;
  command.model = args.model;
  command.hw = args.hw;
  command.overrides = args.overrides;
  command.compile_opts = args.compile_opts;
  command.quantize.model = args.model;
  command.quantize.scheme_explicit = !args.scheme.empty();
  command.quantize.quant.scheme =
      !args.scheme.empty() ? wb::quant::parse_scheme(args.scheme)
                           : wb::backend_for(wb::load_hw_config(args.hw, args.overrides)).default_scheme();
  command.quantize.calibration.method = wb::quant::parse_calibration_method(args.method);
  if (!args.calib_dir.empty()) command.quantize.calib_dir = args.calib_dir;
  command.quantize.calib_count = args.calib_count;
  command.quantize.seed = args.seed;
  return command;
}

struct InspectArgs {
  std::string model;
  std::string json;
  bool print_ir = false;
  std::string passes;
  bool print_after_all = false;
  std::vector<std::string> print_after;
  std::string dump_ir;
  // --hw, --set, --compile-opt, --scheme: the partition on that target (target.model is MODEL).
  TargetArgs target;
};

int run_inspect(const InspectArgs& args) {
  wb::ImportOptions options;
  options.allow_unsupported = true;
  if (args.passes.empty() && (args.print_after_all || !args.print_after.empty() || !args.dump_ir.empty())) {
    throw wb::UserError("--print-after, --print-after-all and --dump-ir print the IR between the passes of "
                        "--passes PIPELINE; add --passes");
  }
  wb::ImportedModel model = wb::import_onnx_file(args.model, options);
  if (!args.passes.empty()) {
    if (!model.unsupported.empty()) {
      throw wb::UserError(fmt::format("{}: {}", args.model, wb::format_unsupported(model.unsupported)));
    }
    if (!args.dump_ir.empty() && !args.print_after_all && args.print_after.empty()) {
      throw wb::UserError(fmt::format("--dump-ir {}: writes the IR that --print-after PASS or --print-after-all "
                                      "prints; add one of them",
                                      args.dump_ir));
    }
    if (!args.dump_ir.empty()) wb::create_output_folder(args.dump_ir, "--dump-ir");
    wb::PassManagerOptions pass_options;
    pass_options.print_after_all = args.print_after_all;
    pass_options.print_after = {args.print_after.begin(), args.print_after.end()};
    pass_options.print_stream = &std::cout;
    if (!args.dump_ir.empty()) pass_options.dump_dir = args.dump_ir;
    wb::PassManager manager = wb::PassManager::from_pipeline(args.passes, pass_options);
    const std::string pipeline = manager.pipeline();
    for (const std::string& pass : args.print_after) {
      if (("," + pipeline + ",").find("," + pass + ",") == std::string::npos) {
        throw wb::UserError(
            fmt::format("--print-after {}: not a pass of the pipeline ({}); name one of them", pass, pipeline));
      }
    }
    const auto records = manager.run(model.graph);
    std::cout << wb::format_pass_statistics(records) << '\n';
  }
  const wb::InspectReport report = wb::build_inspect_report(model, args.model);
  if (args.print_ir) {
    wb::print_graph(std::cout, model.graph);
    std::cout << '\n';
  }
  wb::print_inspect_report(std::cout, report);
  nlohmann::json json = wb::inspect_report_json(report);
  if (!report.unsupported.empty()) {
    if (!args.json.empty()) wb::write_file_atomically(args.json, json.dump(2) + "\n");
    throw wb::UserError(fmt::format("{}: {}", args.model, wb::format_unsupported(report.unsupported)));
  }
  if (!args.target.hw.empty()) {
    TargetArgs target = args.target;
    target.model = args.model;
    const wb::CompileCommand command = to_compile_command(target);
    std::ostringstream quantize_log;  // the partition is the output; quantizing is a means
    const wb::PartitionReport partition = wb::build_partition_report(command, quantize_log);
    std::cout << '\n';
    wb::print_partition_report(std::cout, partition);
    json["partition"] = wb::partition_report_json(partition);
    if (!partition.partition.unsupported.empty()) {
      if (!args.json.empty()) wb::write_file_atomically(args.json, json.dump(2) + "\n");
      throw wb::UserError(fmt::format("{}: {} node(s) run nowhere on {} (listed above)", args.model,
                                      partition.partition.unsupported.size(), partition.config_name));
    }
  }
  if (!args.json.empty()) wb::write_file_atomically(args.json, json.dump(2) + "\n");
  return kExitOk;
}


// "xdnn: a=on|off (...); ... pulp: ..." from every back end's option table.
std::string compile_options_help() {
  std::string text;
  for (const wb::TargetBackend* backend : wb::all_backends()) {
    text += fmt::format(" {}: {}.", backend->name(), backend->compile_options().help());
  }
  return text;
}

void add_target_options(CLI::App* cmd, TargetArgs& args) {
  cmd->add_option("MODEL", args.model, "ONNX model file (float, or QDQ/QLinearConv)")->required();
  cmd->add_option("--hw", args.hw, "Hardware config YAML (configs/v3_96.yaml, ...)")->required();
  cmd->add_option("--set", args.overrides, "Override a hardware key by its dotted path: --set am_bytes=3MiB "
                                           "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--compile-opt", args.compile_opts,
                  "Compiler switch name=value (repeatable); switches are on or off." + compile_options_help())
      ->allow_extra_args(false);
  cmd->add_option("--scheme", args.scheme, "Quantization scheme: xdnn, pow2 or pulp (default: the target's own: "
                                           "xdnn for xdnn configs, pulp for pulp configs)")
      ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}));
  cmd->add_option("--calib", args.calib_dir, "Folder of calibration inputs (.npy/.pb). Default: seeded synthetic "
                                             "inputs, with a warning");
  cmd->add_option("--calib-count", args.calib_count, "Number of synthetic calibration inputs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--calib-method", args.method, "Threshold method: max, percentile or entropy")->capture_default_str();
  cmd->add_option("--seed", args.seed, "Seed of the synthetic inputs")
      ->check(kSeedValidator)
      ->capture_default_str();
  cmd->add_option("--threads", args.threads, "Worker threads of the float/golden executors (default: all cores)")
      ->check(CLI::Range(1, 1024));
}


std::vector<std::filesystem::path> to_paths(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

}  // namespace

// A run allocates and frees tensors of tens of MB again and again (the model's initializers,
// activations, patch rows). glibc serves each from a fresh mmap and unmaps it on free, so
// every one is page-faulted in anew: a third of a timing-only ResNet-50 run. Served from
// the heap and kept there, freed pages are reused instead (peak memory grows by ~50 MB).
namespace {
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}
}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  wb::remove_partial_files_on_signal();
  // Damaged inputs are reported once, as our own error; protobuf's parser would also print
  // "[libprotobuf ERROR ...]" lines of its own.
  google::protobuf::SetLogHandler(nullptr);
  CLI::App app{"workbench: compile ONNX networks for DNN accelerators (xDNN, PULP), simulate them, verify "
               "bit-exactly.\nExit codes: 0 ok, 1 not bit-exact (or an internal error), 2 bad input or usage."};
  app.set_version_flag("--version", wb::build_id());
  app.require_subcommand(1);
  app.fallthrough();

  InspectArgs inspect;
  auto* inspect_cmd = app.add_subcommand("inspect", "Per-layer table of an ONNX model: name, op, shapes, params, "
                                                    "MACs; totals; unsupported ops (exit 2 if any); with --hw, where each layer runs on that target");
  inspect_cmd->add_option("MODEL", inspect.model, "ONNX model file")->required();
  inspect_cmd->add_option("--json", inspect.json, "Also write the table as JSON to this file");
  inspect_cmd->add_flag("--ir", inspect.print_ir, "Also print the graph in the IR's text form");
  inspect_cmd->add_option("--passes", inspect.passes,
                          "Run a pipeline of graph passes first: 'default' or comma-separated names "
                          "(see `workbench passes`); prints what each pass did");
  inspect_cmd->add_flag("--print-after-all", inspect.print_after_all, "Print the IR after every pass that changed it");
  inspect_cmd->add_option("--print-after", inspect.print_after, "Print the IR after this pass (repeatable)");
  inspect_cmd->add_option("--dump-ir", inspect.dump_ir, "Write the printed IR into this folder, one file per pass");
  auto* inspect_hw = inspect_cmd->add_option("--hw", inspect.target.hw,
                          "Also print where each layer runs on this hardware config (array, pool, eltwise, ddr, host "
                          "on xDNN; cores on PULP) and why a layer runs on the host; nothing is simulated");
  inspect_cmd->add_option("--set", inspect.target.overrides, "With --hw: override a hardware key (repeatable)")
      ->allow_extra_args(false)
      ->needs(inspect_hw);
  inspect_cmd->add_option("--compile-opt", inspect.target.compile_opts, "With --hw: a compiler switch name=value (repeatable)")
      ->allow_extra_args(false)
      ->needs(inspect_hw);
  inspect_cmd->add_option("--scheme", inspect.target.scheme, "With --hw: quantization scheme (default: the target's own)")
      ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}))
      ->needs(inspect_hw);

  auto* passes_cmd = app.add_subcommand("passes", "List the graph passes and the default pipeline");

  wb::InferOptions infer;
  std::vector<std::string> infer_inputs;
  std::vector<std::string> infer_outputs;
  std::string infer_model;
  int threads = 0;
  auto* infer_cmd = app.add_subcommand("infer", "Float reference inference: runs the model on tensors from files "
                                                "(.npy or ONNX TensorProto .pb) or on seeded random inputs");
  infer_cmd->add_option("MODEL", infer_model, "ONNX model file")->required();
  infer_cmd->add_option("--input,-i", infer_inputs,
                        "Input tensor file (.npy/.pb); repeat once per graph input, in order. Default: random");
  infer_cmd->add_option("--output,-o", infer_outputs,
                        "Write the i-th graph output to the i-th file given (.npy/.pb by extension)");
  infer_cmd->add_option("--seed", infer.seed, "Seed of the random inputs")
      ->check(kSeedValidator)
      ->capture_default_str();
  infer_cmd->add_option("--top", infer.top_k, "How many top classes to print per output (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  infer_cmd->add_option("--threads", threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));

  wb::QuantizeCommand quantize;
  std::string quantize_model;
  std::string scheme = "xdnn";
  std::string method = "max";
  std::string calib_dir;
  std::string eval_dir;
  std::string out_dir;
  std::string dump_dir;
  std::string save_inputs_dir;
  auto* quantize_cmd = app.add_subcommand(
      "quantize", "Quantize a float ONNX model (calibration + scheme) into the integer QGraph; write quant.json and "
                  "model.qdq.onnx; --report compares the integer golden model with the float one. Also reads an "
                  "already-quantized QDQ or QLinearConv model. See docs/quant.md");
  quantize_cmd->add_option("MODEL", quantize_model, "ONNX model file (float, or QDQ/QLinearConv)")->required();
  auto* scheme_opt = quantize_cmd->add_option("--scheme", scheme, "Quantization scheme: pow2 (Graffitist static), xdnn (xfDNN v3), "
                                               "pulp (NEMO/DORY/PULP-NN)")
      ->capture_default_str()
      ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}));
  quantize_cmd->add_option("--bits", quantize.quant.bits, "Bits of weights and activations (8 or 16)")
      ->capture_default_str()
      ->check(CLI::IsMember({8, 16}));
  quantize_cmd->add_option("--first-layer-bits", quantize.quant.first_layer_bits,
                           "Bits of the first conv's weights and output (default: --bits)")
      ->check(CLI::IsMember({8, 16}));
  quantize_cmd->add_option("--last-layer-bits", quantize.quant.last_layer_bits,
                           "Bits of the last conv's weights and output (default: --bits)")
      ->check(CLI::IsMember({8, 16}));
  quantize_cmd->add_option("--calib", calib_dir, "Folder of calibration inputs (.npy/.pb, one file per input). "
                                                 "Default: --calib-count seeded synthetic inputs");
  quantize_cmd->add_option("--calib-count", quantize.calib_count, "Number of synthetic calibration inputs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  quantize_cmd->add_option("--seed", quantize.seed, "Seed of the synthetic inputs")
      ->check(kSeedValidator)
      ->capture_default_str();
  quantize_cmd->add_option("--calib-method", method, "Threshold method: max, percentile or entropy (KL, as "
                                                     "TensorRT)")
      ->capture_default_str()
      ->check(CLI::IsMember({"max", "percentile", "entropy"}));
  auto* percentile_opt = quantize_cmd->add_option("--percentile", quantize.calibration.percentile, "Percentile of |x| for --calib-method "
                                                                             "percentile")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  quantize_cmd->add_option("--eval", eval_dir, "Folder of evaluation inputs for --report (default: the "
                                               "calibration inputs)");
  quantize_cmd->add_option("-o,--output", out_dir, "Folder for quant.json, model.qdq.onnx and report.json");
  quantize_cmd->add_flag("--report", quantize.report, "Fidelity report: per-layer SQNR of the integer golden model "
                                                      "against the float model, output SQNR, top-1/top-5 agreement");
  quantize_cmd->add_option("--dump", dump_dir, "Write every integer tensor of the first evaluation input to this "
                                               "folder (.npy), to locate a mismatch layer by layer");
  quantize_cmd->add_option("--save-inputs", save_inputs_dir, "Write the evaluation inputs to this folder (.npy)");
  quantize_cmd->add_flag("--print", quantize.print_qgraph, "Print the QGraph");
  quantize_cmd->add_option("--threads", threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 1024));

  TargetArgs compile_args;
  std::string compile_out;
  auto* compile_cmd = app.add_subcommand(
      "compile", "Quantize and compile a model for a hardware config. xDNN: program.xdnn, program.cmd (one "
                 "instruction a line), compile.json (ops, moveops, per-layer rows). PULP: program.pulp, tiling.txt "
                 "(DORY-style tiling log), compile.json. Both: quant.json and model.qdq.onnx. See docs/xdnn.md, "
                 "docs/pulp.md");
  add_target_options(compile_cmd, compile_args);
  compile_cmd->add_option("-o,--output", compile_out, "Output folder")->required();

  // Report outputs shared by run, sim and verify.
  struct ReportArgs {
    std::string json, csv, trace, vcd, plot;
    bool quiet = false;
  };
  const auto add_report_options = [](CLI::App* cmd, ReportArgs& args) {
    cmd->add_option("--json", args.json, "Write the run report as JSON (DESIGN.md 4.5)");
    cmd->add_option("--csv", args.csv, "Write the per-layer report as CSV (SCALE-Sim COMPUTE_REPORT columns first)");
    cmd->add_option("--trace", args.trace,
                    "Write Chrome/Perfetto trace events (a track per unit, transfers with bytes, counters; "
                    "docs/report.md)");
    cmd->add_option("--vcd", args.vcd, "Write a SystemC VCD of the units' busy signals (GTKWave)");
    cmd->add_option("--plot", args.plot,
                    "Write the run's roofline into this folder: roofline_<level>.svg per memory level, every layer "
                    "against the peak and the level's bandwidth (docs/report.md, \"Bounds\")");
    cmd->add_flag("--quiet", args.quiet,
                  "No per-layer table, no step summaries, no progress display and no timings (the totals and the verdict stay)");
  };
  const auto to_sim_outputs = [](const ReportArgs& args) {
    wb::SimOutputs outputs;
    outputs.json = args.json;
    outputs.csv = args.csv;
    outputs.trace = args.trace;
    outputs.vcd = args.vcd;
    outputs.plot_dir = args.plot;
    outputs.table = !args.quiet;
    outputs.console = &std::cout;
    return outputs;
  };

  TargetArgs run_args;
  ReportArgs run_report;
  std::string run_input;
  bool run_no_data = false;
  bool run_no_cache = false;
  auto* run_cmd = app.add_subcommand(
      "run", "Quantize, compile and simulate a model on a hardware config, check it bit-exactly against the integer "
             "golden model, and report cycles, MAC/cycle and DDR (xDNN) or L3 (PULP) traffic per layer. Exit 1 if not "
             "bit-exact");
  add_target_options(run_cmd, run_args);
  run_cmd->add_option("--input,-i", run_input, "Float input tensor (.npy/.pb). Default: seeded N(0,1)");
  run_cmd->add_flag("--no-data", run_no_data, "Timing only: skip the arithmetic and the golden check (same cycles)");
  run_cmd->add_flag("--no-cache", run_no_cache,
                    "Quantize again instead of taking the quantized model from the cache ($WB_CACHE_DIR/models or "
                    "~/.cache/workbench/models, keyed by the model file's digest, scheme, calibration and build; at "
                    "most $WB_MODEL_CACHE_LIMIT bytes, default 4GiB)");
  add_report_options(run_cmd, run_report);

  std::string sim_program, sim_hw, sim_input;
  std::vector<std::string> sim_overrides;
  std::uint64_t sim_seed = 1;
  bool sim_no_data = false;
  ReportArgs sim_report;
  auto* sim_cmd = app.add_subcommand("sim", "Simulate a compiled program (workbench compile -o DIR: DIR/program.xdnn, "
                                            "or DIR/program.pulp for a pulp config) and report cycles per layer (no "
                                            "golden check: see verify)");
  sim_cmd->add_option("PROGRAM", sim_program, "Program file (program.xdnn or program.pulp)")->required();
  sim_cmd->add_option("--hw", sim_hw, "Hardware config YAML the program was compiled for")->required();
  sim_cmd->add_option("--set", sim_overrides, "The --set overrides it was compiled with")->allow_extra_args(false);
  sim_cmd->add_option("--input,-i", sim_input, "Float input tensor (.npy/.pb). Default: seeded N(0,1)");
  sim_cmd->add_option("--seed", sim_seed, "Seed of the synthetic input")
      ->check(kSeedValidator)
      ->capture_default_str();
  sim_cmd->add_flag("--no-data", sim_no_data, "Timing only: skip the arithmetic (same cycles)");
  add_report_options(sim_cmd, sim_report);

  std::string verify_dir, verify_hw, verify_input;
  std::vector<std::string> verify_overrides;
  std::uint64_t verify_seed = 1;
  ReportArgs verify_report;
  auto* verify_cmd = app.add_subcommand(
      "verify", "Simulate a compiled folder (program.xdnn or program.pulp + model.qdq.onnx from workbench compile) and "
                "check it "
                "bit-exactly against the integer golden model. Exit 1 if not bit-exact");
  verify_cmd->add_option("DIR", verify_dir, "Folder written by workbench compile")->required();
  verify_cmd->add_option("--hw", verify_hw, "Hardware config YAML the program was compiled for")->required();
  verify_cmd->add_option("--set", verify_overrides, "The --set overrides it was compiled with")->allow_extra_args(false);
  verify_cmd->add_option("--input,-i", verify_input, "Float input tensor (.npy/.pb). Default: seeded N(0,1)");
  verify_cmd->add_option("--seed", verify_seed, "Seed of the synthetic input")
      ->check(kSeedValidator)
      ->capture_default_str();
  add_report_options(verify_cmd, verify_report);

  wb::HwShowCommand hw_show;
  std::string hw_show_json;
  auto* hw_cmd = app.add_subcommand("hw", "Hardware configs (configs/*.yaml, docs/hw_config.md)");
  hw_cmd->require_subcommand(1);
  auto* hw_show_cmd = hw_cmd->add_subcommand("show", "Print a hardware config resolved (every key, its value and "
                                                     "unit) and its derived figures (peak MAC/cycle, peak GOP/s)");
  hw_show_cmd->add_option("HW", hw_show.hw, "Hardware config YAML file")->required();
  hw_show_cmd->add_option("--set", hw_show.overrides, "Override a key by its dotted path: --set array.rows=56 "
                                                      "(repeatable; sizes take units: 5MiB, 512kB)")
      ->allow_extra_args(false);
  hw_show_cmd->add_option("--json", hw_show_json, "Also write the resolved config and derived figures as JSON");

  wb::sweep::SweepOptions sweep;
  std::string sweep_spec, sweep_db, sweep_executor = "local";
  double sweep_timeout = 0;
  auto* sweep_cmd = app.add_subcommand(
      "sweep", "Run a sweep spec's design points (configs/sweeps/*.yaml, docs/sweeps.md) on a local process pool or a "
               "Slurm job array; one result per point in the sweep's SQLite database. A rerun skips the points already "
               "stored, so a killed sweep resumes. Exit 0 when every point has a result, 1 when one is not bit-exact, "
               "crashed or timed out (a point that does not fit its hardware is a result), 2 bad input");
  sweep_cmd->add_option("SPEC", sweep_spec, "Sweep spec YAML");
  sweep_cmd->add_option("--db", sweep_db, "Results database (default: <spec name>.db in the working folder; the sweep's "
                                          "files go to <name>.sweep/ beside it)");
  sweep_cmd->add_option("-j,--jobs", sweep.jobs, "Points run at once by the local executor (default: the cores)")
      ->check(CLI::Range(1, 4096));
  sweep_cmd->add_option("--executor", sweep_executor, "local (a process pool, default) or slurm (an sbatch --array "
                                                      "job; results imported by `sweep collect`)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  sweep_cmd->add_option("--timeout", sweep_timeout, "Seconds a point may take before it is killed and recorded as "
                                                    "failed (default: the spec's timeout_s, else 1800)")
      ->check(CLI::Range(1.0, 7 * 24 * 3600.0));
  sweep_cmd->add_flag("--retry-failed", sweep.retry_failed, "Run the points stored as failed again");
  sweep_cmd->add_flag("--dry-run", sweep.dry_run, "List the points (and check the spec); run nothing");
  sweep_cmd->add_option("--chunk", sweep.slurm.chunk, "Slurm: points per array task (default 4, raised to fit the "
                                                      "cluster's MaxArraySize)")
      ->check(CLI::Range(1, 1000000));
  sweep_cmd->add_option("--max-concurrent", sweep.slurm.max_concurrent, "Slurm: array tasks running at once (the "
                                                                        "array's %N)")
      ->check(CLI::Range(1, 1000000));
  sweep_cmd->add_option("--partition", sweep.slurm.partition, "Slurm: partition to submit to");
  sweep_cmd->add_option("--time-limit", sweep.slurm.time_limit, "Slurm: --time of each array task (e.g. 1:00:00)");
  sweep_cmd->add_option("--sbatch-arg", sweep.slurm.sbatch_args, "Slurm: an extra sbatch argument (repeatable), e.g. "
                                                                 "--sbatch-arg=--account=ml")
      ->allow_extra_args(false);
  sweep_cmd->add_option("--max-submissions", sweep.slurm.max_submissions, "Slurm: a point still without a result after "
                                                                          "this many submissions is recorded as failed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  sweep_cmd->add_flag("--wait", sweep.slurm.wait, "Slurm: wait for the job, showing progress, then import its results");

  std::string worker_manifest;
  std::size_t worker_chunk = 1;
  std::size_t worker_task = 0;
  auto* worker_cmd = sweep_cmd->add_subcommand("worker", "Run a Slurm array task's share of a sweep manifest (what the "
                                                         "submitted job runs)");
  worker_cmd->add_option("MANIFEST", worker_manifest, "Manifest written by `workbench sweep --executor slurm`")->required();
  worker_cmd->add_option("--chunk", worker_chunk, "Points per array task")->capture_default_str()->check(CLI::Range(1, 1000000));
  auto* worker_task_option =
      worker_cmd->add_option("--task", worker_task, "Array task index (default: $SLURM_ARRAY_TASK_ID)");

  std::string point_manifest;
  std::size_t point_index = 0;
  auto* point_cmd = sweep_cmd->add_subcommand("point", "Run one point of a sweep manifest in this process and write "
                                                       "its result file (what the executors run)");
  point_cmd->add_option("MANIFEST", point_manifest, "Sweep manifest")->required();
  point_cmd->add_option("INDEX", point_index, "Point index in the manifest (from 0)")->required();

  std::string collect_db;
  auto* collect_cmd = sweep_cmd->add_subcommand("collect", "Import the result files a sweep's tasks wrote (Slurm) into "
                                                           "its database; safe to run any number of times");
  collect_cmd->add_option("DB", collect_db, "Results database (or the sweep spec)")->required();

  std::string status_db;
  auto* status_cmd = sweep_cmd->add_subcommand("status", "Points done, failed, pending; on Slurm also running and "
                                                         "queued (squeue/sacct)");
  status_cmd->add_option("DB", status_db, "Results database (or the sweep spec)")->required();

  wb::sweep::ShowOptions show;
  std::string show_db;
  auto* show_cmd = sweep_cmd->add_subcommand("show", "The points of a sweep as a table: axes, status, cycles, latency, "
                                                     "MAC/cycle, utilization, memory traffic, verdict");
  show_cmd->add_option("DB", show_db, "Results database (or the sweep spec)")->required();
  show_cmd->add_option("--sort", show.sort, "Sort by this column (position, model, config, an axis, status, cycles, "
                                            "latency_ms, mac_per_cycle, utilization, memory_bytes, verdict, "
                                            "wall_seconds)")
      ->capture_default_str();
  show_cmd->add_flag("--desc", show.descending, "Sort in descending order");
  show_cmd->add_option("--where", show.where, "Keep rows where COLUMN=VALUE (or COLUMN!=VALUE); repeatable")
      ->allow_extra_args(false);
  show_cmd->add_flag("--failed", show.failed_only, "Only the failed points");
  show_cmd->add_option("--limit", show.limit, "At most this many rows")->check(CLI::Range(1, 100000000));

  wb::sweep::ExportOptions export_options;
  std::string export_db, export_csv, export_layers;
  auto* export_cmd = sweep_cmd->add_subcommand("export", "Write a sweep's results as CSV: one row per point (one "
                                                         "column per axis and per total), optionally per layer");
  export_cmd->add_option("DB", export_db, "Results database (or the sweep spec)")->required();
  export_cmd->add_option("--csv", export_csv, "CSV file of the points")->required();
  export_cmd->add_option("--layers", export_layers, "Also a CSV file of every layer of every done point");

  wb::sweep::ReportOptions report_options;
  std::string report_db, report_dir;
  auto* report_cmd = app.add_subcommand(
      "report", "Write a sweep's results as a self-contained HTML page (DIR/index.html, plots also as DIR/*.svg): the "
                "points, Pareto frontiers, both targets side by side, the ablation of compile options, per-layer "
                "breakdowns, failures");
  report_cmd->add_option("DB", report_db, "Results database of a sweep (or its spec)")->required();
  report_cmd->add_option("-o,--output", report_dir, "Output folder")->required();
  report_cmd->add_option("--point", report_options.points, "Draw this point's per-layer breakdown (its # or a key "
                                                           "prefix; repeatable). Default: the fastest point of each "
                                                           "model on each config")
      ->allow_extra_args(false);

  wb::compare::CompareCommand compare_reports;
  std::vector<std::string> compare_files;
  std::string compare_unit, compare_csv;
  auto* compare_reports_cmd = app.add_subcommand(
      "compare", "Put run reports (workbench run/sim/verify --json) side by side per layer: layers joined by the "
                 "tensors they write (fused layers with the unfused ones they stand for), time and MAC/cycle and "
                 "traffic per report with ratios to the first, the totals, and the layers that moved most. Time in "
                 "cycles when the reports share target and clock, else in microseconds (docs/report.md)");
  compare_reports_cmd->add_option("REPORT", compare_files, "Run reports: the first is A, the one the others are "
                                                           "measured against")
      ->required();
  compare_reports_cmd->add_option("--unit", compare_unit, "cycles or us (default: cycles when the reports share "
                                                          "target and clock, else us)");
  compare_reports_cmd->add_option("--csv", compare_csv, "Also write the joined table as CSV (one line per row)");
  compare_reports_cmd->add_option("--top", compare_reports.top, "Rows listed as moved most, per report (0: none; "
                                                                "default 5)")
      ->check(CLI::Range(0, 1000000));

  auto* regress_cmd = app.add_subcommand(
      "regress", "Performance-regression tracking (docs/regression.md): record runs in a history database, compare "
                 "runs or commits, check the standard matrix against the checked-in baseline, show a figure's history, "
                 "find the commit that changed it. Exit 0 ok, 1 a regression (or any change, for check), 2 bad input");
  regress_cmd->require_subcommand(1);
  std::string regress_db;
  const auto add_db_option = [&](CLI::App* cmd) {
    cmd->add_option("--db", regress_db, "History database (default: ~/.cache/workbench/history.db)");
  };
  std::vector<std::string> record_files;
  auto* record_cmd = regress_cmd->add_subcommand(
      "record", "Store runs in the history: run reports (workbench run/sim/verify --json FILE), sweep point results, "
                "sweep databases. A report recorded before is skipped; exit 1 when a run contradicts one of the same "
                "build and inputs (a determinism bug)");
  record_cmd->add_option("RUN", record_files, "Run report JSON, sweep point result, or sweep results database")->required();
  add_db_option(record_cmd);

  wb::regress::CompareCommand compare;
  std::vector<std::string> compare_thresholds;
  auto* compare_cmd = regress_cmd->add_subcommand(
      "compare", "Compare runs per (model, config): the totals and every layer whose cycles or traffic changed, worst "
                 "first, then a summary (geometric mean of the total-cycles ratios, worst ratio). Exit 1 when a figure "
                 "got worse beyond the threshold, a verdict left bit-exact, or runs of one build and inputs differ; "
                 "wall-clock time is compared statistically and only warns unless --gate-speed");
  compare_cmd->add_option("--baseline", compare.baseline, "Run report(s), sweep database(s), a baseline file, or a "
                                                          "recorded commit (hash prefix; +dirty for a dirty tree's runs)")
      ->required();
  compare_cmd->add_option("--current", compare.current, "The same kinds (default: the newest recorded commit)");
  compare_cmd->add_option("--threshold", compare_thresholds, "Growth allowed before a figure counts as worse: \"1%\" "
                                                             "for every metric, \"cycles=2%\" for one (repeatable; "
                                                             "default 0: any increase)");
  compare_cmd->add_flag("--gate-speed", compare.options.gate_speed, "Fail on a significant wall-clock slowdown (else "
                                                                   "it warns)");
  compare_cmd->add_option("--speed-factor", compare.options.speed_factor, "Wall-clock ratio that counts as a change "
                                                                          "(default 1.10)")
      ->check(CLI::Range(1.0, 100.0));
  compare_cmd->add_option("--max-layers", compare.options.max_layers, "Changed layer figures printed per case (0: all; "
                                                                      "default 20)")
      ->default_val(20);
  add_db_option(compare_cmd);

  wb::regress::CheckOptions check;
  std::string check_baseline = "tests/baselines/standard.json", check_work;
  std::vector<std::string> update_matrix;
  auto* check_cmd = regress_cmd->add_subcommand(
      "check", "Run the baseline's matrix (its sweep specs) and compare every figure with the checked-in baseline: any "
               "change fails, an improvement too, until the baseline is updated (exit 1, the changes named)");
  auto* update_cmd = regress_cmd->add_subcommand(
      "update-baseline", "Run the matrix and rewrite the baseline with its figures, printing what changed and keeping "
                         "--reason in the file's history");
  for (CLI::App* cmd : {check_cmd, update_cmd}) {
    cmd->add_option("BASELINE", check_baseline, "Baseline file (default: tests/baselines/standard.json)");
    cmd->add_option("--work", check_work, "Folder for the matrix's sweeps (default: a temporary one, removed)");
    cmd->add_option("-j,--jobs", check.jobs, "Points run at once (default: the cores)")->check(CLI::Range(1, 4096));
    cmd->add_option("--max-layers", check.max_layers, "Changed layer figures printed per run (0: all; default 10)");
  }
  update_cmd->add_option("--reason", check.reason, "Why the figures change (required; kept in the file)")->required();
  update_cmd->add_option("--matrix", update_matrix, "Sweep specs of the matrix (default: the baseline's own)");

  wb::regress::HistoryOptions history;
  std::string history_model, history_config, history_layer, history_plot;
  auto* history_cmd = regress_cmd->add_subcommand(
      "history", "A figure over the recorded commits (in recording order), per model and config: a table naming the "
                 "commits where it changed, and with --plot an SVG chart");
  history_cmd->add_option("--model", history_model, "Only this model");
  history_cmd->add_option("--config", history_config, "Only this config (its name, e.g. v3_96)");
  history_cmd->add_option("--layer", history_layer, "This layer's figure (default: the run's total)");
  history_cmd->add_option("--metric", history.metric, "The figure (default cycles; e.g. offchip_bytes, "
                                                      "stall_cycles)");
  history_cmd->add_option("--plot", history_plot, "Write the chart to this .svg file");
  add_db_option(history_cmd);

  wb::regress::BisectOptions bisect;
  std::string bisect_layer, bisect_metric;
  auto* bisect_cmd = regress_cmd->add_subcommand(
      "bisect", "The first recorded commit after --good whose figures of a model on a config differ from --good's (up "
                "to --bad); from the database, building nothing. Exit 0 found, 1 none differs");
  bisect_cmd->add_option("--good", bisect.good, "Recorded commit with the expected figures")->required();
  bisect_cmd->add_option("--bad", bisect.bad, "A later recorded commit")->required();
  bisect_cmd->add_option("--model", bisect.model, "Model name")->required();
  bisect_cmd->add_option("--config", bisect.config, "Config name (e.g. v3_96)")->required();
  bisect_cmd->add_option("--layer", bisect_layer, "Only this layer's figures");
  bisect_cmd->add_option("--metric", bisect_metric, "Only this figure (default: every figure)");
  add_db_option(bisect_cmd);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  // Long phases show their progress on stderr (support/progress.h); sweeps and regress draw their
  // own display, and --quiet shows none.
  static wb::ConsoleProgress console_progress(std::cerr, wb::stderr_is_terminal());
  // Warnings follow the command's output, or the error line that ended it.
  const struct PrintWarnings {
    ~PrintWarnings() { wb::print_warnings(std::cerr); }
  } print_warnings_at_exit;
  // Then the steps' timings, unless an error ended the command (its line comes first, alone).
  const struct PrintTimings {
    ~PrintTimings() { console_progress.print_timings(); }
  } print_timings_at_exit;
  const bool quiet = (run_cmd->parsed() && run_report.quiet) || (sim_cmd->parsed() && sim_report.quiet) ||
                     (verify_cmd->parsed() && verify_report.quiet);
  if (!quiet && !sweep_cmd->parsed() && !regress_cmd->parsed()) wb::set_progress_sink(&console_progress);

  try {
    if (inspect_cmd->parsed()) return run_inspect(inspect);
    if (passes_cmd->parsed()) {
      for (const auto& info : wb::registered_passes()) std::cout << fmt::format("{:<22} {}\n", info.name, info.description);
      std::cout << fmt::format("\ndefault pipeline: {}\n", wb::kDefaultPipeline);
      return kExitOk;
    }
    if (quantize_cmd->parsed()) {
      if (threads > 0) wb::set_reference_threads(threads);
      quantize.model = quantize_model;
      quantize.quant.scheme = wb::quant::parse_scheme(scheme);
      quantize.scheme_explicit = scheme_opt->count() > 0;
      quantize.calibration.method = wb::quant::parse_calibration_method(method);
      if (percentile_opt->count() > 0 && quantize.calibration.method != wb::quant::CalibrationMethod::Percentile) {
        throw wb::UserError(fmt::format("--percentile {}: used only by --calib-method percentile (the method is {}); "
                                        "add --calib-method percentile or drop --percentile",
                                        quantize.calibration.percentile, method));
      }
      const auto optional_path = [](const std::string& p) {
        return p.empty() ? std::nullopt : std::optional<std::filesystem::path>(p);
      };
      quantize.calib_dir = optional_path(calib_dir);
      quantize.eval_dir = optional_path(eval_dir);
      quantize.out_dir = optional_path(out_dir);
      quantize.dump_dir = optional_path(dump_dir);
      quantize.save_inputs_dir = optional_path(save_inputs_dir);
      wb::run_quantize(quantize, std::cout);
      return kExitOk;
    }
    if (compile_cmd->parsed()) {
      wb::CompileCommand command = to_compile_command(compile_args);
      command.out_dir = compile_out;
      wb::run_compile(command, std::cout);
      return kExitOk;
    }
    // --quiet: the steps' summaries (quantized, compiled, golden check) go nowhere; the totals
    // and the verdict still reach stdout (SimOutputs::console), warnings and errors stderr.
    std::ostream quiet_log(nullptr);
    const auto write_plots = [](const wb::report::RunReport& r, const wb::SimOutputs& outputs) {
      if (outputs.plot_dir.empty()) return;
      const auto written = wb::sweep::write_roofline_plots(r, outputs.plot_dir);
      if (written.empty()) std::cerr << "warning: --plot: no layer with MACs and memory traffic to plot\n";
      for (const auto& file : written) std::cout << fmt::format("wrote {}\n", file.string());
    };
    const auto verdict_exit = [](const wb::report::RunReport& r) {
      if (r.verdict == "mismatch") {
        std::cerr << fmt::format("error: not bit-exact: layer '{}', element {}: expected {}, got {}\n",
                                 r.mismatch->layer, r.mismatch->index, r.mismatch->expected, r.mismatch->actual);
        return kExitFailure;
      }
      return kExitOk;
    };
    if (run_cmd->parsed()) {
      wb::RunCommand command;
      command.compile = to_compile_command(run_args);
      if (!run_input.empty()) command.input = run_input;
      command.no_data = run_no_data;
      if (run_no_data && command.input) {
        throw wb::UserError(fmt::format("--input {}: --no-data runs no arithmetic, so no input is read; drop one of them",
                                        run_input));
      }
      if (!run_no_cache) command.compile.model_cache = wb::default_cache_dir() / "models";
      command.outputs = to_sim_outputs(run_report);
      const wb::report::RunReport report = wb::run_model(command, run_report.quiet ? quiet_log : std::cout);
      write_plots(report, command.outputs);
      return verdict_exit(report);
    }
    if (sim_cmd->parsed()) {
      wb::SimCommand command;
      command.program = sim_program;
      command.hw = sim_hw;
      command.overrides = sim_overrides;
      if (!sim_input.empty()) command.input = sim_input;
      command.seed = sim_seed;
      command.no_data = sim_no_data;
      command.outputs = to_sim_outputs(sim_report);
      write_plots(wb::sim_program(command, sim_report.quiet ? quiet_log : std::cout), command.outputs);
      return kExitOk;
    }
    if (verify_cmd->parsed()) {
      wb::VerifyCommand command;
      command.dir = verify_dir;
      command.hw = verify_hw;
      command.overrides = verify_overrides;
      if (!verify_input.empty()) command.input = verify_input;
      command.seed = verify_seed;
      command.outputs = to_sim_outputs(verify_report);
      const wb::report::RunReport report = wb::verify_program(command, verify_report.quiet ? quiet_log : std::cout);
      write_plots(report, command.outputs);
      return verdict_exit(report);
    }
    if (sweep_cmd->parsed()) {
      if (worker_cmd->parsed()) {
        std::optional<std::size_t> task;
        if (worker_task_option->count() > 0) task = worker_task;
        return wb::sweep::run_worker(worker_manifest, task, worker_chunk, std::cout);
      }
      if (point_cmd->parsed()) return wb::sweep::run_point_command(point_manifest, point_index, std::cout);
      if (collect_cmd->parsed()) return wb::sweep::run_collect(collect_db, std::cout);
      if (status_cmd->parsed()) return wb::sweep::run_status(status_db, std::cout);
      if (show_cmd->parsed()) {
        show.db = show_db;
        return wb::sweep::run_show(show, std::cout);
      }
      if (export_cmd->parsed()) {
        export_options.db = export_db;
        export_options.csv = export_csv;
        if (!export_layers.empty()) export_options.layers_csv = export_layers;
        return wb::sweep::run_export(export_options, std::cout);
      }
      if (sweep_spec.empty()) {
        throw wb::UserError("sweep: give a spec (workbench sweep SPEC.yaml) or a subcommand: worker, point, collect, "
                            "status, show, export (workbench sweep --help)");
      }
      sweep.spec = sweep_spec;
      if (!sweep_db.empty()) sweep.db = sweep_db;
      if (sweep_timeout > 0) sweep.timeout_s = sweep_timeout;
      sweep.executor = sweep_executor == "slurm" ? wb::sweep::Executor::Slurm : wb::sweep::Executor::Local;
      sweep.executable = wb::sweep::current_executable();
      sweep.terminal = wb::sweep::stderr_is_terminal();
      return wb::sweep::run_sweep(sweep, std::cout, std::cerr);
    }
    if (report_cmd->parsed()) {
      report_options.db = report_db;
      report_options.out_dir = report_dir;
      return wb::sweep::run_report(report_options, std::cout);
    }
    if (compare_reports_cmd->parsed()) {
      compare_reports.reports = to_paths(compare_files);
      if (compare_unit == "cycles") {
        compare_reports.unit = wb::compare::TimeUnit::Cycles;
      } else if (compare_unit == "us") {
        compare_reports.unit = wb::compare::TimeUnit::Microseconds;
      } else if (!compare_unit.empty()) {
        throw wb::UserError(fmt::format("--unit {}: not a unit (cycles or us)", compare_unit));
      }
      if (!compare_csv.empty()) compare_reports.csv = compare_csv;
      return wb::compare::run_compare(compare_reports, std::cout);
    }
    if (regress_cmd->parsed()) {
      const std::filesystem::path db = regress_db.empty() ? wb::regress::default_history_path()
                                                          : std::filesystem::path(regress_db);
      if (record_cmd->parsed()) return wb::regress::run_record(db, to_paths(record_files), std::cout);
      if (compare_cmd->parsed()) {
        compare.db = db;
        for (const std::string& item : compare_thresholds) wb::regress::add_threshold(compare.options.thresholds, item);
        return wb::regress::run_compare(compare, std::cout);
      }
      if (check_cmd->parsed() || update_cmd->parsed()) {
        check.baseline = check_baseline;
        if (!check_work.empty()) check.work_dir = check_work;
        check.matrix = to_paths(update_matrix);
        check.executable = wb::sweep::current_executable();
        return check_cmd->parsed() ? wb::regress::run_check(check, std::cout)
                                   : wb::regress::run_update_baseline(check, std::cout);
      }
      const auto optional_text = [](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<std::string>(s);
      };
      if (history_cmd->parsed()) {
        history.db = db;
        history.model = optional_text(history_model);
        history.config = optional_text(history_config);
        history.layer = optional_text(history_layer);
        if (!history_plot.empty()) history.plot = history_plot;
        return wb::regress::run_history(history, std::cout);
      }
      if (bisect_cmd->parsed()) {
        bisect.db = db;
        bisect.layer = optional_text(bisect_layer);
        bisect.metric = optional_text(bisect_metric);
        return wb::regress::run_bisect(bisect, std::cout);
      }
    }
    if (hw_show_cmd->parsed()) {
      if (!hw_show_json.empty()) hw_show.json = hw_show_json;
      wb::run_hw_show(hw_show, std::cout);
      return kExitOk;
    }
    if (infer_cmd->parsed()) {
      infer.model = infer_model;
      infer.inputs = to_paths(infer_inputs);
      infer.outputs = to_paths(infer_outputs);
      if (threads > 0) wb::set_reference_threads(threads);
      wb::run_infer(infer, std::cout);
      return kExitOk;
    }
  } catch (const wb::UserError& e) {
    console_progress.discard_timings();
    std::cerr << "error: " << e.what() << '\n';
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    console_progress.discard_timings();
    std::cerr << "error: out of memory (the model's tensors do not fit in this machine's memory)\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    console_progress.discard_timings();
    std::cerr << "internal error: " << e.what() << " (please report this with the command line)\n";
    return kExitFailure;
  }
  return kExitFailure;
}
