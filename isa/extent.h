#pragma once
// Overflow-safe extent arithmetic for the pre-run checks of both program formats: a program
// written by hand (or damaged and re-sealed) may hold any 64-bit value, and a wrapped sum would
// let an access past a memory's end through.

#include <cstdint>
#include <optional>

namespace wb::isa {

// The bytes one side of a strided copy spans, from its first byte to one past its last:
// (rows - 1) * row_stride + (count - 1) * stride + chunk, with rows 0 taken as 1; nullopt when
// that does not fit 64 bits. `count` and `chunk` are at least 1.
inline std::optional<std::uint64_t> strided_span(std::uint64_t rows, std::uint64_t row_stride, std::uint64_t count,
                                                 std::uint64_t stride, std::uint64_t chunk) {
  std::uint64_t row_part = 0, item_part = 0, span = 0;
  if (__builtin_mul_overflow((rows == 0 ? 1 : rows) - 1, row_stride, &row_part) ||
      __builtin_mul_overflow(count - 1, stride, &item_part) || __builtin_add_overflow(row_part, item_part, &span) ||
      __builtin_add_overflow(span, chunk, &span)) {
    return std::nullopt;
  }
  return span;
}

// Whether [address, address + bytes) lies inside a memory of `size` bytes (no wrap-around).
inline bool inside(std::uint64_t address, std::uint64_t bytes, std::uint64_t size) {
  return address <= size && bytes <= size - address;
}

}  // namespace wb::isa
