// `workbench quantize MODEL`: calibration and a scheme into the integer QGraph (workbench/quantize.h).

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "workbench/cli/commands.h"
#include "workbench/cli/shared_options.h"
#include "workbench/quantize.h"

namespace wb::cli {

namespace {

struct QuantizeArgs {
  QuantizeCommand command;
  std::string model;
  std::string scheme = "xdnn";
  std::string method = "max";
  std::string calib_dir, eval_dir, out_dir, dump_dir, save_inputs_dir;
  std::vector<std::string> shapes;
  int threads = 0;
  const CLI::Option* scheme_option = nullptr;
  const CLI::Option* percentile_option = nullptr;
};

std::optional<std::filesystem::path> optional_path(const std::string& path) {
  return path.empty() ? std::nullopt : std::optional<std::filesystem::path>(path);
}

int quantize(QuantizeArgs args) {
  if (args.threads > 0) set_reference_threads(args.threads);
  QuantizeCommand& command = args.command;
  command.model = args.model;
  command.quant.scheme = quant::parse_scheme(args.scheme);
  command.scheme_explicit = args.scheme_option->count() > 0;
  command.calibration.method = quant::parse_calibration_method(args.method);
  if (args.percentile_option->count() > 0 && command.calibration.method != quant::CalibrationMethod::Percentile) {
    throw UserError(fmt::format("--percentile {}: used only by --calib-method percentile (the method is {}); "
                                "add --calib-method percentile or drop --percentile",
                                command.calibration.percentile, args.method));
  }
  command.calib_dir = optional_path(args.calib_dir);
  command.eval_dir = optional_path(args.eval_dir);
  command.out_dir = optional_path(args.out_dir);
  command.dump_dir = optional_path(args.dump_dir);
  command.save_inputs_dir = optional_path(args.save_inputs_dir);
  for (const std::string& shape : args.shapes) command.given_shapes.push_back(parse_shape_option(shape));
  run_quantize(command, std::cout);
  return kExitOk;
}

}  // namespace

void add_quantize(CLI::App& app, ChosenCommand& chosen) {
  auto args = std::make_shared<QuantizeArgs>();
  QuantizeCommand& command = args->command;
  auto* cmd = app.add_subcommand(
      "quantize", "Quantize a float ONNX model (calibration + scheme) into the integer QGraph; write quant.json and "
                  "model.qdq.onnx; --report compares the integer golden model with the float one. Also reads an "
                  "already-quantized QDQ or QLinearConv model. See docs/quant.md");
  cmd->add_option("MODEL", args->model, "ONNX model file (float, or QDQ/QLinearConv)")->required();
  args->scheme_option = cmd->add_option("--scheme", args->scheme, "Quantization scheme: pow2 (Graffitist static), xdnn "
                                                                  "(xfDNN v3), pulp (NEMO/DORY/PULP-NN)")
                            ->capture_default_str()
                            ->check(CLI::IsMember({"pow2", "xdnn", "pulp"}));
  cmd->add_option("--bits", command.quant.bits, "Bits of weights and activations (8 or 16)")
      ->capture_default_str()
      ->check(CLI::IsMember({8, 16}));
  cmd->add_option("--first-layer-bits", command.quant.first_layer_bits,
                  "Bits of the first conv's weights and output (default: --bits)")
      ->check(CLI::IsMember({8, 16}));
  cmd->add_option("--last-layer-bits", command.quant.last_layer_bits,
                  "Bits of the last conv's weights and output (default: --bits)")
      ->check(CLI::IsMember({8, 16}));
  cmd->add_option("--calib", args->calib_dir, "Folder of calibration inputs (.npy/.pb, one file per input). "
                                              "Default: --calib-count seeded synthetic inputs");
  add_shape_option(cmd, args->shapes);
  cmd->add_option("--calib-count", command.calib_count, "Number of synthetic calibration inputs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", command.seed, "Seed of the synthetic inputs")->check(seed_validator())->capture_default_str();
  cmd->add_option("--calib-method", args->method, "Threshold method: max, percentile or entropy (KL, as "
                                                  "TensorRT)")
      ->capture_default_str()
      ->check(CLI::IsMember({"max", "percentile", "entropy"}));
  args->percentile_option = cmd->add_option("--percentile", command.calibration.percentile,
                                            "Percentile of |x| for --calib-method percentile")
                                ->capture_default_str()
                                ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--eval", args->eval_dir, "Folder of evaluation inputs for --report (default: the "
                                            "calibration inputs)");
  cmd->add_option("-o,--output", args->out_dir, "Folder for quant.json, model.qdq.onnx and report.json");
  cmd->add_flag("--report", command.report, "Fidelity report: per-layer SQNR of the integer golden model "
                                            "against the float model, output SQNR, top-1/top-5 agreement");
  cmd->add_option("--dump", args->dump_dir, "Write every integer tensor of the first evaluation input to this "
                                            "folder (.npy), to locate a mismatch layer by layer");
  cmd->add_option("--save-inputs", args->save_inputs_dir, "Write the evaluation inputs to this folder (.npy)");
  cmd->add_flag("--print", command.print_qgraph, "Print the QGraph");
  cmd->add_option("--threads", args->threads, "Worker threads (default: the cores other processes leave idle, fitted at each phase)")->check(CLI::Range(1, 1024));
  cmd->callback([&chosen, args] { chosen.run = [args] { return quantize(*args); }; });
}

}  // namespace wb::cli
