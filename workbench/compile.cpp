#include "workbench/compile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ostream>

#include "compiler/frontend/tensor_io.h"
#include "isa/error.h"
#include "workbench/target_program.h"

namespace wb {

namespace {

// "a, b and c".
std::string listed(const std::vector<std::string>& names) {
  if (names.size() < 2) return fmt::format("{}", fmt::join(names, ""));
  return fmt::format("{} and {}", fmt::join(names.begin(), names.end() - 1, ", "), names.back());
}

}  // namespace

std::vector<std::string> write_program_files(const std::string& program_file, const std::string& text_file,
                                             const std::string& text, const nlohmann::json* compile_report,
                                             const std::filesystem::path& dir) {
  write_file_atomically(dir / text_file, text);
  write_file_atomically(dir / "compile.json", (compile_report != nullptr ? compile_report->dump(2) : "{}") + std::string("\n"));
  return {program_file, text_file, "compile.json"};
}

CompiledModel compile_model(const CompileCommand& command, std::ostream& log) {
  CompiledModel result;
  result.config = load_hw_config(command.hw, command.overrides);
  result.backend = &backend_for(result.config);
  const OptionValues options = result.backend->compile_options().parse(command.compile_opts);
  result.quantized = run_quantize(command.quantize, log);
  result.program = result.backend->compile(result.quantized.qgraph, result.config, options);
  return result;
}

void run_compile(const CompileCommand& command, std::ostream& log) {
  if (command.out_dir.empty()) throw UserError("compile: give an output folder with -o OUTDIR");
  std::filesystem::create_directories(command.out_dir);
  CompileCommand with_quant_files = command;
  with_quant_files.quantize.out_dir = command.out_dir;
  const CompiledModel model = compile_model(with_quant_files, log);
  model.backend->print_compile_summary(*model.program, log);
  const std::vector<std::string> written = model.backend->write(*model.program, command.out_dir);
  log << fmt::format("wrote {} to {}\n", listed(written), command.out_dir.string());
}

}  // namespace wb
