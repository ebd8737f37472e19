#pragma once
// What both back ends' programs hold the same way: the program message of the target's
// format, and when it was compiled here (not loaded from a file), the compiler's report and
// the program's text form. Each adapter supplies `qtensor_of(IoTensor)` for its format
// (found by argument-dependent lookup in the format's namespace).

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "workbench/target.h"

namespace wb {

template <class Program>
class ProgramOf : public TargetProgram {
 public:
  explicit ProgramOf(Program program) : program_(std::move(program)) {}
  ProgramOf(Program program, nlohmann::json compile_report, std::string text)
      : program_(std::move(program)), compile_report_(std::move(compile_report)), text_(std::move(text)) {}

  const isa::ProgramHeader& header() const override { return program_.header(); }
  isa::ProgramHeader& mutable_header() override { return *program_.mutable_header(); }

  std::vector<quant::QTensor> inputs() const override {
    std::vector<quant::QTensor> all;
    for (const auto& io : program_.inputs()) all.push_back(qtensor_of(io));
    return all;
  }

  const Program& program() const { return program_; }
  // The compiler's report; null for a loaded program.
  const nlohmann::json* compile_report() const { return compile_report_.is_null() ? nullptr : &compile_report_; }
  // The text form written beside the program (xDNN's .cmd, PULP's tiling log); empty when loaded.
  const std::string& text() const { return text_; }

 private:
  Program program_;
  nlohmann::json compile_report_;
  std::string text_;
};

// The back end's own program type behind the interface; a mix-up of targets is a bug.
template <class Program>
const ProgramOf<Program>& program_of(const TargetProgram& program, const char* target) {
  const auto* typed = dynamic_cast<const ProgramOf<Program>*>(&program);
  if (typed == nullptr) throw std::logic_error(std::string("the ") + target + " back end was given another target's program");
  return *typed;
}

// The program's text form and compile.json beside it, each atomically (the program file is
// the back end's); the file names written, program file first.
std::vector<std::string> write_program_files(const std::string& program_file, const std::string& text_file,
                                             const std::string& text, const nlohmann::json* compile_report,
                                             const std::filesystem::path& dir);

}  // namespace wb
