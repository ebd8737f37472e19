#include "workbench/compile_xdnn.h"

#include <fmt/format.h>

#include <ostream>

#include "compiler/frontend/tensor_io.h"
#include "isa/error.h"
#include "isa/xdnn_program.h"

namespace wb {

CompiledModel compile_model(const CompileCommand& command, std::ostream& log) {
  CompiledModel result;
  result.config = load_hw_config(command.hw, command.overrides);
  if (result.config.target() != Target::Xdnn) {
    throw UserError(fmt::format("{}: a {} config; this command compiles for xdnn configs only so far (PULP lands with "
                                "issue #5)",
                                command.hw.string(), target_name(result.config.target())));
  }
  const xdnn::CompileOptions options = xdnn::parse_compile_options(command.compile_opts);
  result.quantized = run_quantize(command.quantize, log);
  result.compiled = xdnn::compile_xdnn(result.quantized.qgraph, result.config, options);
  return result;
}

void print_compile_summary(std::ostream& os, const xdnn::CompileResult& result) {
  const auto& r = result.report;
  const auto& schedule = r.at("schedule");
  const auto& allocation = r.at("allocation");
  os << fmt::format("compiled {} for {}: {} instructions, {} layers, {:.3f} GOP ({:.3f} GMAC)\n",
                    r.at("model").get<std::string>(), r.at("hw").get<std::string>(),
                    r.at("instructions").get<std::uint64_t>(), r.at("layers").size(),
                    static_cast<double>(r.at("ops").get<std::uint64_t>()) * 1e-9,
                    static_cast<double>(r.at("macs").get<std::uint64_t>()) * 1e-9);
  os << fmt::format("  schedule: {} valid schedules explored in {} regions; peak AM footprint {} bytes ({} in the "
                    "model's own order)\n",
                    schedule.at("valid_schedules").get<std::uint64_t>(), schedule.at("regions").get<int>(),
                    schedule.at("peak_am_bytes").get<std::uint64_t>(),
                    schedule.at("default_order_peak_am_bytes").get<std::uint64_t>());
  os << fmt::format("  AM allocation: strategy {}, extent {} of {} bytes, {} buffer(s) spilled\n",
                    allocation.at("strategy").get<std::string>(), allocation.at("extent_bytes").get<std::uint64_t>(),
                    allocation.at("am_bytes").get<std::int64_t>(), allocation.at("spilled_buffers").get<int>());
  os << fmt::format("  DDR: weights {} bytes; activations (moveops) {} bytes, of which spills {} bytes\n",
                    r.at("weight_bytes").get<std::uint64_t>(), r.at("moveops").get<std::uint64_t>(),
                    r.at("ddr_spill_bytes").get<std::uint64_t>());
}

void run_compile(const CompileCommand& command, std::ostream& log) {
  if (command.out_dir.empty()) throw UserError("compile: give an output folder with -o OUTDIR");
  std::filesystem::create_directories(command.out_dir);
  CompileCommand with_quant_files = command;
  with_quant_files.quantize.out_dir = command.out_dir;
  const CompiledModel model = compile_model(with_quant_files, log);
  print_compile_summary(log, model.compiled);
  isa::xdnn::save_program(model.compiled.program, command.out_dir / "program.xdnn");
  write_file_atomically(command.out_dir / "program.cmd", model.compiled.cmd);
  write_file_atomically(command.out_dir / "compile.json", model.compiled.report.dump(2) + "\n");
  log << fmt::format("wrote program.xdnn, program.cmd and compile.json to {}\n", command.out_dir.string());
}

}  // namespace wb
