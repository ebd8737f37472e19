// `workbench sweep SPEC` and its subcommands worker, point, collect, status, show and export
// (workbench/sweep/sweep.h, tables.h).

#include <cstddef>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "support/error.h"
#include "workbench/cli/commands.h"
#include "workbench/sweep/process_pool.h"
#include "workbench/sweep/progress.h"
#include "workbench/sweep/slurm_executor.h"
#include "workbench/sweep/sweep.h"
#include "workbench/sweep/tables.h"

namespace wb::cli {

namespace {

struct SweepArgs {
  sweep::SweepOptions options;
  std::string spec, db, executor = "local";
  double timeout = 0;
};

int run_spec(SweepArgs args) {
  if (args.spec.empty()) {
    throw UserError("sweep: give a spec (workbench sweep SPEC.yaml) or a subcommand: worker, point, collect, "
                    "status, show, export (workbench sweep --help)");
  }
  sweep::SweepOptions& options = args.options;
  options.spec = args.spec;
  if (!args.db.empty()) options.db = args.db;
  if (args.timeout > 0) options.timeout_s = args.timeout;
  options.executor = args.executor == "slurm" ? sweep::ExecutorKind::Slurm : sweep::ExecutorKind::Local;
  options.executable = sweep::current_executable();
  options.terminal = sweep::stderr_is_terminal();
  return sweep::run_sweep(options, std::cout, std::cerr);
}

void add_worker(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  struct WorkerArgs {
    std::string manifest;
    std::size_t chunk = 1;
    std::size_t task = 0;
    const CLI::Option* task_option = nullptr;
  };
  auto args = std::make_shared<WorkerArgs>();
  auto* cmd = sweep_cmd->add_subcommand("worker", "Run a Slurm array task's share of a sweep manifest (what the "
                                                  "submitted job runs)");
  cmd->add_option("MANIFEST", args->manifest, "Manifest written by `workbench sweep --executor slurm`")->required();
  cmd->add_option("--chunk", args->chunk, "Points per array task")->capture_default_str()->check(CLI::Range(1, 1000000));
  args->task_option = cmd->add_option("--task", args->task, "Array task index (default: $SLURM_ARRAY_TASK_ID)");
  cmd->callback([&chosen, args] {
    chosen = {[args] {
                std::optional<std::size_t> task;
                if (args->task_option->count() > 0) task = args->task;
                return sweep::run_worker(args->manifest, task, args->chunk, std::cout);
              },
              false};
  });
}

void add_point(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  struct PointArgs {
    std::string manifest;
    std::size_t index = 0;
  };
  auto args = std::make_shared<PointArgs>();
  auto* cmd = sweep_cmd->add_subcommand("point", "Run one point of a sweep manifest in this process and write "
                                                 "its result file (what the executors run)");
  cmd->add_option("MANIFEST", args->manifest, "Sweep manifest")->required();
  cmd->add_option("INDEX", args->index, "Point index in the manifest (from 0)")->required();
  cmd->callback([&chosen, args] {
    chosen = {[args] { return sweep::run_point_command(args->manifest, args->index, std::cout); }, false};
  });
}

void add_collect(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  auto db = std::make_shared<std::string>();
  auto* cmd = sweep_cmd->add_subcommand("collect", "Import the result files a sweep's tasks wrote (Slurm) into "
                                                   "its database; safe to run any number of times");
  cmd->add_option("DB", *db, "Results database (or the sweep spec)")->required();
  cmd->callback([&chosen, db] { chosen = {[db] { return sweep::run_collect(*db, std::cout); }, false}; });
}

void add_status(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  auto db = std::make_shared<std::string>();
  auto* cmd = sweep_cmd->add_subcommand("status", "Points done, failed, pending; on Slurm also running and "
                                                  "queued (squeue/sacct)");
  cmd->add_option("DB", *db, "Results database (or the sweep spec)")->required();
  cmd->callback([&chosen, db] { chosen = {[db] { return sweep::run_status(*db, std::cout); }, false}; });
}

void add_show(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  struct ShowArgs {
    sweep::ShowOptions options;
    std::string db;
  };
  auto args = std::make_shared<ShowArgs>();
  sweep::ShowOptions& show = args->options;
  auto* cmd = sweep_cmd->add_subcommand("show", "The points of a sweep as a table: axes, status, cycles, latency, "
                                                "MAC/cycle, utilization, memory traffic, verdict");
  cmd->add_option("DB", args->db, "Results database (or the sweep spec)")->required();
  cmd->add_option("--sort", show.sort, "Sort by this column (position, model, config, an axis, status, cycles, "
                                       "latency_ms, mac_per_cycle, utilization, memory_bytes, verdict, "
                                       "wall_seconds)")
      ->capture_default_str();
  cmd->add_flag("--desc", show.descending, "Sort in descending order");
  cmd->add_option("--where", show.where, "Keep rows where COLUMN=VALUE (or COLUMN!=VALUE); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--column", show.columns,
                  "Also show this total of the run reports, standard or the target's (card_fps, fps_per_pe, "
                  "card_binding, ddr_spill_bytes, ...: docs/report.md); repeatable, and --sort and --where take it")
      ->allow_extra_args(false);
  cmd->add_flag("--failed", show.failed_only, "Only the failed points");
  cmd->add_option("--limit", show.limit, "At most this many rows")->check(CLI::Range(1, 100000000));
  cmd->callback([&chosen, args] {
    chosen = {[args] {
                sweep::ShowOptions options = args->options;
                options.db = args->db;
                return sweep::run_show(options, std::cout);
              },
              false};
  });
}

void add_export(CLI::App* sweep_cmd, ChosenCommand& chosen) {
  struct ExportArgs {
    std::string db, csv, layers;
  };
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = sweep_cmd->add_subcommand("export", "Write a sweep's results as CSV: one row per point (one "
                                                  "column per axis and per total), optionally per layer");
  cmd->add_option("DB", args->db, "Results database (or the sweep spec)")->required();
  cmd->add_option("--csv", args->csv, "CSV file of the points")->required();
  cmd->add_option("--layers", args->layers, "Also a CSV file of every layer of every done point");
  cmd->callback([&chosen, args] {
    chosen = {[args] {
                sweep::ExportOptions options;
                options.db = args->db;
                options.csv = args->csv;
                if (!args->layers.empty()) options.layers_csv = args->layers;
                return sweep::run_export(options, std::cout);
              },
              false};
  });
}

}  // namespace

void add_sweep(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<SweepArgs>();
  sweep::SweepOptions& options = args->options;
  auto* cmd = app.add_subcommand(
      "sweep", "Run a sweep spec's design points (configs/sweeps/*.yaml, docs/sweeps.md) on a local process pool or a "
               "Slurm job array; one result per point in the sweep's SQLite database. A rerun skips the points already "
               "stored, so a killed sweep resumes. Exit 0 when every point has a result, 1 when one is not bit-exact, "
               "crashed or timed out (a point that does not fit its hardware is a result), 2 bad input");
  cmd->add_option("SPEC", args->spec, "Sweep spec YAML");
  cmd->add_option("--db", args->db, "Results database (default: <spec name>.db in the working folder; the sweep's "
                                    "files go to <name>.sweep/ beside it)");
  cmd->add_option("-j,--jobs", options.jobs, "Points run at once by the local executor (default: the cores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--executor", args->executor, "local (a process pool, default) or slurm (an sbatch --array "
                                                "job; results imported by `sweep collect`)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout, "Seconds a point may take before it is killed and recorded as "
                                              "failed (default: the spec's timeout_s, else 1800)")
      ->check(CLI::Range(1.0, 7 * 24 * 3600.0));
  cmd->add_flag("--retry-failed", options.retry_failed, "Run the points stored as failed again");
  cmd->add_flag("--dry-run", options.dry_run, "List the points (and check the spec); run nothing");
  cmd->add_option("--chunk", options.slurm.chunk, "Slurm: points per array task (default 4, raised to fit the "
                                                  "cluster's MaxArraySize)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-concurrent", options.slurm.max_concurrent, "Slurm: array tasks running at once (the "
                                                                    "array's %N)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--partition", options.slurm.partition, "Slurm: partition to submit to");
  cmd->add_option("--time-limit", options.slurm.time_limit, "Slurm: --time of each array task (e.g. 1:00:00)");
  cmd->add_option("--sbatch-arg", options.slurm.sbatch_args, "Slurm: an extra sbatch argument (repeatable), e.g. "
                                                             "--sbatch-arg=--account=ml")
      ->allow_extra_args(false);
  cmd->add_option("--max-submissions", options.slurm.max_submissions, "Slurm: a point still without a result after "
                                                                      "this many submissions is recorded as failed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_flag("--wait", options.slurm.wait, "Slurm: wait for the job, showing progress, then import its results");

  add_worker(cmd, chosen);
  add_point(cmd, chosen);
  add_collect(cmd, chosen);
  add_status(cmd, chosen);
  add_show(cmd, chosen);
  add_export(cmd, chosen);
  // CLI11 calls a subcommand's callback before its parent's: a subcommand named has chosen.
  cmd->callback([cmd, &chosen, args] {
    if (cmd->get_subcommands().empty()) chosen = {[args] { return run_spec(*args); }, false};
  });
}

}  // namespace wb::cli
