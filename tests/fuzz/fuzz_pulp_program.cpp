// PULP tile programs (isa/pulp.proto) as `workbench sim` reads them: the flow of
// fuzz_program (tests/fuzz/fuzz_program_support.h) with the pulp loader and validator.

#include <cstdint>

#include "isa/pulp_program.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/fuzz/fuzz_program_support.h"

namespace {

struct PulpOps {
  static constexpr auto parse = &wb::isa::pulp::parse_network;
  static constexpr auto seal = &wb::isa::pulp::seal_network;
  static constexpr auto check_matches = &wb::isa::pulp::check_network_matches;
  static constexpr auto validate = &wb::sim::pulp::validate_network;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return wb::fuzz::fuzz_program<wb::isa::pulp::Network, PulpOps>(data, size, wb::Target::Pulp, "fuzz.pulp");
}
