#include "compiler/quant/node_patterns.h"

#include <fmt/format.h>

#include <limits>

#include "compiler/ir/window_geometry.h"
#include "support/error.h"

namespace wb::quant {

std::optional<FusedActivation> activation_of(const Node& node) {
  if (node.op == OpKind::Relu) return FusedActivation::relu();
  if (node.op != OpKind::Clip) return std::nullopt;
  FusedActivation act =
      FusedActivation::clip(-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity());
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) {
    if (node.input(i) == nullptr) continue;
    const Tensor* bound = node.constant_input(i);
    if (bound == nullptr || bound->numel() != 1) return std::nullopt;
    (i == 1 ? act.min : act.max) = static_cast<float>(bound->as_double(0));
  }
  return act;
}

namespace {

void copy_window(QNode& q, const WindowGeometry& g) {
  q.kernel = g.kernel;
  q.strides = g.strides;
  q.dilations = g.dilations;
  q.pads_begin = g.pads_begin;
  q.pads_end = g.pads_end;
}

}  // namespace

void set_conv_window(QNode& q, const Node& conv, const std::vector<std::int64_t>& kernel) {
  copy_window(q, resolve_window(conv.attrs, conv.input(0)->shape, kernel));
  q.group = conv.attrs.get_int("group", 1);
}

void set_pool_window(QNode& q, const Node& pool) {
  const Shape& in = pool.input(0)->shape;
  if (pool.op == OpKind::GlobalAveragePool) {
    q.kernel = {in[2], in[3]};
    q.divisor = in[2] * in[3];
    return;
  }
  const WindowGeometry g =
      resolve_window(pool.attrs, in, pool.attrs.get_ints("kernel_shape"), pool.attrs.get_int("ceil_mode", 0) != 0);
  copy_window(q, g);
  if (pool.op != OpKind::AveragePool) return;
  const bool counts_pads = pool.attrs.get_int("count_include_pad", 0) != 0;
  for (std::size_t a = 0; a < 2; ++a) {
    const std::int64_t reach = (g.output[a] - 1) * g.strides[a] + (g.kernel[a] - 1) * g.dilations[a] + 1;
    const bool overhang = reach > g.input[a] + g.pads_begin[a] + g.pads_end[a];
    const bool padded = g.pads_begin[a] != 0 || g.pads_end[a] != 0;
    if (overhang || (padded && !counts_pads)) {
      throw UserError(fmt::format("node {}: average pooling whose windows divide by different counts (padding "
                                  "excluded from the count, or ceil_mode windows past the input) cannot be quantized",
                                  pool.name));
    }
  }
  q.divisor = g.kernel[0] * g.kernel[1];
}

}  // namespace wb::quant
