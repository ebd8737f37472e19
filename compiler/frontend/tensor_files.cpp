#include "compiler/frontend/tensor_files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "compiler/frontend/tensor_proto.h"
#include "support/error.h"
#include "support/atomic_file.h"
#include "support/file_io.h"

namespace wb {
namespace {

constexpr std::string_view kNpyMagic = "\x93NUMPY";

struct NpyType {
  std::string_view descr;
  DType dtype;
};

constexpr NpyType kNpyTypes[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"|i1", DType::I8},  {"|u1", DType::U8},
    {"<i2", DType::I16}, {"<u2", DType::U16}, {"<i4", DType::I32}, {"<u4", DType::U32},
    {"<i8", DType::I64}, {"<u8", DType::U64}, {"|b1", DType::Bool},
};

DType dtype_from_descr(std::string descr, std::string_view source) {
  // '=' (native) is little endian here; single-byte types may be written with either prefix.
  if (!descr.empty() && (descr[0] == '=' || descr[0] == '<' || descr[0] == '|')) {
    for (const auto& t : kNpyTypes) {
      if (descr.substr(1) == t.descr.substr(1)) return t.dtype;
    }
  }
  throw UserError(fmt::format("{}: numpy dtype '{}' is not supported (use little-endian float32/64 or an integer type)",
                              source, descr));
}

std::string_view descr_of(DType dtype) {
  for (const auto& t : kNpyTypes) {
    if (t.dtype == dtype) return t.descr;
  }
  throw std::logic_error("no numpy dtype for this element type");
}

// The text between `open` and `close` after "'key':" in a .npy header dict.
std::optional<std::string> header_value(const std::string& header, const std::string& key, char open, char close) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) return std::nullopt;
  const auto colon = header.find(':', at);
  if (colon == std::string::npos) return std::nullopt;
  const auto begin = header.find(open, colon);
  if (begin == std::string::npos) return std::nullopt;
  const auto end = header.find(close, begin + 1);
  if (end == std::string::npos) return std::nullopt;
  return header.substr(begin + 1, end - begin - 1);
}

// The inside of a .npy header's shape tuple: "", "5,", "2, 3" (Python 2 wrote "2L, 3L").
Shape parse_shape_tuple(const std::string& text, std::string_view source) {
  const auto malformed = [&] {
    return UserError(fmt::format("{}: malformed shape '({})' in the .npy header", source, text));
  };
  Shape shape;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    std::string item = text.substr(begin, comma - begin);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty() && item.back() == 'L') item.pop_back();
    if (item.empty()) {
      // Only the trailing comma of a 1-tuple, or the empty tuple of a scalar, leaves nothing.
      if (comma < text.size() || (shape.empty() && begin > 0)) throw malformed();
      break;
    }
    if (!std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) throw malformed();
    // 18 digits always fit an int64; a longer dimension is no real array's.
    if (item.size() > 18) {
      throw UserError(fmt::format("{}: shape '({})' in the .npy header has a dimension too large", source, text));
    }
    shape.push_back(std::stoll(item));
    begin = comma + 1;
  }
  return shape;
}

}  // namespace

TensorFileFormat tensor_format_of(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".npy") return TensorFileFormat::Npy;
  if (ext == ".pb") return TensorFileFormat::Pb;
  throw UserError(fmt::format("{}: unknown tensor file extension '{}' (use .npy or .pb)", path.string(), ext));
}

Tensor parse_npy(std::string_view bytes, std::string_view source) {
  if (bytes.size() < 10 || bytes.substr(0, kNpyMagic.size()) != kNpyMagic) {
    throw UserError(fmt::format("{}: not a .npy file (bad magic)", source));
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw UserError(fmt::format("{}: truncated .npy header", source));
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw UserError(fmt::format("{}: .npy format version {} is not supported", source, major));
  }
  if (bytes.size() < header_start + header_len) throw UserError(fmt::format("{}: truncated .npy header", source));
  const std::string header(bytes.substr(header_start, header_len));

  const auto descr = header_value(header, "descr", '\'', '\'');
  const auto fortran = header_value(header, "fortran_order", ' ', ',');
  const auto shape = header_value(header, "shape", '(', ')');
  if (!descr || !fortran || !shape) throw UserError(fmt::format("{}: malformed .npy header '{}'", source, header));
  if (fortran->find("True") != std::string::npos) {
    throw UserError(fmt::format("{}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)", source));
  }
  const DType dtype = dtype_from_descr(*descr, source);
  const Shape dims = parse_shape_tuple(*shape, source);
  // Checked before allocating: a header of a few bytes may declare gigabytes.
  const std::size_t data_bytes = bytes.size() - (header_start + header_len);
  const auto count = static_cast<std::uint64_t>(num_elements(dims));
  if (count != data_bytes / dtype_size(dtype) || data_bytes % dtype_size(dtype) != 0) {
    throw UserError(fmt::format("{}: holds {} data bytes, shape {} of {} needs {}", source, data_bytes,
                                format_shape(dims), dtype_name(dtype),
                                count <= std::numeric_limits<std::uint64_t>::max() / dtype_size(dtype)
                                    ? fmt::format("{}", count * dtype_size(dtype))
                                    : std::string("more than 2^64")));
  }
  Tensor tensor(dtype, dims);
  const std::size_t data_start = header_start + header_len;
  if (tensor.nbytes() > 0) std::memcpy(tensor.raw(), bytes.data() + data_start, tensor.nbytes());
  normalize_bools(tensor);
  return tensor;
}

std::string serialize_npy(const Tensor& tensor) {
  // Python tuple syntax: "()", "(5,)", "(2, 3)".
  std::string shape = fmt::format("{}", fmt::join(tensor.shape(), ", "));
  if (tensor.rank() == 1) shape += ',';
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                   descr_of(tensor.dtype()), shape);
  // Pad with spaces so the data starts at a multiple of 64 bytes, newline-terminated.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kNpyMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes());
  return out;
}

Tensor read_tensor_file(const std::filesystem::path& path) {
  const auto format = tensor_format_of(path);
  const std::string bytes = read_file_bytes(path);
  if (format == TensorFileFormat::Npy) return parse_npy(bytes, path.string());
  return parse_tensor_pb(bytes, path.string(), path.parent_path());
}

Tensor parse_tensor_pb(std::string_view bytes, std::string_view source,
                       const std::optional<std::filesystem::path>& base_dir) {
  onnx::TensorProto proto;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw UserError(fmt::format("{}: not a valid ONNX TensorProto", source));
  }
  try {
    return tensor_from_proto(proto, base_dir);
  } catch (const UserError& e) {
    throw UserError(fmt::format("{}: {}", source, e.what()));
  }
}

void write_tensor_file(const std::filesystem::path& path, const Tensor& tensor, const std::string& name) {
  if (tensor_format_of(path) == TensorFileFormat::Npy) {
    write_file_atomically(path, serialize_npy(tensor));
  } else {
    write_file_atomically(path, tensor_to_proto(tensor, name).SerializeAsString());
  }
}

}  // namespace wb
