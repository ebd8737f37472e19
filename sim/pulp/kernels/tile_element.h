#pragma once
// An 8-bit element of a tile in L1 as the kernels read it: int8 when the tensor is signed, else
// uint8 (the call's input_signed, input_b_signed or output_signed says which).

#include <cstdint>

namespace wb::sim::pulp {

template <bool Signed>
inline std::int32_t tile_element(const std::uint8_t* p) {
  if constexpr (Signed) {
    return static_cast<std::int8_t>(*p);
  } else {
    return *p;
  }
}

}  // namespace wb::sim::pulp
