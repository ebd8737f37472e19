#include "isa/xdnn_program.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "isa/error.h"

namespace wb::isa::xdnn {

namespace {

// FNV-1a, 64 bit: a fingerprint, not a security measure.
struct Fnv64 {
  std::uint64_t state = 0xcbf29ce484222325ULL;
  void add(std::string_view text) {
    for (const unsigned char ch : text) {
      state ^= ch;
      state *= 0x100000001b3ULL;
    }
    state ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    state *= 0x100000001b3ULL;
  }
};

std::string value_text(const HwValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{:.17g}", v);
        } else {
          return std::to_string(v);
        }
      },
      value);
}

}  // namespace

std::string hw_fingerprint(const HwConfig& config) {
  Fnv64 hash;
  hash.add(config.name);
  hash.add(fmt::format("{:.17g}", config.clock_mhz));
  for (const HwKeyValue& kv : resolved_keys(config)) {
    hash.add(kv.key.path);
    hash.add(value_text(kv.value));
  }
  return fmt::format("{:016x}", hash.state);
}

void save_program(const Program& program, const std::filesystem::path& path) {
  std::string bytes;
  if (!program.SerializeToString(&bytes)) throw std::runtime_error("cannot serialise the xDNN program");
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError(fmt::format("{}: cannot write (check the directory exists and is writable)", path.string()));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw UserError(fmt::format("{}: write failed (disk full?)", path.string()));
    }
  }
  std::filesystem::rename(temporary, path);
}

Program load_program(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot open the program file", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  Program program;
  if (!program.ParseFromString(buffer.str()) || program.header().target() != "xdnn") {
    throw UserError(fmt::format(
        "{}: not an xDNN program (corrupted, or not written by 'workbench compile'); compile the model again",
        path.string()));
  }
  if (program.header().format_version() != kXdnnFormatVersion) {
    throw UserError(fmt::format("{}: program format version {}, this workbench reads version {}; compile the model again",
                                path.string(), program.header().format_version(), kXdnnFormatVersion));
  }
  return program;
}

void check_program_matches(const Program& program, const HwConfig& config, const std::string& program_name) {
  if (config.target() != Target::Xdnn) {
    throw UserError(fmt::format("{}: an xDNN program cannot run on '{}', a {} config", program_name, config.name,
                                target_name(config.target())));
  }
  const std::string fingerprint = hw_fingerprint(config);
  if (program.header().hw_fingerprint() != fingerprint) {
    throw UserError(fmt::format(
        "{}: compiled for hardware '{}' (fingerprint {}), but the config is '{}' (fingerprint {}); compile it "
        "again for this config, with the same --set overrides",
        program_name, program.header().hw_name(), program.header().hw_fingerprint(), config.name, fingerprint));
  }
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
    case Instr::OP_NOT_SET: break;
  }
  return "XNUnknown";
}

}  // namespace wb::isa::xdnn
