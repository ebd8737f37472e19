#include "compiler/passes/conv_transpose_to_conv.h"

#include "compiler/ir/shape_inference.h"
#include "compiler/ir/transposed_window.h"
#include "compiler/ir/window_geometry.h"

namespace wb {
namespace {

// Weights [C_out, C_in / group, K_h, K_w] from the ConvTranspose's [C_in, C_out / group, K_h,
// K_w]: the group's channel axes swapped, the taps flipped.
Tensor conv_weights(const Tensor& w, std::int64_t group) {
  const std::int64_t in_channels = w.shape()[0], group_out = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const std::int64_t group_in = in_channels / group;
  Tensor v(DType::F32, {group_out * group, group_in, kh, kw});
  const float* src = w.data<float>();
  float* dst = v.data<float>();
  for (std::int64_t gi = 0; gi < group; ++gi) {
    for (std::int64_t j = 0; j < group_out; ++j) {
      for (std::int64_t c = 0; c < group_in; ++c) {
        for (std::int64_t y = 0; y < kh; ++y) {
          for (std::int64_t x = 0; x < kw; ++x) {
            dst[(((gi * group_out + j) * group_in + c) * kh + y) * kw + x] =
                src[(((gi * group_in + c) * group_out + j) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)];
          }
        }
      }
    }
  }
  return v;
}

}  // namespace

bool ConvTransposeToConvPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    if (node->op != OpKind::ConvTranspose) continue;
    const Value* x = node->input(0);
    const Tensor* w = node->constant_input(1);
    if (x == nullptr || !x->has_type() || x->shape.size() != 4 || w == nullptr || w->dtype() != DType::F32 ||
        (node->input(2) != nullptr && node->constant_input(2) == nullptr)) {
      continue;
    }
    const TransposedWindow g = resolve_transposed_window(node->attrs, x->shape, {w->shape()[2], w->shape()[3]});
    std::vector<std::int64_t> pads(4);
    bool fits = true;
    for (std::size_t a = 0; a < 2; ++a) {
      const std::int64_t extent = (g.kernel[a] - 1) * g.dilations[a];
      pads[a] = extent - g.pads_begin[a];
      pads[a + 2] = extent - g.pads_end[a];
      fits = fits && pads[a] >= 0 && pads[a + 2] >= 0;
    }
    if (!fits) continue;
    const std::int64_t group = node->attrs.get_int("group", 1);
    Attributes attrs;
    attrs.set("kernel_shape", g.kernel);
    attrs.set("dilations", g.dilations);
    attrs.set("pads", pads);
    attrs.set("group", group);
    attrs.set(kInputDilationsAttr, g.strides);
    node->op = OpKind::Conv;
    node->op_type = "Conv";
    node->attrs = std::move(attrs);
    node->inputs[1] = graph.add_constant(graph.unique_value_name(node->name + "_conv_weight"), conv_weights(*w, group));
    stats.add("transposed convolutions as convolutions");
    changed = true;
  }
  return changed;
}

}  // namespace wb
