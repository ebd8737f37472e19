#include "compiler/frontend/tensor_proto.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "support/error.h"

namespace wb {
namespace {

using onnx::TensorProto;

// The bytes `count` elements of `dtype` take, nullopt beyond 2^64.
std::optional<std::uint64_t> bytes_of(std::uint64_t count, DType dtype) {
  const std::uint64_t size = dtype_size(dtype);
  if (count > std::numeric_limits<std::uint64_t>::max() / size) return std::nullopt;
  return count * size;
}

std::string format_bytes_of(std::uint64_t count, DType dtype) {
  const auto bytes = bytes_of(count, dtype);
  return bytes ? fmt::format("{}", *bytes) : std::string("more than 2^64");
}

// The values the typed field of the proto's element type holds (the one tensor_from_proto reads).
int typed_value_count(const TensorProto& proto) {
  switch (proto.data_type()) {
    case TensorProto::FLOAT: return proto.float_data_size();
    case TensorProto::DOUBLE: return proto.double_data_size();
    case TensorProto::INT64: return proto.int64_data_size();
    case TensorProto::UINT32:
    case TensorProto::UINT64: return proto.uint64_data_size();
    default: return proto.int32_data_size();
  }
}

// The caller has checked that the field holds tensor.numel() values.
template <class Field>
void copy_typed_field(const Field& field, Tensor& tensor) {
  visit_dtype(tensor.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = tensor.data<T>();
    for (int i = 0; i < field.size(); ++i) out[i] = static_cast<T>(field.Get(i));
  });
}

std::filesystem::path external_data_path(const TensorProto& proto, const std::filesystem::path& base_dir,
                                         std::int64_t& offset, std::int64_t& length) {
  std::string location;
  offset = 0;
  length = -1;
  for (const auto& entry : proto.external_data()) {
    try {
      if (entry.key() == "location") location = entry.value();
      if (entry.key() == "offset") offset = std::stoll(entry.value());
      if (entry.key() == "length") length = std::stoll(entry.value());
    } catch (const std::exception&) {
      throw UserError(fmt::format("initializer '{}': external_data {}='{}' is not a number", proto.name(),
                                  entry.key(), entry.value()));
    }
  }
  if (location.empty()) {
    throw UserError(fmt::format("initializer '{}' has external data without a 'location'", proto.name()));
  }
  const std::filesystem::path relative(location);
  bool escapes = relative.is_absolute();
  for (const auto& part : relative) escapes = escapes || part == "..";
  if (escapes) {
    throw UserError(fmt::format("initializer '{}': external data location '{}' must be a relative path inside the "
                                "model's folder",
                                proto.name(), location));
  }
  if (offset < 0) throw UserError(fmt::format("initializer '{}': negative external data offset", proto.name()));
  return base_dir / relative;
}

Tensor read_external(const TensorProto& proto, const std::optional<std::filesystem::path>& base_dir, DType dtype,
                     const Shape& shape) {
  if (!base_dir) {
    throw UserError(fmt::format("initializer '{}' uses external data, which needs the model's file path",
                                proto.name()));
  }
  std::int64_t offset = 0;
  std::int64_t length = -1;
  const auto path = external_data_path(proto, *base_dir, offset, length);
  const auto count = static_cast<std::uint64_t>(num_elements(shape));
  const auto expected = bytes_of(count, dtype);
  if (length >= 0 && (!expected || static_cast<std::uint64_t>(length) != *expected)) {
    throw UserError(fmt::format("initializer '{}': external data length {} does not match its shape {} ({} bytes)",
                                proto.name(), length, format_shape(shape), format_bytes_of(count, dtype)));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw UserError(fmt::format("initializer '{}': external data file '{}' not found (put it beside the model)",
                                proto.name(), path.string()));
  }
  // Checked before allocating: the shape may declare far more than the file holds.
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec || !expected || file_bytes < static_cast<std::uint64_t>(offset) || file_bytes - offset < *expected) {
    throw UserError(fmt::format("initializer '{}': external data file '{}' is too short ({} bytes needed at offset {})",
                                proto.name(), path.string(), format_bytes_of(count, dtype), offset));
  }
  Tensor tensor(dtype, shape);
  file.seekg(offset);
  file.read(reinterpret_cast<char*>(tensor.raw()), static_cast<std::streamsize>(tensor.nbytes()));
  if (static_cast<std::uint64_t>(file.gcount()) != tensor.nbytes()) {
    throw UserError(fmt::format("initializer '{}': external data file '{}' is too short ({} bytes needed at offset {})",
                                proto.name(), path.string(), tensor.nbytes(), offset));
  }
  return tensor;
}

}  // namespace

