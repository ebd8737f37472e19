// `workbench compile MODEL --hw HW -o DIR`: the program and its files (workbench/compile.h).

#include <iostream>
#include <memory>
#include <string>

#include "workbench/cli/commands.h"
#include "workbench/cli/shared_options.h"
#include "workbench/compile.h"
#include "workbench/model_cache.h"

namespace wb::cli {

namespace {

struct CompileArgs {
  TargetArgs target;
  std::string out_dir;
  bool no_cache = false;
};

int compile(const CompileArgs& args) {
  CompileCommand command = to_compile_command(args.target);
  command.out_dir = args.out_dir;
  if (!args.no_cache) command.model_cache = default_cache_dir() / "models";
  run_compile(command, std::cout);
  return kExitOk;
}

}  // namespace

void add_compile(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<CompileArgs>();
  auto* cmd = app.add_subcommand(
      "compile", "Quantize and compile a model for a hardware config. xDNN: program.xdnn, program.cmd (one "
                 "instruction a line), compile.json (ops, moveops, per-layer rows). PULP: program.pulp, tiling.txt "
                 "(DORY-style tiling log), compile.json. Both: quant.json and model.qdq.onnx. See docs/xdnn.md, "
                 "docs/pulp.md");
  add_target_options(cmd, args->target);
  cmd->add_option("-o,--output", args->out_dir, "Output folder")->required();
  cmd->add_flag("--no-cache", args->no_cache,
                "Quantize again instead of taking the quantized model from the cache (as run does; see run --help)");
  cmd->callback([&chosen, args] { chosen.run = [args] { return compile(*args); }; });
}

}  // namespace wb::cli
