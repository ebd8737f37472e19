// `workbench infer MODEL`: float reference inference (workbench/infer.h).

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "compiler/golden/reference_executor.h"
#include "workbench/cli/commands.h"
#include "workbench/cli/shared_options.h"
#include "workbench/infer.h"

namespace wb::cli {

namespace {

struct InferArgs {
  InferOptions options;
  std::string model;
  std::vector<std::string> inputs, outputs, shapes;
  int threads = 0;
};

int infer(InferArgs args) {
  args.options.model = args.model;
  args.options.inputs = to_input_files(args.inputs);
  for (const std::string& shape : args.shapes) args.options.shapes.push_back(parse_shape_option(shape));
  args.options.outputs = {args.outputs.begin(), args.outputs.end()};
  if (args.threads > 0) set_reference_threads(args.threads);
  run_infer(args.options, std::cout);
  return kExitOk;
}

}  // namespace

void add_infer(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<InferArgs>();
  auto* cmd = app.add_subcommand("infer", "Float reference inference: runs the model on tensors from files "
                                          "(.npy or ONNX TensorProto .pb) or on seeded random inputs");
  cmd->add_option("MODEL", args->model, "ONNX model file")->required();
  add_input_option(cmd, args->inputs);
  add_shape_option(cmd, args->shapes);
  cmd->add_option("--output,-o", args->outputs, "Write the i-th graph output to the i-th file given (.npy/.pb by extension)");
  cmd->add_option("--seed", args->options.seed, "Seed of the random inputs")
      ->check(seed_validator())
      ->capture_default_str();
  cmd->add_option("--top", args->options.top_k, "How many top classes to print per output (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--threads", args->threads, "Worker threads (default: the cores other processes leave idle, fitted at each phase)")->check(CLI::Range(1, 1024));
  cmd->callback([&chosen, args] { chosen.run = [args] { return infer(*args); }; });
}

}  // namespace wb::cli
