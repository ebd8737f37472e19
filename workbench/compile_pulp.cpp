#include "workbench/compile_pulp.h"

#include <fmt/format.h>

#include <ostream>

#include "compiler/frontend/tensor_io.h"
#include "isa/error.h"
#include "isa/pulp_program.h"

namespace wb {

PulpCompiledModel compile_pulp_model(const CompileCommand& command, std::ostream& log) {
  PulpCompiledModel result;
  result.config = load_hw_config(command.hw, command.overrides);
  result.config.pulp();  // a UserError naming the config when it is an xdnn one
  const pulp::CompileOptions options = pulp::parse_compile_options(command.compile_opts);
  result.quantized = run_quantize(command.quantize, log);
  result.compiled = pulp::compile_pulp(result.quantized.qgraph, result.config, options);
  return result;
}

void print_pulp_compile_summary(std::ostream& os, const pulp::CompileResult& result) {
  const auto& r = result.report;
  os << fmt::format("compiled {} for {} (tiler={}): {} layers, {:.3f} GMAC; L2 used {} bytes, L3 {} bytes (weights "
                    "{}); predicted {} cycles\n",
                    result.network.header().model_name(), r.at("hw").get<std::string>(),
                    r.at("tiler").get<std::string>(), r.at("layers").size(),
                    static_cast<double>(r.at("macs").get<std::uint64_t>()) * 1e-9,
                    r.at("l2_bytes_used").get<std::uint64_t>(), r.at("l3_bytes_used").get<std::uint64_t>(),
                    r.at("l3_weight_bytes").get<std::uint64_t>(), r.at("predicted_cycles").get<std::uint64_t>());
}

void run_compile_pulp(const CompileCommand& command, std::ostream& log) {
  if (command.out_dir.empty()) throw UserError("compile: give an output folder with -o OUTDIR");
  std::filesystem::create_directories(command.out_dir);
  CompileCommand with_quant_files = command;
  with_quant_files.quantize.out_dir = command.out_dir;
  const PulpCompiledModel model = compile_pulp_model(with_quant_files, log);
  print_pulp_compile_summary(log, model.compiled);
  isa::pulp::save_network(model.compiled.network, command.out_dir / "program.pulp");
  write_file_atomically(command.out_dir / "tiling.txt", model.compiled.tiling_log);
  write_file_atomically(command.out_dir / "compile.json", model.compiled.report.dump(2) + "\n");
  log << fmt::format("wrote program.pulp, tiling.txt and compile.json to {}\n", command.out_dir.string());
}

}  // namespace wb
