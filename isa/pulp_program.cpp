#include "isa/pulp_program.h"

#include "isa/program_file.h"

namespace wb::isa::pulp {

void save_network(const Network& network, const std::filesystem::path& path) { save_message(network, path); }

Network load_network(const std::filesystem::path& path) {
  Network network;
  const bool parsed = network.ParseFromString(read_file_bytes(path));
  check_header(network.header(), parsed, "pulp", kPulpFormatVersion, path, "a PULP program");
  return network;
}

void check_network_matches(const Network& network, const HwConfig& config, const std::string& program_name) {
  check_header_matches(network.header(), config, program_name, Target::Pulp, "a PULP program");
}

}  // namespace wb::isa::pulp
