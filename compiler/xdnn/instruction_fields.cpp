#include "compiler/xdnn/instruction_fields.h"

#include <algorithm>

namespace wb::xdnn {

isa::xdnn::Window window_of(const quant::QNode& node) {
  isa::xdnn::Window w;
  w.set_kernel_h(static_cast<std::uint32_t>(node.kernel[0]));
  w.set_kernel_w(static_cast<std::uint32_t>(node.kernel[1]));
  w.set_stride_h(static_cast<std::uint32_t>(node.strides[0]));
  w.set_stride_w(static_cast<std::uint32_t>(node.strides[1]));
  w.set_pad_top(static_cast<std::uint32_t>(node.pads_begin[0]));
  w.set_pad_left(static_cast<std::uint32_t>(node.pads_begin[1]));
  w.set_pad_bottom(static_cast<std::uint32_t>(node.pads_end[0]));
  w.set_pad_right(static_cast<std::uint32_t>(node.pads_end[1]));
  w.set_dilation_h(static_cast<std::uint32_t>(node.dilations[0]));
  w.set_dilation_w(static_cast<std::uint32_t>(node.dilations[1]));
  if (node.input_dilations[0] != 1 || node.input_dilations[1] != 1) {
    w.set_input_dilation_h(static_cast<std::uint32_t>(node.input_dilations[0]));
    w.set_input_dilation_w(static_cast<std::uint32_t>(node.input_dilations[1]));
  }
  return w;
}

isa::xdnn::Window window_of_rows(const quant::QNode& node, RowRange out, std::uint32_t in_begin, std::uint32_t in_end) {
  isa::xdnn::Window w = window_of(node);
  const std::int64_t reach = (node.kernel[0] - 1) * node.dilations[0] + 1;
  const std::int64_t lo = std::int64_t{out.begin} * node.strides[0] - node.pads_begin[0];
  const std::int64_t hi = (std::int64_t{out.end} - 1) * node.strides[0] - node.pads_begin[0] + reach;
  w.set_pad_top(static_cast<std::uint32_t>(in_begin - lo));
  w.set_pad_bottom(static_cast<std::uint32_t>(std::max<std::int64_t>(hi - in_end, 0)));
  return w;
}

isa::Requant requant_of(const quant::Requant& requant, std::size_t begin, std::size_t end, std::size_t channels) {
  isa::Requant out;
  const auto slice = [&](const auto& values, auto add) {
    if (values.size() == channels && channels > 1) {
      for (std::size_t c = begin; c < end; ++c) add(values[c]);
    } else {
      for (const auto v : values) add(v);
    }
  };
  slice(requant.multiplier, [&](std::int64_t v) { out.add_multiplier(v); });
  slice(requant.offset, [&](std::int64_t v) { out.add_offset(v); });
  slice(requant.shift, [&](int v) { out.add_shift(v); });
  out.set_lo(requant.lo);
  out.set_hi(requant.hi);
  out.set_intermediate_bits(static_cast<std::uint32_t>(requant.intermediate_bits));
  return out;
}

isa::LayerNorm layernorm_of(const quant::LayerNormParams& p) {
  isa::LayerNorm ln;
  ln.set_shift(p.shift);
  ln.set_eps_mantissa(p.eps_mantissa);
  ln.set_eps_exponent(p.eps_exponent);
  ln.set_eps_ceil(p.eps_ceil);
  for (const std::int64_t g : p.gamma_multiplier) ln.add_gamma_multiplier(g);
  for (const std::int64_t b : p.beta_offset) ln.add_beta_offset(b);
  ln.set_lo(p.output_lo);
  ln.set_hi(p.output_hi);
  ln.set_rms(p.rms);
  return ln;
}

}  // namespace wb::xdnn
