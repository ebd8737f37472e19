#include "compiler/xdnn/layer_problems.h"

#include <fmt/format.h>

#include "compiler/quant/qgraph_queries.h"

namespace wb::xdnn {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

namespace {

// The host model takes batch-1 tensors the buffers can hold: N x C x H x W or N x C.
std::string host_tensor_problem(const quant::QTensor& t) {
  if (t.shape.size() != 4 && t.shape.size() != 2) {
    return fmt::format("tensor '{}' has {} dimensions; the host model takes N x C x H x W or N x C", t.name,
                       t.shape.size());
  }
  if (t.shape[0] != 1) return fmt::format("tensor '{}': batch size must be 1", t.name);
  return {};
}

// Attention's tensors: a token image [1, C, 1, T] or the scores [h, T, T'] (the image
// (h T) x 1 x T', buffer_plan.h).
std::string attention_tensor_problem(const quant::QTensor& t) {
  if (t.shape.size() == 3) return {};
  if (t.shape.size() == 4 && t.shape[0] == 1 && t.shape[2] == 1) return {};
  return fmt::format("tensor '{}' is neither a row of tokens [1, C, 1, T] nor attention's scores [h, T, T']", t.name);
}

}  // namespace

// Why the host model cannot run this MatMul (attention's scores or context), or "".
std::string host_matmul_problem(const QGraph& graph, const QNode& node) {
  if (node.inputs.size() != 2) return fmt::format("a matmul has two inputs, not {}", node.inputs.size());
  for (const int t : {node.inputs[0], node.inputs[1], node.output}) {
    const std::string problem = attention_tensor_problem(graph.tensor(t));
    if (!problem.empty()) return problem;
  }
  for (const int t : node.inputs) {
    if (graph.tensor(t).bits != 8) return fmt::format("input '{}' is not 8-bit", graph.tensor(t).name);
  }
  if (node.matmul_heads < 1) return "a matmul needs at least one head";
  if (node.requant.channels() != 1) return "a matmul requantises per tensor (one requant entry)";
  // The shapes its form implies (docs/quant.md, "Attention's products"): what the host's
  // instruction is checked against before the run, refused here by name instead.
  const Shape& a = graph.tensor(node.inputs[0]).shape;
  const Shape& b = graph.tensor(node.inputs[1]).shape;
  const Shape& y = graph.tensor(node.output).shape;
  const std::int64_t h = node.matmul_heads, w = node.matmul_windows;
  // With W windows (Swin) the scores and probabilities are the rows [W h, L, L'].
  const bool fits = w >= 1 && b.size() == 4 && b[3] % w == 0 &&
                    (node.matmul_form == quant::MatMulForm::Scores
                         ? a.size() == 4 && y.size() == 3 && a[1] == b[1] && b[1] % h == 0 && a[3] % w == 0 &&
                               y == Shape{w * h, a[3] / w, b[3] / w}
                         : a.size() == 3 && y.size() == 4 && a[0] == w * h && a[2] == b[3] / w && b[1] % h == 0 &&
                               y[1] == b[1] && y[3] == w * a[1]);
  if (!fits) {
    return fmt::format("attention's {} of {} heads does not fit its shapes ({} by {} to {})",
                       quant::matmul_form_name(node.matmul_form), h, format_shape(a), format_shape(b), format_shape(y));
  }
  return {};
}

// Why the DDR engine cannot copy this node's pixels, or "": a concat along W of images of one
// type, C and H, or a 1x1 max pool without padding (a pixel gather at the input's type).
std::string pixel_copy_problem(const QGraph& graph, const QNode& node) {
  const auto& out = graph.tensor(node.output);
  if (out.shape.size() != 4 || out.shape[0] != 1) return "a pixel copy moves pixels of N=1 x C x H x W images";
  for (const int input : node.inputs) {
    const auto& in = graph.tensor(input);
    if (in.shape.size() != 4 || in.shape[0] != 1) return fmt::format("input '{}' is not an N=1 x C x H x W image", in.name);
    if (in.bits != out.bits || in.is_signed != out.is_signed) {
      return fmt::format("a pixel copy copies bytes: '{}' and the output must have one type", in.name);
    }
    if (in.shape[1] != out.shape[1]) return fmt::format("'{}' has another channel count than the output", in.name);
  }
  if (node.kind == QOpKind::Reshape || node.kind == QOpKind::PixelGather) return {};  // the caller checked the shapes
  if (node.kind == QOpKind::Concat) {
    std::int64_t width = 0;
    for (const int input : node.inputs) {
      if (graph.tensor(input).shape[2] != out.shape[2]) return "a concat along W keeps H";
      width += graph.tensor(input).shape[3];
    }
    if (width != out.shape[3]) return "the inputs' widths do not add up to the output's";
    return {};
  }
  if (node.kind != QOpKind::MaxPool || node.kernel[0] != 1 || node.kernel[1] != 1 || node.pads_begin[0] != 0 ||
      node.pads_begin[1] != 0 || node.pads_end[0] != 0 || node.pads_end[1] != 0) {
    return "only a 1x1 window without padding is a pixel copy";
  }
  return {};
}

// Why the host model cannot run this Lut or Mul, or "".
std::string host_elementwise_problem(const QGraph& graph, const QNode& node) {
  const auto& out = graph.tensor(node.output);
  std::string problem = host_tensor_problem(out);
  if (!problem.empty()) return problem;
  for (const int input : node.inputs) {
    problem = host_tensor_problem(graph.tensor(input));
    if (!problem.empty()) return problem;
  }
  if (node.kind == QOpKind::Lut) {
    const auto& in = graph.tensor(node.inputs[0]);
    if (in.bits != 8 || out.bits != 8) return "a lookup table needs an 8-bit input and output";
    if (in.shape != out.shape) return "a lookup table keeps the shape";
    if (node.lut_table.size() != 256) {
      return fmt::format("the table has {} entries; an 8-bit input needs 256", node.lut_table.size());
    }
    return {};
  }
  if (node.inputs.size() != 2) return fmt::format("a mul has two inputs, not {}", node.inputs.size());
  for (const int input : node.inputs) {
    const auto& t = graph.tensor(input);
    bool broadcasts = t.shape.size() == out.shape.size();
    for (std::size_t d = 0; broadcasts && d < t.shape.size(); ++d) broadcasts = t.shape[d] == out.shape[d] || t.shape[d] == 1;
    if (!broadcasts) return fmt::format("input '{}' does not broadcast to the output", t.name);
  }
  if (node.requant.channels() != 1) return "a mul requantises per tensor (one requant entry)";
  return {};
}

// Why the host model cannot run this Softmax, or "": one row of C channels ([1, C] or
// [1, C, 1, 1]), an 8-bit input, a uint8 output of its shape, a 256-entry exp table.
std::string host_softmax_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  // Attention's softmax over the keys: the rows of T' of its [h, T, T'] scores.
  const bool over_keys = in.shape.size() == 3;
  for (const auto* t : {&in, &out}) {
    if (over_keys) {
      if (t->shape.size() != 3) return fmt::format("tensor '{}' is not [h, T, T'] as the input is", t->name);
      continue;
    }
    const std::string problem = host_tensor_problem(*t);
    if (!problem.empty()) return problem;
    if (t->shape.size() == 4 && (t->shape[2] != 1 || t->shape[3] != 1)) {
      return fmt::format("tensor '{}' is {} x {} pixels; the host's softmax takes one row of channels, [N, C] or "
                         "[N, C, 1, 1]",
                         t->name, t->shape[2], t->shape[3]);
    }
  }
  if (in.shape != out.shape) return "a softmax keeps the shape";
  if (in.bits != 8 || out.bits != 8 || out.is_signed) return "a softmax takes an 8-bit input to a uint8 output";
  if (node.softmax_exp_table.size() != static_cast<std::size_t>(quant::kSoftmaxTableEntries)) {
    return fmt::format("the exp table has {} entries, not {}", node.softmax_exp_table.size(),
                       quant::kSoftmaxTableEntries);
  }
  return {};
}

