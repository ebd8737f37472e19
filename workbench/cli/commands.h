#pragma once
// The `workbench` commands, one file each (workbench/cli/<command>.cpp). Each add_<command>
// registers its subcommand and options on the App, and a callback that CLI11 calls once the
// command line has parsed: it leaves the command's work for main to run.

#include <CLI/CLI.hpp>

#include <functional>

namespace wb::cli {

// DESIGN.md §4.5.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // not bit-exact, a regression, an internal error
inline constexpr int kExitBadInput = 2;  // bad input or usage, a network that cannot be mapped

// The command the user named, as its subcommand's callback leaves it.
struct ChosenCommand {
  std::function<int()> run;  // its work; returns the exit code
  // Long phases show their progress on stderr (support/progress.h); sweeps and regress draw
  // their own display, and --quiet shows none.
  bool show_progress = true;
};

// In the order `workbench --help` lists them.
void add_inspect(CLI::App& app, ChosenCommand& chosen);
void add_passes(CLI::App& app, ChosenCommand& chosen);
void add_infer(CLI::App& app, ChosenCommand& chosen);
void add_quantize(CLI::App& app, ChosenCommand& chosen);
void add_compile(CLI::App& app, ChosenCommand& chosen);
void add_run(CLI::App& app, ChosenCommand& chosen);
void add_sim(CLI::App& app, ChosenCommand& chosen);
void add_verify(CLI::App& app, ChosenCommand& chosen);
void add_hw(CLI::App& app, ChosenCommand& chosen);
void add_sweep(CLI::App& app, ChosenCommand& chosen);
void add_report(CLI::App& app, ChosenCommand& chosen);
void add_compare(CLI::App& app, ChosenCommand& chosen);
void add_regress(CLI::App& app, ChosenCommand& chosen);

}  // namespace wb::cli
