#include "compiler/ir/dtype.h"

#include <stdexcept>

namespace wb {

void throw_undefined_dtype() { throw std::logic_error("operation on a tensor of undefined element type"); }

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F64:
    case DType::I64:
    case DType::U64: return 8;
    case DType::F32:
    case DType::I32:
    case DType::U32: return 4;
    case DType::I16:
    case DType::U16: return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool: return 1;
    case DType::Undefined: return 0;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::I8: return "i8";
    case DType::U8: return "u8";
    case DType::I16: return "i16";
    case DType::U16: return "u16";
    case DType::I32: return "i32";
    case DType::U32: return "u32";
    case DType::I64: return "i64";
    case DType::U64: return "u64";
    case DType::Bool: return "bool";
    case DType::Undefined: return "?";
  }
  return "?";
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType dtype : {DType::F32, DType::F64, DType::I8, DType::U8, DType::I16, DType::U16, DType::I32, DType::U32,
                      DType::I64, DType::U64, DType::Bool}) {
    if (dtype_name(dtype) == name) return dtype;
  }
  return std::nullopt;
}

bool is_float(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }

bool is_integer(DType dtype) { return dtype != DType::Undefined && dtype != DType::Bool && !is_float(dtype); }

bool is_signed(DType dtype) {
  switch (dtype) {
    case DType::F32:
    case DType::F64:
    case DType::I8:
    case DType::I16:
    case DType::I32:
    case DType::I64: return true;
    default: return false;
  }
}

}  // namespace wb
