#include "compiler/passes/avgpool_to_depthwise.h"

#include "compiler/ir/window_geometry.h"

namespace wb {
namespace {

// True when every output of the pool divides by the full window size: no padding that is
// left out of the count, and no ceil_mode window hanging past the padded input.
bool uniform_divisor(const Node& pool, const WindowGeometry& g) {
  const bool counts_pads = pool.attrs.get_int("count_include_pad", 0) != 0;
  for (std::size_t i = 0; i < g.rank(); ++i) {
    if (!counts_pads && (g.pads_begin[i] != 0 || g.pads_end[i] != 0)) return false;
    const std::int64_t last_end = (g.output[i] - 1) * g.strides[i] + g.kernel[i];
    if (last_end > g.input[i] + g.pads_begin[i] + g.pads_end[i]) return false;
  }
  return true;
}

// The depthwise weights hold one tap per channel and window element. A window with more
// elements than the input has pixels (huge padding counted in the divisor) would make the
// weights outgrow the activation they average, without bound: such a pool stays a pool, which
// the quantizer and both targets run as one.
bool window_within_input(const std::vector<std::int64_t>& kernel, const Shape& input) {
  const double taps = static_cast<double>(kernel[0]) * static_cast<double>(kernel[1]);
  return taps <= static_cast<double>(input[2]) * static_cast<double>(input[3]);
}

}  // namespace

bool AvgPoolToDepthwisePass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* pool : graph.nodes()) {
    const bool global = pool->op == OpKind::GlobalAveragePool;
    if (pool->op != OpKind::AveragePool && !global) continue;
    const Value* x = pool->input(0);
    if (!x->has_type() || x->dtype != DType::F32 || x->shape.size() != 4) continue;
    const std::int64_t channels = x->shape[1];
    std::vector<std::int64_t> kernel = global ? std::vector<std::int64_t>{x->shape[2], x->shape[3]}
                                              : pool->attrs.get_ints("kernel_shape");
    Attributes attrs;
    if (!global) {
      const WindowGeometry g = resolve_window(pool->attrs, x->shape, kernel, pool->attrs.get_int("ceil_mode", 0) != 0);
      if (!uniform_divisor(*pool, g) || !window_within_input(kernel, x->shape)) continue;
      std::vector<std::int64_t> pads = g.pads_begin;
      pads.insert(pads.end(), g.pads_end.begin(), g.pads_end.end());
      attrs.set("strides", g.strides);
      attrs.set("pads", pads);
    }
    attrs.set("kernel_shape", kernel);
    attrs.set("group", channels);
    Tensor weights(DType::F32, {channels, 1, kernel[0], kernel[1]});
    // In floating point: the window of an empty tensor's global pool may be too large for int64.
    const float reciprocal = static_cast<float>(1.0 / (static_cast<double>(kernel[0]) * static_cast<double>(kernel[1])));
    for (float& w : weights.span<float>()) w = reciprocal;
    pool->op = OpKind::Conv;
    pool->op_type = "Conv";
    pool->attrs = attrs;
    pool->inputs.push_back(graph.add_constant(graph.unique_value_name(pool->name + "_weight"), std::move(weights)));
    stats.add(global ? "global average pools as depthwise convs" : "average pools as depthwise convs");
    changed = true;
  }
  return changed;
}

}  // namespace wb
