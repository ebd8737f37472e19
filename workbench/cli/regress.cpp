// `workbench regress` and its subcommands record, compare, check, update-baseline, history and
// bisect (workbench/regress/, docs/regression.md).

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workbench/cli/commands.h"
#include "workbench/regress/check.h"
#include "workbench/regress/commands.h"
#include "workbench/regress/history.h"
#include "workbench/regress/history_db.h"
#include "workbench/sweep/process_pool.h"

namespace wb::cli {

namespace {

// The history database every subcommand but check and update-baseline reads (--db).
struct HistoryDbArg {
  std::string db;

  std::filesystem::path path() const {
    return db.empty() ? regress::default_history_path() : std::filesystem::path(db);
  }
  void add_to(CLI::App* cmd) {
    cmd->add_option("--db", db, "History database (default: ~/.cache/workbench/history.db)");
  }
};

std::optional<std::string> optional_text(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

std::vector<std::filesystem::path> to_paths(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

void add_record(CLI::App* regress_cmd, const std::shared_ptr<HistoryDbArg>& history_db, ChosenCommand& chosen) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* cmd = regress_cmd->add_subcommand(
      "record", "Store runs in the history: run reports (workbench run/sim/verify --json FILE), sweep point results, "
                "sweep databases. A report recorded before is skipped; exit 1 when a run contradicts one of the same "
                "build and inputs (a determinism bug)");
  cmd->add_option("RUN", *files, "Run report JSON, sweep point result, or sweep results database")->required();
  history_db->add_to(cmd);
  cmd->callback([&chosen, history_db, files] {
    chosen = {[history_db, files] { return regress::run_record(history_db->path(), to_paths(*files), std::cout); },
              false};
  });
}

void add_compare_runs(CLI::App* regress_cmd, const std::shared_ptr<HistoryDbArg>& history_db, ChosenCommand& chosen) {
  struct CompareRunsArgs {
    regress::CompareCommand command;
    std::vector<std::string> thresholds;
  };
  auto args = std::make_shared<CompareRunsArgs>();
  regress::CompareCommand& compare = args->command;
  auto* cmd = regress_cmd->add_subcommand(
      "compare", "Compare runs per (model, config): the totals and every layer whose cycles or traffic changed, worst "
                 "first, then a summary (geometric mean of the total-cycles ratios, worst ratio). Exit 1 when a figure "
                 "got worse beyond the threshold, a verdict left bit-exact, or runs of one build and inputs differ; "
                 "wall-clock time is compared statistically and only warns unless --gate-speed");
  cmd->add_option("--baseline", compare.baseline, "Run report(s), sweep database(s), a baseline file, or a "
                                                  "recorded commit (hash prefix; +dirty for a dirty tree's runs)")
      ->required();
  cmd->add_option("--current", compare.current, "The same kinds (default: the newest recorded commit)");
  cmd->add_option("--threshold", args->thresholds, "Growth allowed before a figure counts as worse: \"1%\" "
                                                   "for every metric, \"cycles=2%\" for one (repeatable; "
                                                   "default 0: any increase)");
  cmd->add_flag("--gate-speed", compare.options.gate_speed, "Fail on a significant wall-clock slowdown (else "
                                                            "it warns)");
  cmd->add_option("--speed-factor", compare.options.speed_factor, "Wall-clock ratio that counts as a change "
                                                                  "(default 1.10)")
      ->check(CLI::Range(1.0, 100.0));
  cmd->add_option("--max-layers", compare.options.max_layers, "Changed layer figures printed per case (0: all; "
                                                              "default 20)")
      ->default_val(20);
  history_db->add_to(cmd);
  cmd->callback([&chosen, history_db, args] {
    chosen = {[history_db, args] {
                regress::CompareCommand command = args->command;
                command.db = history_db->path();
                for (const std::string& item : args->thresholds) regress::add_threshold(command.options.thresholds, item);
                return regress::run_regress_compare(command, std::cout);
              },
              false};
  });
}

// check and update-baseline: the same run of the matrix, compared or written.
void add_check_and_update(CLI::App* regress_cmd, ChosenCommand& chosen) {
  struct CheckArgs {
    regress::CheckOptions options;
    std::string baseline = "tests/baselines/standard.json", work;
    std::vector<std::string> matrix;
  };
  auto args = std::make_shared<CheckArgs>();
  regress::CheckOptions& check = args->options;
  auto* check_cmd = regress_cmd->add_subcommand(
      "check", "Run the baseline's matrix (its sweep specs) and compare every figure with the checked-in baseline: any "
               "change fails, an improvement too, until the baseline is updated (exit 1, the changes named)");
  auto* update_cmd = regress_cmd->add_subcommand(
      "update-baseline", "Run the matrix and rewrite the baseline with its figures, printing what changed and keeping "
                         "--reason in the file's history");
  for (CLI::App* cmd : {check_cmd, update_cmd}) {
    cmd->add_option("BASELINE", args->baseline, "Baseline file (default: tests/baselines/standard.json)");
    cmd->add_option("--work", args->work, "Folder for the matrix's sweeps (default: a temporary one, removed)");
    cmd->add_option("-j,--jobs", check.jobs, "Points run at once (default: the cores)")->check(CLI::Range(1, 4096));
    cmd->add_option("--max-layers", check.max_layers, "Changed layer figures printed per run (0: all; default 10)");
  }
  update_cmd->add_option("--reason", check.reason, "Why the figures change (required; kept in the file)")->required();
  update_cmd->add_option("--matrix", args->matrix, "Sweep specs of the matrix (default: the baseline's own)");
  const auto check_options = [args] {
    regress::CheckOptions options = args->options;
    options.baseline = args->baseline;
    if (!args->work.empty()) options.work_dir = args->work;
    options.matrix = to_paths(args->matrix);
    options.executable = sweep::current_executable();
    return options;
  };
  check_cmd->callback([&chosen, check_options] {
    chosen = {[check_options] { return regress::run_check(check_options(), std::cout); }, false};
  });
  update_cmd->callback([&chosen, check_options] {
    chosen = {[check_options] { return regress::run_update_baseline(check_options(), std::cout); }, false};
  });
}

void add_history(CLI::App* regress_cmd, const std::shared_ptr<HistoryDbArg>& history_db, ChosenCommand& chosen) {
  struct HistoryArgs {
    regress::HistoryOptions options;
    std::string model, config, layer, plot;
  };
  auto args = std::make_shared<HistoryArgs>();
  auto* cmd = regress_cmd->add_subcommand(
      "history", "A figure over the recorded commits (in recording order), per model and config: a table naming the "
                 "commits where it changed, and with --plot an SVG chart");
  cmd->add_option("--model", args->model, "Only this model");
  cmd->add_option("--config", args->config, "Only this config (its name, e.g. v3_96)");
  cmd->add_option("--layer", args->layer, "This layer's figure (default: the run's total)");
  cmd->add_option("--metric", args->options.metric, "The figure (default cycles; e.g. offchip_bytes, "
                                                    "stall_cycles)");
  cmd->add_option("--plot", args->plot, "Write the chart to this .svg file");
  history_db->add_to(cmd);
  cmd->callback([&chosen, history_db, args] {
    chosen = {[history_db, args] {
                regress::HistoryOptions options = args->options;
                options.db = history_db->path();
                options.model = optional_text(args->model);
                options.config = optional_text(args->config);
                options.layer = optional_text(args->layer);
                if (!args->plot.empty()) options.plot = args->plot;
                return regress::run_history(options, std::cout);
              },
              false};
  });
}

void add_bisect(CLI::App* regress_cmd, const std::shared_ptr<HistoryDbArg>& history_db, ChosenCommand& chosen) {
  struct BisectArgs {
    regress::BisectOptions options;
    std::string layer, metric;
  };
  auto args = std::make_shared<BisectArgs>();
  regress::BisectOptions& bisect = args->options;
  auto* cmd = regress_cmd->add_subcommand(
      "bisect", "The first recorded commit after --good whose figures of a model on a config differ from --good's (up "
                "to --bad); from the database, building nothing. Exit 0 found, 1 none differs");
  cmd->add_option("--good", bisect.good, "Recorded commit with the expected figures")->required();
  cmd->add_option("--bad", bisect.bad, "A later recorded commit")->required();
  cmd->add_option("--model", bisect.model, "Model name")->required();
  cmd->add_option("--config", bisect.config, "Config name (e.g. v3_96)")->required();
  cmd->add_option("--layer", args->layer, "Only this layer's figures");
  cmd->add_option("--metric", args->metric, "Only this figure (default: every figure)");
  history_db->add_to(cmd);
  cmd->callback([&chosen, history_db, args] {
    chosen = {[history_db, args] {
                regress::BisectOptions options = args->options;
                options.db = history_db->path();
                options.layer = optional_text(args->layer);
                options.metric = optional_text(args->metric);
                return regress::run_bisect(options, std::cout);
              },
              false};
  });
}

}  // namespace

void add_regress(CLI::App& app, ChosenCommand& chosen) {
  auto* cmd = app.add_subcommand(
      "regress", "Performance-regression tracking (docs/regression.md): record runs in a history database, compare "
                 "runs or commits, check the standard matrix against the checked-in baseline, show a figure's history, "
                 "find the commit that changed it. Exit 0 ok, 1 a regression (or any change, for check), 2 bad input");
  cmd->require_subcommand(1);
  auto history_db = std::make_shared<HistoryDbArg>();
  add_record(cmd, history_db, chosen);
  add_compare_runs(cmd, history_db, chosen);
  add_check_and_update(cmd, chosen);
  add_history(cmd, history_db, chosen);
  add_bisect(cmd, history_db, chosen);
}

}  // namespace wb::cli
