#include "compiler/passes/conv_transpose_phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "compiler/ir/shape_inference.h"
#include "compiler/ir/transposed_window.h"
#include "compiler/passes/rewrite.h"

namespace wb {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }

// One axis of one phase: the output pixels o with (o + pad_begin) mod stride == residue are
//     y[o] = sum_j x[q - j] * w[residue + j * stride],   q = (o + pad_begin - residue) / stride,
// a correlation of the input with the sub-kernel's taps flipped. The phase's Conv computes
// q = first .. last (a superset of the q its pixels need when the pads exceed the kernel).
struct PhaseAxis {
  std::int64_t residue = 0;
  std::int64_t taps = 0;  // sub-kernel taps (0: the phase reads nothing, its pixels are the bias)
  std::int64_t first = 0, last = -1;  // the q its Conv computes
  std::int64_t pad_begin = 0, pad_end = 0;
  bool empty() const { return last < first; }
  std::int64_t extent() const { return last - first + 1; }
  std::int64_t conv_taps() const { return std::max<std::int64_t>(taps, 1); }
};

PhaseAxis phase_axis(const TransposedWindow& g, std::size_t a, std::int64_t residue) {
  const std::int64_t s = g.strides[a];
  PhaseAxis p;
  p.residue = residue;
  p.taps = residue < g.kernel[a] ? (g.kernel[a] - 1 - residue) / s + 1 : 0;
  const std::int64_t lo = ceil_div(g.pads_begin[a] - residue, s);
  const std::int64_t hi = floor_div(g.output[a] - 1 + g.pads_begin[a] - residue, s);
  if (hi < lo) return p;  // no output pixel in this residue class
  // A stride-1 Conv with pads >= 0 reaches q in [taps - 1 - pad_begin, ...]; widen to that.
  p.first = std::min(lo, p.conv_taps() - 1);
  p.last = std::max(hi, g.input[a] - 1);
  p.pad_begin = p.conv_taps() - 1 - p.first;
  p.pad_end = p.last + 1 - g.input[a];
  return p;
}

// Weights [C_out, C_in / group, taps_h, taps_w] of one phase from the ConvTranspose's
// [C_in, C_out / group, K_h, K_w]: tap m of the sub-kernel is w[residue + (taps - 1 - m) * stride].
Tensor phase_weights(const Tensor& w, std::int64_t group, const PhaseAxis& ph, const PhaseAxis& pw,
                     std::int64_t stride_h, std::int64_t stride_w) {
  const std::int64_t in_channels = w.shape()[0], group_out = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const std::int64_t group_in = in_channels / group;
  const std::int64_t th = ph.conv_taps(), tw = pw.conv_taps();
  Tensor v(DType::F32, {group_out * group, group_in, th, tw});
  if (ph.taps == 0 || pw.taps == 0) return v;  // zeros: the bias alone
  const float* src = w.data<float>();
  float* dst = v.data<float>();
  for (std::int64_t gi = 0; gi < group; ++gi) {
    for (std::int64_t j = 0; j < group_out; ++j) {
      for (std::int64_t c = 0; c < group_in; ++c) {
        for (std::int64_t mh = 0; mh < th; ++mh) {
          const std::int64_t tap_h = ph.residue + (th - 1 - mh) * stride_h;
          for (std::int64_t mw = 0; mw < tw; ++mw) {
            const std::int64_t tap_w = pw.residue + (tw - 1 - mw) * stride_w;
            dst[(((gi * group_out + j) * group_in + c) * th + mh) * tw + mw] =
                src[(((gi * group_in + c) * group_out + j) * kh + tap_h) * kw + tap_w];
          }
        }
      }
    }
  }
  return v;
}

