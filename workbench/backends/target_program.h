#pragma once
// What both back ends' programs hold the same way: the program message of the target's
// format, and when it was compiled here (not loaded from a file), the compiler's report and
// the program's text form. Each adapter supplies `qtensor_of(IoTensor)` for its format
// (found by argument-dependent lookup in the format's namespace).

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "workbench/backends/target.h"

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

// The QTensor of a program input of either format (name, shape, bits, scale; its signedness
// as the format records it): what a float input is quantised with, as the golden model does.
template <class IoTensor>
quant::QTensor io_qtensor(const IoTensor& io, bool is_signed) {
  quant::QTensor t;
  t.name = io.name();
  t.shape.assign(io.shape().begin(), io.shape().end());
  t.source_shape.assign(io.source_shape().begin(), io.source_shape().end());
  t.bits = static_cast<int>(io.bits());
  t.is_signed = is_signed;
  t.scale = io.scale();
  return t;
}

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

// How one program format's files are saved, read and checked against a config
// (isa/<target>_program.h).
template <class Program>
struct ProgramFiles {
  void (*save)(const Program&, const std::filesystem::path&);
  Program (*load)(const std::filesystem::path&);
  void (*check_matches)(const Program&, const HwConfig&, const std::string& program_name);
  const char* text_file;  // the text form written beside the program: "program.cmd"
};

// A back end whose programs are `Program` messages. Writing and loading them is the same for
// every format: the program file, its text form and compile.json; a loaded program checked
// against the config.
template <class Program>
class BackendOf : public TargetBackend {
 public:
  BackendOf(const TargetDescription& description, ProgramFiles<Program> files)
      : TargetBackend(description), files_(files) {}

  std::vector<std::string> write(const TargetProgram& program, const std::filesystem::path& dir) const override {
    const ProgramOf<Program>& p = typed(program);
    const std::string file = program_file_name();
    files_.save(p.program(), dir / file);
    return write_program_files(file, files_.text_file, p.text(), p.compile_report(), dir);
  }

  std::unique_ptr<TargetProgram> load(const std::filesystem::path& path, const HwConfig& config) const override {
    Program program = files_.load(path);
    files_.check_matches(program, config, path.string());
    return std::make_unique<ProgramOf<Program>>(std::move(program));
  }

 protected:
  const ProgramOf<Program>& typed(const TargetProgram& program) const { return program_of<Program>(program, name()); }

 private:
  ProgramFiles<Program> files_;
};

}  // namespace wb
