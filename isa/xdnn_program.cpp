#include "isa/xdnn_program.h"

#include <fmt/format.h>

#include <algorithm>

#include "support/error.h"
#include "isa/program_file.h"
#include "support/file_io.h"

namespace wb::isa::xdnn {


std::string hw_fingerprint(const HwConfig& config) { return isa::hw_fingerprint(config); }

double ddr_bytes_per_cycle(const HwConfig& config) {
  const auto& hw = config.xdnn();
  return hw.ddr_gbps * 1e9 * hw.ddr_efficiency / (config.clock_mhz * 1e6);
}

void seal_program(Program& program) { seal(program, *program.mutable_header()); }

void save_program(const Program& program, const std::filesystem::path& path) { save_sealed(program, path); }

Program parse_program(std::string_view bytes, const std::filesystem::path& name) {
  return parse_checked<Program>(bytes, name, "xdnn", kXdnnFormatVersion, "an xDNN program");
}

Program load_program(const std::filesystem::path& path) { return parse_program(read_file_bytes(path), path); }

void check_program_matches(const Program& program, const HwConfig& config, const std::string& program_name) {
  check_header_matches(program.header(), config, program_name, Target::Xdnn, "an xDNN program");
}

std::uint64_t section_count(const TensorLayout& layout) {
  const std::uint64_t s = layout.section_channels();
  return (layout.buffer_channels() + s - 1) / s;
}

std::uint64_t row_bytes(const TensorLayout& layout) {
  return std::uint64_t{layout.width_stride()} * layout.section_channels() * layout.element_bytes();
}

std::uint64_t buffer_bytes(const TensorLayout& layout) {
  return section_count(layout) * layout.height() * row_bytes(layout);
}

std::uint64_t element_offset(const TensorLayout& layout, std::uint32_t c, std::uint32_t h, std::uint32_t w) {
  const std::uint64_t channel = std::uint64_t{layout.channel_offset()} + c;
  const std::uint64_t s = layout.section_channels();
  return ((channel / s) * layout.height() + h) * row_bytes(layout) +
         (std::uint64_t{w} * s + channel % s) * layout.element_bytes();
}

std::uint64_t replica_offset(const TensorLayout& layout, std::uint32_t c, std::uint32_t h, std::uint32_t w,
                             std::uint32_t copy) {
  // Copies of a replicated tensor are `buffer_channels / replication` lanes apart (a conv
  // that writes a block of the channels still writes every copy of its block).
  return element_offset(layout, c + copy * (layout.buffer_channels() / layout.replication()), h, w);
}

std::string layout_problem(const TensorLayout& layout) {
  if (layout.channels() == 0 || layout.height() == 0 || layout.width() == 0) return "empty tensor";
  for (const std::uint32_t v : {layout.channels(), layout.height(), layout.width(), layout.width_stride(),
                                layout.section_channels(), layout.buffer_channels(), layout.channel_offset()}) {
    if (v > kMaxLayoutDim) return fmt::format("a dimension of {} exceeds {}", v, kMaxLayoutDim);
  }
  if (layout.section_channels() == 0) return "section_channels is 0";
  if (layout.width_stride() < layout.width()) return "width_stride is less than the width";
  if (layout.element_bytes() != 1 && layout.element_bytes() != 2) return "element_bytes is not 1 or 2";
  if (layout.replication() == 0) return "replication is 0";
  if (layout.buffer_channels() % layout.replication() != 0) return "buffer_channels is not a multiple of replication";
  if (std::uint64_t{layout.channel_offset()} + layout.channels() > layout.buffer_channels() / layout.replication()) {
    return "channels lie beyond the buffer";
  }
  if (layout.replication() > 1 && layout.buffer_channels() > layout.section_channels()) {
    return "a replicated tensor must fit one section";
  }
  return {};
}

std::uint64_t copy_bytes(const Copy& copy) { return std::max<std::uint64_t>(copy.rows(), 1) * copy.count() * copy.chunk_bytes(); }

std::uint64_t weights_per_dsp(std::uint64_t groups, std::uint64_t channels_per_group, std::uint64_t outputs_per_group,
                              std::uint64_t replication, std::uint64_t kernel_h, std::uint64_t kernel_w,
                              std::uint64_t rows) {
  const std::uint64_t r = std::max<std::uint64_t>(replication, 1);
  const std::uint64_t g = std::max<std::uint64_t>(groups, 1);
  if (g > 1 && channels_per_group == 1 && outputs_per_group == 1) return kernel_h * kernel_w;
  const std::uint64_t sections = (channels_per_group * r + rows - 1) / rows;
  return g * sections * kernel_h * ((kernel_w + r - 1) / r);
}

std::uint64_t weights_per_dsp(const Conv& conv, std::uint64_t rows) {
  const auto& in = conv.input().layout();
  const std::uint64_t groups = std::max<std::uint32_t>(conv.groups(), 1);
  return weights_per_dsp(groups, in.channels() / groups, conv.output().layout().channels() / groups, in.replication(),
                         conv.window().kernel_h(), conv.window().kernel_w(), rows);
}

Copy linear_copy(Memory from, std::uint64_t source, Memory to, std::uint64_t destination, std::uint64_t bytes) {
  Copy c;
  c.set_source_memory(from);
  c.set_source(source);
  c.set_destination_memory(to);
  c.set_destination(destination);
  c.set_chunk_bytes(bytes);
  c.set_count(1);
  c.set_source_stride(bytes);
  c.set_destination_stride(bytes);
  return c;
}

std::vector<CheckedOutput> checked_outputs(const Layer& layer) {
  std::vector<CheckedOutput> outputs;
  if (!layer.output_materialized()) return outputs;
  if (layer.parts().empty()) outputs.push_back({&layer.output(), &layer.output_region()});
  for (const auto& part : layer.parts()) outputs.push_back({&part.output(), &part.output_region()});
  return outputs;
}

const char* memory_name(Memory memory) {
  switch (memory) {
    case MEMORY_AM: return "AM";
    case MEMORY_DDR: return "DDR";
    case MEMORY_FILTER_CACHE: return "filter cache";
    default: return "unknown memory";
  }
}

std::string instr_mnemonic(const Instr& instr) {
  switch (instr.op_case()) {
    case Instr::kConv:
      if (instr.conv().on_host()) return "XNInner(host)";
      return instr.conv().has_pipelined_pool()
                 ? (instr.conv().pipelined_pool().kind() == POOL_MAX ? "XNMaxPoolPipelined" : "XNAvgPoolPipelined")
                 : "XNConv";
    case Instr::kPool: return instr.pool().pool().kind() == POOL_MAX ? "XNMaxPool" : "XNAvgPool";
    case Instr::kEltwise: return "XNEltwise";
    case Instr::kUpload: return copy_bytes(instr.upload()) != instr.upload().chunk_bytes() ? "XNGather" : "XNUpload";
    case Instr::kDownload:
      return copy_bytes(instr.download()) != instr.download().chunk_bytes() ? "XNScatter" : "XNDownload";
    case Instr::kLoadWeights: return "XNLoadWeights";
    case Instr::kHostElementwise:
      switch (instr.host_elementwise().kind()) {
        case HOST_LUT: return "XNLut(host)";
        case HOST_MUL: return "XNMul(host)";
        case HOST_SOFTMAX: return "XNSoftmax(host)";
        case HOST_RESIZE: return "XNResize(host)";
        case HOST_LAYERNORM: return "XNLayerNorm(host)";
        case HOST_MATMUL: return "XNMatMul(host)";
        case HOST_SOFTMAX_ROWS: return "XNSoftmaxRows(host)";
        case HOST_HWC_RESHAPE: return "XNHwcReshape(host)";
        case HOST_EMBEDDING: return "XNEmbedding(host)";
        default: return "XNUnknown(host)";
      }
    case Instr::OP_NOT_SET: break;
  }
  return "XNUnknown";
}

}  // namespace wb::isa::xdnn