// Why the host model cannot run this Resize, or "": tables for every output row and column.
std::string host_resize_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  for (const auto* t : {&in, &out}) {
    const std::string problem = host_tensor_problem(*t);
    if (!problem.empty()) return problem;
    if (t->shape.size() != 4) return fmt::format("tensor '{}' is not N x C x H x W", t->name);
  }
  if (in.bits != out.bits) return "a resize keeps the element size";
  if (static_cast<std::int64_t>(node.resize_rows.size()) != 3 * out.shape[2] ||
      static_cast<std::int64_t>(node.resize_cols.size()) != 3 * out.shape[3]) {
    return "a resize needs three table numbers per output row and column";
  }
  return {};
}

// Why the host model cannot run this LayerNorm, or "": NCHW (or [N, C]) of one shape in and out,
// parameters for every channel.
std::string host_layernorm_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  for (const auto* t : {&in, &out}) {
    const std::string problem = host_tensor_problem(*t);
    if (!problem.empty()) return problem;
  }
  if (in.shape != out.shape) return "a layer norm keeps the shape";
  if (node.layernorm.gamma_multiplier.size() != static_cast<std::size_t>(in.shape.at(1))) {
    return "a layer norm needs one gamma and beta per channel";
  }
  return {};
}

// Why the DDR engine cannot copy this channel gather, or "".
std::string channel_gather_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs[0]);
  const auto& out = graph.tensor(node.output);
  if (in.shape.size() != 4 || out.shape.size() != 4) return "a channel gather moves channels of N x C x H x W images";
  if (in.shape[0] != 1 || out.shape[0] != 1) return "batch size must be 1";
  if (in.shape[2] != out.shape[2] || in.shape[3] != out.shape[3]) return "a channel gather keeps H and W";
  if (in.bits != out.bits || in.is_signed != out.is_signed) {
    return "a channel gather copies bytes: its input and output must have one type";
  }
  if (static_cast<std::int64_t>(node.gather_channels.size()) != out.shape[1]) {
    return "a channel gather names one input channel per output channel";
  }
  for (const std::int64_t c : node.gather_channels) {
    if (c < 0 || c >= in.shape[1]) return fmt::format("gathered channel {} is out of range", c);
  }
  return {};
}

std::string no_problem(const QGraph&, const QNode&) { return {}; }

}  // namespace wb::xdnn
