#pragma once
// Element types of tensors in the IR. The set follows ONNX's numeric types that the
// supported operators accept; strings, complex and float16 are not represented.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace wb {

enum class DType : std::uint8_t {
  Undefined,  // type not (yet) known, e.g. downstream of an unsupported node
  F32,
  F64,
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  Bool,
};

std::size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "f32", "i8", ...
// The inverse of dtype_name; nullopt for an unknown name (and for "?").
std::optional<DType> dtype_from_name(std::string_view name);
bool is_float(DType dtype);
bool is_integer(DType dtype);  // Bool is not an integer type
bool is_signed(DType dtype);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, std::int8_t>) return DType::I8;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return DType::U8;
  else if constexpr (std::is_same_v<T, std::int16_t>) return DType::I16;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return DType::U16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return DType::U32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return DType::U64;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else static_assert(sizeof(T) == 0, "type has no DType");
}

template <class T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<T>{}) with the C++ type of `dtype`. Bool maps to bool.
// Undefined is a programming error and throws std::logic_error.
template <class Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn);

[[noreturn]] void throw_undefined_dtype();

template <class Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::F32: return std::forward<Fn>(fn)(TypeTag<float>{});
    case DType::F64: return std::forward<Fn>(fn)(TypeTag<double>{});
    case DType::I8: return std::forward<Fn>(fn)(TypeTag<std::int8_t>{});
    case DType::U8: return std::forward<Fn>(fn)(TypeTag<std::uint8_t>{});
    case DType::I16: return std::forward<Fn>(fn)(TypeTag<std::int16_t>{});
    case DType::U16: return std::forward<Fn>(fn)(TypeTag<std::uint16_t>{});
    case DType::I32: return std::forward<Fn>(fn)(TypeTag<std::int32_t>{});
    case DType::U32: return std::forward<Fn>(fn)(TypeTag<std::uint32_t>{});
    case DType::I64: return std::forward<Fn>(fn)(TypeTag<std::int64_t>{});
    case DType::U64: return std::forward<Fn>(fn)(TypeTag<std::uint64_t>{});
    case DType::Bool: return std::forward<Fn>(fn)(TypeTag<bool>{});
    case DType::Undefined: break;
  }
  throw_undefined_dtype();
}

}  // namespace wb
