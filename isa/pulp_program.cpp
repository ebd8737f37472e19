#include "isa/pulp_program.h"

#include "isa/program_file.h"

namespace wb::isa::pulp {

const char* kernel_kind_name(KernelKind kind) {
  switch (kind) {
    case KERNEL_CONV: return "conv";
    case KERNEL_POINTWISE: return "pointwise";
    case KERNEL_DEPTHWISE: return "depthwise";
    case KERNEL_LINEAR: return "linear";
    case KERNEL_ADD: return "add";
    case KERNEL_MAXPOOL: return "maxpool";
    case KERNEL_AVGPOOL: return "avgpool";
    case KERNEL_GROUPED_CONV: return "grouped_conv";
    case KERNEL_LUT: return "lut";
    case KERNEL_MUL: return "mul";
    case KERNEL_GATHER: return "gather";
    case KERNEL_SOFTMAX: return "softmax";
    default: return "unknown";
  }
}

bool is_matmul(KernelKind kind) { return kind == KERNEL_CONV || kind == KERNEL_POINTWISE || kind == KERNEL_LINEAR; }

bool has_weights(KernelKind kind) {
  return is_matmul(kind) || kind == KERNEL_DEPTHWISE || kind == KERNEL_GROUPED_CONV;
}

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
