// `workbench hw show HW`: a hardware config resolved, with its derived figures (workbench/hw_show.h).

#include <iostream>
#include <memory>
#include <string>

#include "workbench/cli/commands.h"
#include "workbench/hw_show.h"

namespace wb::cli {

namespace {

struct HwShowArgs {
  HwShowCommand command;
  std::string json;
};

int hw_show(HwShowArgs args) {
  if (!args.json.empty()) args.command.json = args.json;
  run_hw_show(args.command, std::cout);
  return kExitOk;
}

}  // namespace

void add_hw(CLI::App& app, ChosenCommand& chosen) {
  auto* hw = app.add_subcommand("hw", "Hardware configs (configs/*.yaml, docs/hw_config.md)");
  hw->require_subcommand(1);

  auto args = std::make_shared<HwShowArgs>();
  auto* show = hw->add_subcommand("show", "Print a hardware config resolved (every key, its value and "
                                          "unit) and its derived figures (peak MAC/cycle, peak GOP/s)");
  show->add_option("HW", args->command.hw, "Hardware config YAML file")->required();
  show->add_option("--set", args->command.overrides, "Override a key by its dotted path: --set array.rows=56 "
                                                     "(repeatable; sizes take units: 5MiB, 512kB)")
      ->allow_extra_args(false);
  show->add_option("--json", args->json, "Also write the resolved config and derived figures as JSON");
  show->callback([&chosen, args] { chosen.run = [args] { return hw_show(*args); }; });
}

}  // namespace wb::cli
