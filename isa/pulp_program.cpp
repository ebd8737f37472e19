#include "isa/pulp_program.h"

#include <algorithm>

#include "isa/program_file.h"
#include "support/file_io.h"
#include "support/math.h"

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
    case KERNEL_RESIZE: return "resize";
    case KERNEL_LAYERNORM: return "layernorm";
    case KERNEL_MATMUL: return "matmul";
    case KERNEL_PIXEL_COPY: return "pixel_gather";
    case KERNEL_EMBEDDING: return "embedding";
    default: return "unknown";
  }
}

bool is_matmul(KernelKind kind) { return kind == KERNEL_CONV || kind == KERNEL_POINTWISE || kind == KERNEL_LINEAR; }

bool has_weights(KernelKind kind) {
  return is_matmul(kind) || kind == KERNEL_DEPTHWISE || kind == KERNEL_GROUPED_CONV;
}

bool output_signed(const Layer& layer) {
  // The last call that writes back writes the output (a fused layer's depthwise calls write L1
  // only; a patch stage's earlier layers write their band buffers).
  const Step* first_call = nullptr;
  for (auto step = layer.steps().rbegin(); step != layer.steps().rend(); ++step) {
    if (!step->has_compute()) continue;
    if (step->write_back_size() > 0) return step->compute().output_signed();
    first_call = &*step;
  }
  return first_call != nullptr ? first_call->compute().output_signed() : layer.output_signed();
}

bool copies_only(KernelKind kind) { return kind == KERNEL_PIXEL_COPY || kind == KERNEL_EMBEDDING; }

std::uint64_t row_gather_id_cycles(const PulpParams& hw) {
  return static_cast<std::uint64_t>(2 + hw.core.load_use_stall_cycles + hw.dma_command_cycles);
}

const char* kernel_unit(KernelKind kind) {
  switch (kind) {
    case KERNEL_PIXEL_COPY: return "cluster_dma";
    case KERNEL_EMBEDDING: return "udma";
    default: return "cores";
  }
}

DmaCopy row_copy(const RowGather& gather, std::uint32_t t, std::uint32_t id) {
  return linear_copy(gather.table_memory(), gather.table() + std::uint64_t{id} * gather.row_bytes(),
                     gather.destination_memory(), gather.destination() + std::uint64_t{t} * gather.destination_stride(),
                     gather.row_bytes());
}

void seal_network(Network& network) { seal(network, *network.mutable_header()); }

void save_network(const Network& network, const std::filesystem::path& path) { save_sealed(network, path); }

Network parse_network(std::string_view bytes, const std::filesystem::path& name) {
  return parse_checked<Network>(bytes, name, "pulp", kPulpFormatVersion, "a PULP program");
}

Network load_network(const std::filesystem::path& path) { return parse_network(read_file_bytes(path), path); }

void check_network_matches(const Network& network, const HwConfig& config, const std::string& program_name) {
  check_header_matches(network.header(), config, program_name, Target::Pulp, "a PULP program");
}

DmaCopy linear_copy(Memory from, std::uint64_t source, Memory to, std::uint64_t destination, std::uint64_t bytes) {
  DmaCopy c;
  c.set_source_memory(from);
  c.set_source(source);
  c.set_destination_memory(to);
  c.set_destination(destination);
  c.set_chunk_bytes(bytes);
  c.set_count(1);
  return c;
}

DmaCopy strided_copy(Memory from, std::uint64_t source, std::uint64_t source_stride, Memory to,
                     std::uint64_t destination, std::uint64_t destination_stride, std::uint64_t chunk,
                     std::uint64_t count) {
  DmaCopy c = linear_copy(from, source, to, destination, chunk);
  c.set_count(count);
  c.set_source_stride(source_stride);
  c.set_destination_stride(destination_stride);
  return c;
}

std::uint64_t intermediate_l3_bytes(const Network& network) {
  const auto is_network_io = [&](std::uint64_t l3_address) {
    for (const auto* tensors : {&network.inputs(), &network.outputs()}) {
      for (const IoTensor& io : *tensors) {
        if (io.memory() != MEMORY_L3) continue;
        std::uint64_t bytes = (io.bits() + 7) / 8;
        for (const std::int64_t d : io.shape()) bytes *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
        if (l3_address >= io.address() && l3_address - io.address() < bytes) return true;
      }
    }
    return false;
  };
  const auto intermediate = [&](std::uint64_t l3_address) {
    return l3_address < network.l3_image_address() && !is_network_io(l3_address);
  };
  std::uint64_t bytes = 0;
  for (const auto& layer : network.layers()) {
    for (const auto& step : layer.steps()) {
      for (const DmaCopy& copy : step.l3_load()) {
        if (copy.source_memory() == MEMORY_L3 && intermediate(copy.source())) bytes += copy_bytes(copy);
      }
      for (const DmaCopy& copy : step.l3_store()) {
        if (copy.destination_memory() == MEMORY_L3 && intermediate(copy.destination())) {
          bytes += copy_bytes(copy);
        }
      }
    }
  }
  return bytes;
}

const char* memory_name(Memory memory) {
  switch (memory) {
    case MEMORY_L1: return "L1";
    case MEMORY_L2: return "L2";
    case MEMORY_L3: return "L3";
    default: return "?";
  }
}

std::uint64_t copy_bytes(const DmaCopy& copy) {
  return std::max<std::uint64_t>(copy.rows(), 1) * copy.count() * copy.chunk_bytes();
}

PixelBlock pointwise_howo_block(std::uint32_t h_out, std::uint32_t w_out, int core, int cores) {
  const auto n = static_cast<std::uint32_t>(std::max(cores, 1));
  const auto id = static_cast<std::uint32_t>(std::max(core, 0));
  const bool halves = h_out % n != 0 && w_out > 1 && n >= 2;
  const std::uint32_t groups = halves ? n / 2 : n, group = halves ? id / 2 : id;
  const std::uint32_t chunk = (h_out + groups - 1) / groups;
  PixelBlock b;
  b.row_begin = std::min(chunk * group, h_out);
  b.row_end = std::min(b.row_begin + chunk, h_out);
  if (group >= groups) b.row_begin = b.row_end = h_out;  // a core past the pairs (odd core counts)
  const bool second = halves && id % 2 == 1;
  b.col_begin = second ? w_out / 2 : 0;
  b.col_end = halves && !second ? w_out / 2 : w_out;
  return b;
}

bool depthwise_plane_applies(std::uint32_t k_h, std::uint32_t k_w, std::uint32_t stride_h, std::uint32_t stride_w) {
  return k_h == 3 && k_w == 3 && stride_h == stride_w && (stride_h == 1 || stride_h == 2);
}

std::uint64_t depthwise_plane_pitch(std::uint64_t padded_w_in) { return align_up<std::uint64_t>(padded_w_in, 4); }

std::uint64_t depthwise_plane_scratch_bytes(std::uint64_t padded_h_in, std::uint64_t padded_w_in) {
  return padded_h_in * depthwise_plane_pitch(padded_w_in) + 4;
}

}  // namespace wb::isa::pulp
