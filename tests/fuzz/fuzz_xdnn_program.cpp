// xDNN programs (isa/xdnn.proto) as `workbench sim` reads them: the flow of
// fuzz_program (tests/fuzz/fuzz_program_support.h) with the xdnn loader and validator.

#include <cstdint>

#include "isa/xdnn_program.h"
#include "sim/xdnn/xdnn_sim.h"
#include "tests/fuzz/fuzz_program_support.h"

namespace {

struct XdnnOps {
  static constexpr auto parse = &wb::isa::xdnn::parse_program;
  static constexpr auto seal = &wb::isa::xdnn::seal_program;
  static constexpr auto check_matches = &wb::isa::xdnn::check_program_matches;
  static constexpr auto validate = &wb::sim::xdnn::validate_program;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return wb::fuzz::fuzz_program<wb::isa::xdnn::Program, XdnnOps>(data, size, wb::Target::Xdnn, "fuzz.xdnn");
}