bool lowerable(const Node& node) {
  const Value* x = node.input(0);
  const Tensor* w = node.constant_input(1);
  const Value* bias = node.input(2);
  if (x == nullptr || !x->has_type() || x->dtype != DType::F32 || x->shape.size() != 4 || x->shape[0] != 1) {
    return false;
  }
  if (w == nullptr || w->dtype() != DType::F32 || (bias != nullptr && node.constant_input(2) == nullptr)) return false;
  const auto dilations = node.attrs.get_ints("dilations", {1, 1});
  return std::all_of(dilations.begin(), dilations.end(), [](std::int64_t d) { return d == 1; });
}

// A per-channel op that commutes with moving pixels: it may run on each phase instead.
bool per_channel(const Node& node, const Value* input) {
  if (node.input(0) != input || node.outputs.size() != 1) return false;
  switch (node.op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu: return true;
    case OpKind::Clip: return (node.input(1) == nullptr || node.input(1)->is_constant()) &&
                              (node.input(2) == nullptr || node.input(2)->is_constant());
    case OpKind::BatchNormalization:
      return std::all_of(node.inputs.begin() + 1, node.inputs.end(),
                         [](const Value* v) { return v == nullptr || v->is_constant(); });
    default: return false;
  }
}

class Lowering {
 public:
  Lowering(Graph& graph, Node& node) : graph_(graph), node_(node) {}

  void run() {
    const Value* x = node_.input(0);
    const Tensor& w = *node_.constant_input(1);
    const TransposedWindow g = resolve_transposed_window(node_.attrs, x->shape, {w.shape()[2], w.shape()[3]});
    const std::int64_t group = node_.attrs.get_int("group", 1);
    const std::vector<Node*> chain = following_per_channel_ops();
    Value* result = chain.empty() ? node_.output(0) : chain.back()->output(0);
    const std::int64_t out_channels = node_.output(0)->shape[1];

    std::vector<PhaseAxis> rows, cols;
    for (std::int64_t r = 0; r < g.strides[0]; ++r) rows.push_back(phase_axis(g, 0, r));
    for (std::int64_t r = 0; r < g.strides[1]; ++r) cols.push_back(phase_axis(g, 1, r));
    // Each phase's pixels, one row each, concatenated; `offset` of phase (rh, rw) in the row.
    std::vector<Value*> phase_rows;
    std::vector<std::vector<std::int64_t>> offset(rows.size(), std::vector<std::int64_t>(cols.size(), -1));
    std::int64_t total = 0;
    for (const PhaseAxis& ph : rows) {
      for (const PhaseAxis& pw : cols) {
        if (ph.empty() || pw.empty()) continue;
        const std::string name = fmt::format("{}/phase_{}_{}", node_.name, ph.residue, pw.residue);
        Value* phase = phase_conv(name, ph, pw, phase_weights(w, group, ph, pw, g.strides[0], g.strides[1]), group);
        for (const Node* op : chain) phase = clone_on(*op, phase, name);
        offset[static_cast<std::size_t>(ph.residue)][static_cast<std::size_t>(pw.residue)] = total;
        const std::int64_t pixels = ph.extent() * pw.extent();
        phase_rows.push_back(emit(OpKind::Reshape, name + "/row",
                                  {phase, shape_constant(name + "/row", {1, out_channels, 1, pixels})}, {}));
        total += pixels;
      }
    }
    Tensor indices(DType::I64, {g.output[0] * g.output[1]});
    std::int64_t* index = indices.data<std::int64_t>();
    for (std::int64_t oh = 0; oh < g.output[0]; ++oh) {
      const std::int64_t th = oh + g.pads_begin[0];
      const PhaseAxis& ph = rows[static_cast<std::size_t>(th - floor_div(th, g.strides[0]) * g.strides[0])];
      const std::int64_t qh = floor_div(th, g.strides[0]) - ph.first;
      for (std::int64_t ow = 0; ow < g.output[1]; ++ow) {
        const std::int64_t tw = ow + g.pads_begin[1];
        const PhaseAxis& pw = cols[static_cast<std::size_t>(tw - floor_div(tw, g.strides[1]) * g.strides[1])];
        const std::int64_t qw = floor_div(tw, g.strides[1]) - pw.first;
        *index++ = offset[static_cast<std::size_t>(ph.residue)][static_cast<std::size_t>(pw.residue)] +
                   qh * pw.extent() + qw;
      }
    }
    Attributes along_w;
    along_w.set("axis", std::int64_t{3});
    Value* all = phase_rows.size() == 1 ? phase_rows[0]
                                        : emit(OpKind::Concat, node_.name + "/phases", phase_rows, along_w);
    Value* interleaved = emit(OpKind::Gather, node_.name + "/interleave",
                              {all, graph_.add_constant(graph_.unique_value_name(node_.name + "/interleave_pixels"),
                                                        std::move(indices))},
                              along_w);
    // The last node writes the value the ConvTranspose (or the last op moved onto the phases)
    // wrote, so its readers and a graph output keep their names.
    const std::string base = node_.name;
    Value* shape = shape_constant(base + "/image", result->shape);
    std::vector<Node*> erased = chain;
    erased.insert(erased.begin(), &node_);
    rewrite::erase_chain(graph_, erased);
    Node* unflatten = graph_.add_node(OpKind::Reshape, node_name(base + "/image"), {interleaved, shape}, {result});
    if (!infer_node(*unflatten)) throw std::logic_error("conv-transpose-to-phases: no shape for " + base + "/image");
  }

