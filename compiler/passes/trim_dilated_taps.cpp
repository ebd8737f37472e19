#include "compiler/passes/trim_dilated_taps.h"

#include <optional>

#include "compiler/ir/shape_inference.h"
#include "compiler/ir/window_geometry.h"

namespace wb {
namespace {

// The kept taps of one axis, [first, last], and its new pads; nullopt when nothing is dropped
// or the pads would turn negative (a tap that reads no padding for some output is never dropped,
// so a kept range always starts and ends in live taps).
struct AxisTrim {
  std::int64_t first = 0, last = 0, pad_begin = 0, pad_end = 0;
};

bool tap_is_live(const WindowGeometry& g, std::size_t a, std::int64_t tap) {
  for (std::int64_t o = 0; o < g.output[a]; ++o) {
    const std::int64_t at = o * g.strides[a] - g.pads_begin[a] + tap * g.dilations[a];
    if (at >= 0 && at < g.input[a]) return true;
  }
  return false;
}

std::optional<AxisTrim> trim_axis(const WindowGeometry& g, std::size_t a) {
  if (g.dilations[a] <= 1) return std::nullopt;
  AxisTrim t;
  t.first = 0;
  t.last = g.kernel[a] - 1;
  while (t.first <= t.last && !tap_is_live(g, a, t.first)) ++t.first;
  while (t.last >= t.first && !tap_is_live(g, a, t.last)) --t.last;
  if (t.first > t.last || (t.first == 0 && t.last == g.kernel[a] - 1)) return std::nullopt;
  t.pad_begin = g.pads_begin[a] - t.first * g.dilations[a];
  // The same outputs: the last window starts at (output - 1) * stride - pad_begin and spans
  // (kept - 1) * dilation + 1.
  t.pad_end = (g.output[a] - 1) * g.strides[a] + (t.last - t.first) * g.dilations[a] + 1 - g.input[a] - t.pad_begin;
  if (t.pad_begin < 0 || t.pad_end < 0) return std::nullopt;
  return t;
}

// Weights [O, I, kH, kW] cut to rows [r.first, r.last] and columns [c.first, c.last].
Tensor cut_weights(const Tensor& w, const AxisTrim& r, const AxisTrim& c) {
  const Shape& s = w.shape();
  const std::int64_t kh = r.last - r.first + 1, kw = c.last - c.first + 1;
  Tensor out(DType::F32, {s[0], s[1], kh, kw});
  const float* in = w.data<float>();
  float* o = out.data<float>();
  for (std::int64_t filter = 0; filter < s[0] * s[1]; ++filter) {
    for (std::int64_t y = 0; y < kh; ++y) {
      for (std::int64_t x = 0; x < kw; ++x) {
        o[(filter * kh + y) * kw + x] = in[(filter * s[2] + r.first + y) * s[3] + c.first + x];
      }
    }
  }
  return out;
}

}  // namespace

bool TrimDilatedTapsPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.nodes()) {
    if (node->op != OpKind::Conv || node->attrs.get_string("auto_pad", "NOTSET") != "NOTSET" ||
        has_input_dilations(node->attrs)) {
      continue;
    }
    const Tensor* w = node->constant_input(1);
    const Value* x = node->input(0);
    if (w == nullptr || w->dtype() != DType::F32 || w->shape().size() != 4 || x == nullptr || x->shape.size() != 4) {
      continue;
    }
    const WindowGeometry g = resolve_window(node->attrs, x->shape, {w->shape()[2], w->shape()[3]});
    const std::optional<AxisTrim> rows = trim_axis(g, 0), cols = trim_axis(g, 1);
    if (!rows && !cols) continue;
    const AxisTrim r = rows.value_or(AxisTrim{0, g.kernel[0] - 1, g.pads_begin[0], g.pads_end[0]});
    const AxisTrim c = cols.value_or(AxisTrim{0, g.kernel[1] - 1, g.pads_begin[1], g.pads_end[1]});
    const Shape shape_before = node->output(0)->shape;
    const Attributes attrs_before = node->attrs;
    Value* weights_before = node->inputs[1];
    node->inputs[1] = graph.add_constant(graph.unique_value_name(node->name + "_trimmed_weight"), cut_weights(*w, r, c));
    const std::int64_t kh = r.last - r.first + 1, kw = c.last - c.first + 1;
    node->attrs.set("kernel_shape", std::vector<std::int64_t>{kh, kw});
    node->attrs.set("pads", std::vector<std::int64_t>{r.pad_begin, c.pad_begin, r.pad_end, c.pad_end});
    node->attrs.set("dilations", std::vector<std::int64_t>{kh == 1 ? 1 : g.dilations[0], kw == 1 ? 1 : g.dilations[1]});
    if (!infer_node(*node) || node->output(0)->shape != shape_before) {
      // Not expected (the pads keep every output); keep the node as it was.
      Value* trimmed = node->inputs[1];
      node->attrs = attrs_before;
      node->inputs[1] = weights_before;
      infer_node(*node);
      graph.erase_value(trimmed);
      continue;
    }
    if (graph.users(weights_before).empty() && !graph.is_graph_output(weights_before)) graph.erase_value(weights_before);
    stats.add("dilated convs trimmed");
    stats.add("taps dropped", (g.kernel[0] * g.kernel[1] - kh * kw));
    changed = true;
  }
  return changed;
}

}  // namespace wb
