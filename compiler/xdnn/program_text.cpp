#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "compiler/xdnn/compile.h"
#include "isa/xdnn_program.h"

namespace wb::xdnn {

namespace {

using isa::xdnn::Region;

std::string region_text(const Region& r) {
  const auto& l = r.layout();
  std::string text = fmt::format("{}@0x{:x}[{}x{}x{}", isa::xdnn::memory_name(r.memory()), r.address(), l.channels(),
                                 l.height(), l.width());
  if (l.channel_offset() != 0 || l.buffer_channels() != l.channels() * l.replication()) {
    text += fmt::format(" c{}/{}", l.channel_offset(), l.buffer_channels());
  }
  if (l.replication() > 1) text += fmt::format(" rep{}", l.replication());
  if (l.element_bytes() == 2) text += " i16";
  return text + "]";
}

std::string window_text(const isa::xdnn::Window& w) {
  return fmt::format("k={}x{} s={}x{} p={},{},{},{}{}{}", w.kernel_h(), w.kernel_w(), w.stride_h(), w.stride_w(),
                     w.pad_top(), w.pad_left(), w.pad_bottom(), w.pad_right(),
                     w.dilation_h() > 1 || w.dilation_w() > 1 ? fmt::format(" d={}x{}", w.dilation_h(), w.dilation_w())
                                                               : std::string(),
                     w.input_dilation_h() > 1 || w.input_dilation_w() > 1
                         ? fmt::format(" up={}x{}", w.input_dilation_h(), w.input_dilation_w())
                         : std::string());
}

std::string wait_text(const isa::xdnn::Wait& w) {
  std::vector<std::string> names;
  const auto add = [&](bool on, const char* name) {
    if (on) names.emplace_back(name);
  };
  add(w.download(), "download");
  add(w.upload(), "upload");
  add(w.conv(), "conv");
  add(w.pool(), "pool");
  add(w.eltwise(), "eltwise");
  add(w.weights(), "weights");
  add(w.host(), "host");
  add(w.dedicated(), "dedicated");
  return names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ","));
}

std::string requant_text(const isa::Requant& r) {
  return fmt::format("m={} off={} shift={} clamp=[{},{}]{}", fmt::join(r.multiplier(), ","), fmt::join(r.offset(), ","),
                     fmt::join(r.shift(), ","), r.lo(), r.hi(), r.intermediate_bits() == 16 ? " i16" : "");
}

// A table is 256 entries: its size and its first and last entries, enough to tell tables apart.
std::string table_text(const google::protobuf::RepeatedField<std::int32_t>& table) {
  if (table.size() <= 4) return fmt::format("table[{}]={{{}}}", table.size(), fmt::join(table, ","));
  return fmt::format("table[{}]={{{},{},...,{},{}}}", table.size(), table.Get(0), table.Get(1),
                     table.Get(table.size() - 2), table.Get(table.size() - 1));
}

std::string host_elementwise_text(const isa::xdnn::HostElementwise& h) {
  if (h.kind() == isa::xdnn::HOST_MUL) {
    return fmt::format("a={} b={} out={} {}", region_text(h.a()), region_text(h.b()), region_text(h.output()),
                       requant_text(h.requant()));
  }
  if (h.kind() == isa::xdnn::HOST_MATMUL) {
    return fmt::format("a={} b={} out={} {} heads={}{} {}", region_text(h.a()), region_text(h.b()),
                       region_text(h.output()), h.matmul_form() == isa::xdnn::MATMUL_SCORES ? "scores" : "context",
                       h.matmul_heads(), h.matmul_windows() > 1 ? fmt::format(" windows={}", h.matmul_windows()) : "",
                       requant_text(h.requant()));
  }
  if (h.kind() == isa::xdnn::HOST_RESIZE) {
    return fmt::format("in={} out={} rows={} cols={}", region_text(h.a()), region_text(h.output()),
                       h.resize_rows_size() / 3, h.resize_cols_size() / 3);
  }
  if (h.kind() == isa::xdnn::HOST_LAYERNORM) {
    return fmt::format("in={} out={} channels={} shift={}", region_text(h.a()), region_text(h.output()),
                       h.layernorm().gamma_multiplier_size(), h.layernorm().shift());
  }
  if (h.kind() == isa::xdnn::HOST_HWC_RESHAPE) return fmt::format("in={} out={}", region_text(h.a()), region_text(h.output()));
  if (h.kind() == isa::xdnn::HOST_EMBEDDING) {
    return fmt::format("ids={} table={} out={}", region_text(h.a()), region_text(h.b()), region_text(h.output()));
  }
  if (h.kind() == isa::xdnn::HOST_SOFTMAX || h.kind() == isa::xdnn::HOST_SOFTMAX_ROWS) {
    return fmt::format("in={} out={} exp_{}", region_text(h.a()), region_text(h.output()), table_text(h.exp_table()));
  }
  return fmt::format("in={} out={} {}", region_text(h.a()), region_text(h.output()), table_text(h.table()));
}

