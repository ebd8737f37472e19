#pragma once
// Integer rounding the compilers and simulators share: sizes rounded up to an alignment,
// counts of whole pieces (bursts, column groups, tiles). The first argument's type is the
// result's; the second converts to it (align_up(bytes, 64)).

#include <concepts>
#include <type_traits>

namespace wb {

// ceil(a / b) for b > 0; a negative `a` rounds towards +infinity as well (-7 / 2 -> -3).
template <std::integral T>
constexpr T ceil_div(T a, std::type_identity_t<T> b) {
  if constexpr (std::signed_integral<T>) {
    if (a < 0) return -((-a) / b);
  }
  return (a + b - 1) / b;
}

// The smallest multiple of `alignment` (> 0) not below `value` (>= 0).
template <std::integral T>
constexpr T align_up(T value, std::type_identity_t<T> alignment) {
  return ceil_div(value, alignment) * alignment;
}

}  // namespace wb
