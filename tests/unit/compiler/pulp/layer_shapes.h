#pragma once
// Layer shapes the PULP tiler tests use: pointwise, 3x3 conv, MobileNetV1's depthwise and
// grouped 3x3 layers.

#include <cstdint>

#include "compiler/pulp/tile_geometry.h"

namespace wb::pulp {

inline LayerShape pointwise(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_POINTWISE;
  s.h_in = s.w_in = s.h_out = s.w_out = hw;
  s.c_in = c_in;
  s.c_out = c_out;
  return s;
}

inline LayerShape conv3x3(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out) {
  LayerShape s = pointwise(hw, c_in, c_out);
  s.kind = isa::pulp::KERNEL_CONV;
  s.k_h = s.k_w = 3;
  s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = 1;
  return s;
}

// MobileNetV1's depthwise layers: 3x3, pad 1, stride 1 or 2 (`hw` the output's side).
inline LayerShape depthwise3x3(std::uint32_t hw, std::uint32_t channels, std::uint32_t stride) {
  LayerShape s;
  s.kind = isa::pulp::KERNEL_DEPTHWISE;
  s.h_out = s.w_out = hw;
  s.h_in = s.w_in = hw * stride;
  s.c_in = s.c_out = channels;
  s.k_h = s.k_w = 3;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = 1;
  s.pad_bottom = s.pad_right = stride == 1 ? 1 : 0;
  return s;
}

inline LayerShape grouped3x3(std::uint32_t hw, std::uint32_t c_in, std::uint32_t c_out, std::uint32_t groups) {
  LayerShape s = conv3x3(hw, c_in, c_out);
  s.kind = isa::pulp::KERNEL_GROUPED_CONV;
  s.groups = groups;
  return s;
}

}  // namespace wb::pulp