DType dtype_from_onnx(int onnx_type, std::string_view what) {
  switch (onnx_type) {
    case TensorProto::FLOAT: return DType::F32;
    case TensorProto::DOUBLE: return DType::F64;
    case TensorProto::INT8: return DType::I8;
    case TensorProto::UINT8: return DType::U8;
    case TensorProto::INT16: return DType::I16;
    case TensorProto::UINT16: return DType::U16;
    case TensorProto::INT32: return DType::I32;
    case TensorProto::UINT32: return DType::U32;
    case TensorProto::INT64: return DType::I64;
    case TensorProto::UINT64: return DType::U64;
    case TensorProto::BOOL: return DType::Bool;
    default: break;
  }
  const std::string type_name = TensorProto::DataType_IsValid(onnx_type)
                                    ? TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type))
                                    : std::to_string(onnx_type);
  throw UserError(fmt::format("{} has element type {}, which is not supported (use float, double or an integer type)",
                              what, type_name));
}

int dtype_to_onnx(DType dtype) {
  switch (dtype) {
    case DType::F32: return TensorProto::FLOAT;
    case DType::F64: return TensorProto::DOUBLE;
    case DType::I8: return TensorProto::INT8;
    case DType::U8: return TensorProto::UINT8;
    case DType::I16: return TensorProto::INT16;
    case DType::U16: return TensorProto::UINT16;
    case DType::I32: return TensorProto::INT32;
    case DType::U32: return TensorProto::UINT32;
    case DType::I64: return TensorProto::INT64;
    case DType::U64: return TensorProto::UINT64;
    case DType::Bool: return TensorProto::BOOL;
    case DType::Undefined: break;
  }
  return TensorProto::UNDEFINED;
}

Tensor tensor_from_proto(const TensorProto& proto, const std::optional<std::filesystem::path>& base_dir) {
  const std::string what = fmt::format("tensor '{}'", proto.name());
  const DType dtype = dtype_from_onnx(proto.data_type(), what);
  if (proto.has_segment()) throw UserError(fmt::format("{} is segmented, which is not supported", what));
  Shape shape(proto.dims().begin(), proto.dims().end());
  if (proto.data_location() == TensorProto::EXTERNAL) return read_external(proto, base_dir, dtype, shape);

  // Checked before allocating: a proto of a few bytes may declare gigabytes.
  const auto count = static_cast<std::uint64_t>(num_elements(shape));
  if (proto.has_raw_data()) {
    if (bytes_of(count, dtype) != proto.raw_data().size()) {
      throw UserError(fmt::format("{} has {} bytes of raw data but its shape {} of {} needs {}", what,
                                  proto.raw_data().size(), format_shape(shape), dtype_name(dtype),
                                  format_bytes_of(count, dtype)));
    }
  } else if (count != static_cast<std::uint64_t>(typed_value_count(proto))) {
    throw UserError(fmt::format("initializer '{}' has {} values but its shape {} needs {}", proto.name(),
                                typed_value_count(proto), format_shape(shape), count));
  }
  Tensor tensor(dtype, shape);
  if (proto.has_raw_data()) {
    if (tensor.nbytes() > 0) std::memcpy(tensor.raw(), proto.raw_data().data(), tensor.nbytes());
    normalize_bools(tensor);
    return tensor;
  }
  switch (proto.data_type()) {
    case TensorProto::FLOAT: copy_typed_field(proto.float_data(), tensor); break;
    case TensorProto::DOUBLE: copy_typed_field(proto.double_data(), tensor); break;
    case TensorProto::INT64: copy_typed_field(proto.int64_data(), tensor); break;
    case TensorProto::UINT32:
    case TensorProto::UINT64: copy_typed_field(proto.uint64_data(), tensor); break;
    default: copy_typed_field(proto.int32_data(), tensor); break;
  }
  return tensor;
}

void normalize_bools(Tensor& tensor) {
  if (tensor.dtype() != DType::Bool) return;
  std::byte* bytes = tensor.raw();
  for (std::size_t i = 0; i < tensor.nbytes(); ++i) bytes[i] = bytes[i] != std::byte{0} ? std::byte{1} : std::byte{0};
}

onnx::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(dtype_to_onnx(tensor.dtype()));
  for (std::int64_t dim : tensor.shape()) proto.add_dims(dim);
  proto.set_raw_data(std::string(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes()));
  return proto;
}

}  // namespace wb
