// `workbench compare REPORT...`: run reports side by side per layer (workbench/compare/compare_reports.h).

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "support/error.h"
#include "workbench/cli/commands.h"
#include "workbench/compare/compare_reports.h"

namespace wb::cli {

namespace {

struct CompareArgs {
  compare::CompareCommand command;
  std::vector<std::string> reports;
  std::string unit, csv;
};

int compare_reports(CompareArgs args) {
  compare::CompareCommand& command = args.command;
  command.reports = {args.reports.begin(), args.reports.end()};
  if (args.unit == "cycles") {
    command.unit = compare::TimeUnit::Cycles;
  } else if (args.unit == "us") {
    command.unit = compare::TimeUnit::Microseconds;
  } else if (!args.unit.empty()) {
    throw UserError(fmt::format("--unit {}: not a unit (cycles or us)", args.unit));
  }
  if (!args.csv.empty()) command.csv = args.csv;
  return compare::run_compare(command, std::cout);
}

}  // namespace

void add_compare(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare", "Put run reports (workbench run/sim/verify --json) side by side per layer: layers joined by the "
                 "tensors they write (fused layers with the unfused ones they stand for), time and MAC/cycle and "
                 "traffic, energy and energy-delay product per report with ratios to the first, the totals, and the layers "
                 "that moved most. Time in "
                 "cycles when the reports share target and clock, else in microseconds (docs/report.md)");
  cmd->add_option("REPORT", args->reports, "Run reports: the first is A, the one the others are "
                                           "measured against")
      ->required();
  cmd->add_option("--unit", args->unit, "cycles or us (default: cycles when the reports share "
                                        "target and clock, else us)");
  cmd->add_option("--csv", args->csv, "Also write the joined table as CSV (one line per row)");
  cmd->add_option("--stat", args->command.stats,
                  "Also a column per report of this layer statistic, summed over each row's layers (a count: "
                  "`l1_bytes_in`, `l1_bytes_out` of PULP reports, `ddr_weight_bytes` of xDNN's, `bytes_in`, "
                  "`tiles`, ...; repeatable; docs/report.md)")
      ->allow_extra_args(false);
  cmd->add_option("--top", args->command.top, "Rows listed as moved most, per report (0: none; "
                                              "default 5)")
      ->check(CLI::Range(0, 1000000));
  cmd->callback([&chosen, args] { chosen.run = [args] { return compare_reports(*args); }; });
}

}  // namespace wb::cli
