// `workbench passes`: the graph passes and the default pipeline (compiler/passes/pass_registry.h).

#include <iostream>

#include "compiler/passes/pass_registry.h"
#include "workbench/cli/commands.h"

namespace wb::cli {

void add_passes(CLI::App& app, ChosenCommand& chosen) {
  auto* cmd = app.add_subcommand("passes", "List the graph passes and the default pipeline");
  cmd->callback([&chosen] {
    chosen.run = [] {
      std::cout << format_registered_passes();
      return kExitOk;
    };
  });
}

}  // namespace wb::cli