std::string copy_text(const isa::xdnn::Copy& c) {
  std::string text = fmt::format("{}@0x{:x} -> {}@0x{:x} bytes={}", isa::xdnn::memory_name(c.source_memory()),
                                 c.source(), isa::xdnn::memory_name(c.destination_memory()), c.destination(),
                                 isa::xdnn::copy_bytes(c));
  if (isa::xdnn::copy_bytes(c) != c.chunk_bytes()) {
    text += fmt::format(" chunks={}x{}x{} strides={}/{} row_strides={}/{}", std::max<std::uint64_t>(c.rows(), 1),
                        c.count(), c.chunk_bytes(), c.source_stride(), c.destination_stride(), c.source_row_stride(),
                        c.destination_row_stride());
  }
  if (c.intermediate()) text += " intermediate";
  if (c.staged_weights()) text += " staged_weights";
  return text;
}

}  // namespace

std::string program_to_cmd(const isa::xdnn::Program& program) {
  const auto& h = program.header();
  std::string text = fmt::format(
      "# xDNN program v{} for {} (fingerprint {}), model {}, scheme {}\n# options {}\n# {} instructions, {} "
      "weight bytes, {} DDR bytes\n",
      h.format_version(), h.hw_name(), h.hw_fingerprint(), h.model_name(), h.quant_scheme(), h.compile_options(),
      program.instrs_size(), program.weights().size(), program.ddr_bytes_used());
  if (program.image_queue().slots() > 0) {
    text += fmt::format("# throughput mode: image queue DDR@0x{:x}, {} slots of {} bytes\n", program.image_queue().address(),
                        program.image_queue().slots(), program.image_queue().slot_bytes());
  }
  for (const auto& instr : program.instrs()) {
    std::string body;
    switch (instr.op_case()) {
      case isa::xdnn::Instr::kConv: {
        const auto& c = instr.conv();
        body = fmt::format("in={} out={} {} groups={} filter=0x{:x} rows={}-{}", region_text(c.input()),
                           region_text(c.output()), window_text(c.window()), c.groups(), c.filter_address(),
                           c.row_begin(), c.row_end());
        if (c.has_pipelined_pool()) body += " pool:" + window_text(c.pipelined_pool().window());
        break;
      }
      case isa::xdnn::Instr::kPool:
        body = fmt::format("in={} out={} {}", region_text(instr.pool().input()), region_text(instr.pool().output()),
                           window_text(instr.pool().pool().window()));
        break;
      case isa::xdnn::Instr::kEltwise:
        body = fmt::format("a={} b={} out={}{}", region_text(instr.eltwise().a()), region_text(instr.eltwise().b()),
                           region_text(instr.eltwise().output()), instr.eltwise().requant().lo() == 0 ? " relu" : "");
        break;
      case isa::xdnn::Instr::kUpload: body = copy_text(instr.upload()); break;
      case isa::xdnn::Instr::kDownload: body = copy_text(instr.download()); break;
      case isa::xdnn::Instr::kLoadWeights: body = copy_text(instr.load_weights()); break;
      case isa::xdnn::Instr::kHostElementwise: body = host_elementwise_text(instr.host_elementwise()); break;
      case isa::xdnn::Instr::OP_NOT_SET: body = "?"; break;
    }
    if (instr.output_from_image_queue()) body += " out_from_image_queue";
    if (instr.source_from_image_queue()) body += " source_from_image_queue";
    if (instr.block() == isa::xdnn::BLOCK_DEDICATED) body += " block=dedicated";
    text += fmt::format("{} {} {} {} wait={}\n", instr.id(), isa::xdnn::instr_mnemonic(instr), instr.layer(), body,
                        wait_text(instr.wait()));
  }
  return text;
}

}  // namespace wb::xdnn
