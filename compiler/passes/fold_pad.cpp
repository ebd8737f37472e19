#include "compiler/passes/fold_pad.h"

#include "compiler/ir/window_geometry.h"

#include <algorithm>
#include <cmath>

#include "compiler/ir/fusion.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

bool produces_non_negative(const Value* value) {
  const Node* p = value->producer;
  if (p == nullptr) return false;
  if (p->op == OpKind::Relu) return true;
  if (p->op == OpKind::Clip) {
    const auto lo = rewrite::constant_scalar(*p, 1);
    return lo && *lo >= 0;
  }
  if (p->op == OpKind::Conv || p->op == OpKind::Gemm) {
    const FusedActivation act = FusedActivation::of(*p);
    return act.kind == FusedActivation::Kind::Relu || (act.kind == FusedActivation::Kind::Clip && act.min >= 0);
  }
  return false;
}

// The spatial pads (ONNX order: begins then ends) of a Pad on [N, C, spatial...] if it pads
// only spatial axes, by non-negative amounts.
std::optional<std::vector<std::int64_t>> spatial_pads(const Node& pad) {
  const Tensor* pads_t = pad.constant_input(1);
  if (pads_t == nullptr || pad.attrs.get_string("mode", "constant") != "constant") return std::nullopt;
  const auto pads = pads_t->to_int64_vector();
  const std::size_t rank = pads.size() / 2;
  if (rank < 3) return std::nullopt;
  std::vector<std::int64_t> begins(pads.begin() + 2, pads.begin() + static_cast<std::ptrdiff_t>(rank));
  std::vector<std::int64_t> ends(pads.begin() + static_cast<std::ptrdiff_t>(rank) + 2, pads.end());
  if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) return std::nullopt;
  for (auto p : pads) {
    if (p < 0) return std::nullopt;
  }
  begins.insert(begins.end(), ends.begin(), ends.end());
  return begins;
}

bool can_fold_into(const Node& pad, const Node& consumer, double value) {
  if (consumer.input(0) != pad.output(0) || consumer.attrs.get_string("auto_pad", "NOTSET") != "NOTSET") return false;
  switch (consumer.op) {
    case OpKind::Conv: return value == 0.0 && !has_input_dilations(consumer.attrs);  // its pads lie between zeros
    case OpKind::AveragePool: {
      // Padding zeros are counted by the Pad; the pool must count them too, which it can
      // only do if it has no padding of its own that it does not count.
      const auto own = consumer.attrs.get_ints("pads", {});
      const bool unpadded = std::all_of(own.begin(), own.end(), [](std::int64_t p) { return p == 0; });
      return value == 0.0 && (consumer.attrs.get_int("count_include_pad", 0) != 0 || unpadded);
    }
    case OpKind::MaxPool:
      return std::isinf(value) && value < 0 ? true : (value == 0.0 && produces_non_negative(pad.input(0)));
    default: return false;
  }
}

bool all_zero(const Node& pad) {
  const Tensor* pads = pad.constant_input(1);
  if (pads == nullptr) return false;
  const auto values = pads->to_int64_vector();
  return std::all_of(values.begin(), values.end(), [](std::int64_t p) { return p == 0; });
}

}  // namespace

bool FoldPadPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* pad : graph.nodes()) {
    if (pad->op != OpKind::Pad) continue;
    if (all_zero(*pad)) {
      if (rewrite::bypass(graph, pad)) {
        stats.add("zero pads removed");
        changed = true;
      }
      continue;
    }
    Node* consumer = rewrite::single_user(graph, pad->output(0));
    const auto pads = spatial_pads(*pad);
    const double value = pad->input(2) ? rewrite::constant_scalar(*pad, 2).value_or(NAN) : 0.0;
    if (consumer == nullptr || !pads || std::isnan(value) || !can_fold_into(*pad, *consumer, value)) continue;
    auto merged = consumer->attrs.get_ints("pads", std::vector<std::int64_t>(pads->size(), 0));
    if (merged.size() != pads->size()) continue;
    for (std::size_t i = 0; i < merged.size(); ++i) merged[i] += (*pads)[i];
    // ceil_mode lets a last window start in the Pad's trailing zeros but not in the
    // consumer's own trailing padding: fold only when the output keeps its shape.
    const Attributes unfolded = consumer->attrs;
    const Shape shape_before = consumer->output(0)->shape;
    consumer->attrs.set("pads", merged);
    if (consumer->op == OpKind::AveragePool) consumer->attrs.set("count_include_pad", std::int64_t{1});
    Value* padded = pad->output(0);
    consumer->inputs[0] = pad->input(0);
    if (!infer_node(*consumer) || consumer->output(0)->shape != shape_before) {
      consumer->attrs = unfolded;
      consumer->inputs[0] = padded;
      infer_node(*consumer);
      continue;
    }
    graph.erase_node(pad);
    graph.erase_value(padded);
    stats.add("pads folded");
    changed = true;
  }
  return changed;
}

}  // namespace wb
