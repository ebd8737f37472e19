#include "workbench/backends/target_program.h"

#include "support/atomic_file.h"

namespace wb {

std::vector<std::string> write_program_files(const std::string& program_file, const std::string& text_file,
                                             const std::string& text, const nlohmann::json* compile_report,
                                             const std::filesystem::path& dir) {
  write_file_atomically(dir / text_file, text);
  write_file_atomically(dir / "compile.json", (compile_report != nullptr ? compile_report->dump(2) : "{}") + std::string("\n"));
  return {program_file, text_file, "compile.json"};
}

}  // namespace wb
