// `workbench inspect MODEL`: the per-layer table of a model (workbench/inspect.h).

#include <iostream>
#include <memory>

#include "workbench/cli/commands.h"
#include "workbench/inspect.h"

namespace wb::cli {

void add_inspect(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<InspectCommand>();
  auto* cmd = app.add_subcommand("inspect", "Per-layer table of an ONNX model: name, op, shapes, params, "
                                            "MACs (after folding constants); totals; every node that does not import or cannot be "
                                            "quantized (exit 2 if any); with --hw, where each layer runs on that target");
  cmd->add_option("MODEL", args->model, "ONNX model file")->required();
  cmd->add_option("--json", args->json, "Also write the table as JSON to this file");
  cmd->add_flag("--ir", args->print_ir, "Also print the graph in the IR's text form");
  cmd->add_option("--passes", args->passes,
                  "Run a pipeline of graph passes first: 'default' or comma-separated names "
                  "(see `workbench passes`); prints what each pass did");
  cmd->add_flag("--print-after-all", args->print_after_all, "Print the IR after every pass that changed it");
  cmd->add_option("--print-after", args->print_after, "Print the IR after this pass (repeatable)");
  cmd->add_option("--dump-ir", args->dump_ir, "Write the printed IR into this folder, one file per pass");
  CompileRequest& target = args->partition;
  add_shape_option(cmd, target.shapes);
  auto* hw = cmd->add_option("--hw", target.hw,
                             "Also print where each layer runs on this hardware config (array, pool, eltwise, ddr, host "
                             "on xDNN; cores on PULP) and why a layer runs on the host; nothing is simulated");
  cmd->add_option("--set", target.overrides, "With --hw: override a hardware key (repeatable)")
      ->allow_extra_args(false)
      ->needs(hw);
  cmd->add_option("--compile-opt", target.compile_opts, "With --hw: a compiler switch name=value (repeatable)")
      ->allow_extra_args(false)
      ->needs(hw);
  cmd->add_option("--scheme", target.scheme,
                  "Quantization scheme whose integer forms are checked (default: the target's own with --hw, else "
                  "pow2)")
      ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}));
  cmd->callback([&chosen, args] {
    chosen.run = [args] {
      run_inspect(*args, std::cout);
      return kExitOk;
    };
  });
}

}  // namespace wb::cli