 private:
  std::vector<Node*> following_per_channel_ops() const {
    std::vector<Node*> chain;
    const Value* value = node_.output(0);
    while (!graph_.is_graph_output(value)) {
      Node* reader = rewrite::single_user(graph_, value);
      if (reader == nullptr || !per_channel(*reader, value)) break;
      chain.push_back(reader);
      value = reader->output(0);
    }
    return chain;
  }

  Value* phase_conv(const std::string& name, const PhaseAxis& ph, const PhaseAxis& pw, Tensor weights,
                    std::int64_t group) {
    Attributes attrs;
    attrs.set("kernel_shape", std::vector<std::int64_t>{ph.conv_taps(), pw.conv_taps()});
    attrs.set("pads", std::vector<std::int64_t>{ph.pad_begin, pw.pad_begin, ph.pad_end, pw.pad_end});
    attrs.set("group", group);
    std::vector<Value*> inputs = {node_.input(0),
                                  graph_.add_constant(graph_.unique_value_name(name + "_weight"), std::move(weights))};
    if (node_.input(2) != nullptr) inputs.push_back(node_.input(2));
    return emit(OpKind::Conv, name, std::move(inputs), std::move(attrs));
  }

  Value* clone_on(const Node& op, Value* input, const std::string& phase) {
    std::vector<Value*> inputs = op.inputs;
    inputs[0] = input;
    Value* out = emit(op.op, fmt::format("{}/{}", phase, op.op_type), std::move(inputs), op.attrs);
    out->producer->op_type = op.op_type;
    return out;
  }

  Value* emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs) {
    Value* out = graph_.add_value(graph_.unique_value_name(name));
    Node* node = graph_.add_node(op, node_name(name), std::move(inputs), {out});
    node->attrs = std::move(attrs);
    if (!infer_node(*node) || !out->has_type()) {
      throw std::logic_error("conv-transpose-to-phases: no shape for the new node " + name);
    }
    return out;
  }

  Value* shape_constant(const std::string& name, const std::vector<std::int64_t>& dims) {
    return graph_.add_constant(graph_.unique_value_name(name + "_shape"),
                               Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
  }

  std::string node_name(const std::string& base) const {
    return graph_.find_node(base) == nullptr ? base : graph_.unique_value_name(base);
  }

  Graph& graph_;
  Node& node_;
};

}  // namespace

bool ConvTransposePhasesPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    if (node->op != OpKind::ConvTranspose || !lowerable(*node)) continue;
    const auto strides = node->attrs.get_ints("strides", {1, 1});
    Lowering(graph, *node).run();
    stats.add("transposed convolutions as phases");
    stats.add("phase convolutions", strides[0] * strides[1]);
    changed = true;
  }
  return changed;
}

}  // namespace wb
