#include "compiler/pulp/kernel_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "compiler/quant/qgraph_queries.h"
#include "isa/op_counts.h"
#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

using isa::pulp::KernelKind;
using quant::QGraph;
using quant::QNode;
using quant::QOpKind;

std::int64_t dim(const quant::QTensor& t, std::size_t i) { return quant::dim_or_one(t, i); }

const quant::QTensor& input_of(const QGraph& graph, const PLayer& layer) { return graph.tensor(layer.inputs.at(0)); }

// What the grouped conv kernel needs of the grouping: groups that divide both channel counts
// (the QGraph checks this; a program must never hold a fractional group).
std::string grouping_problem(const QNode& node, std::int64_t in_channels, std::int64_t out_channels) {
  if (node.group < 1 || in_channels % node.group != 0 || out_channels % node.group != 0) {
    return fmt::format("{} groups do not divide its {} input and {} output channels; the grouped conv kernel runs "
                       "whole groups",
                       node.group, in_channels, out_channels);
  }
  return {};
}

// What the resize kernel needs: NCHW of one type in and out (the same scale: a resize keeps
// the values), indices that fit its uint16 tables, a table entry per output row and column.
std::string resize_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs.at(0));
  const auto& out = graph.tensor(node.output);
  if (in.shape.size() != 4 || out.shape.size() != 4) return "not NCHW; the resize kernel resizes images";
  if (in.is_signed != out.is_signed) return "input and output types differ; the resize kernel keeps the type";
  if (dim(in, 1) != dim(out, 1)) return "the channels change; the resize kernel keeps them";
  for (const std::int64_t d : {dim(in, 2), dim(in, 3), dim(out, 2), dim(out, 3)}) {
    if (d > 65535) return fmt::format("a side of {}; the resize kernel's tables index 65535", d);
  }
  if (node.resize_rows.size() != static_cast<std::size_t>(3 * dim(out, 2)) ||
      node.resize_cols.size() != static_cast<std::size_t>(3 * dim(out, 3))) {
    return "its tables do not have three numbers per output row and column";
  }
  // A tile's input is the span from its first entry's first tap to its last entry's second
  // (tile_geometry's row_window): the taps must be in the input, in order and weighted 0..256.
  const auto ordered = [](const std::vector<std::int64_t>& taps, std::int64_t inputs) {
    for (std::size_t i = 0; i < taps.size(); i += 3) {
      const bool inside = taps[i] >= 0 && taps[i] <= taps[i + 1] && taps[i + 1] < inputs;
      const bool after = i == 0 || (taps[i] >= taps[i - 3] && taps[i + 1] >= taps[i - 2]);
      if (!inside || !after || taps[i + 2] < 0 || taps[i + 2] > 256) return false;
    }
    return true;
  };
  if (!ordered(node.resize_rows, dim(in, 2)) || !ordered(node.resize_cols, dim(in, 3))) {
    return "its taps are not non-decreasing indices inside the input with weights 0..256; the resize kernel's "
           "tiles read the span of their taps";
  }
  return {};
}

// What the layernorm kernel needs: a row of channels per pixel, 8-bit in and out at the bounds
// the node's parameters were made for, a shift whose rounding lies in the high word (33..61: a
// node within the contract's 2^20 gamma limit has at least 40), one gamma and beta per channel.
std::string layernorm_problem(const QGraph& graph, const QNode& node) {
  const auto& in = graph.tensor(node.inputs.at(0));
  const auto& out = graph.tensor(node.output);
  const quant::LayerNormParams& p = node.layernorm;
  if (in.shape != out.shape) return "input and output shapes differ; the layernorm kernel keeps the shape";
  if (in.shape.size() != 2 && in.shape.size() != 4) return "not NCHW or [N, C]; the layernorm kernel normalises channels";
  const auto n = static_cast<std::size_t>(dim(in, 1));
  if (p.n != n || p.gamma_multiplier.size() != n || p.beta_offset.size() != n) {
    return fmt::format("its parameters are for rows of {} with {} gammas and {} betas, the tensor has {} channels",
                       p.n, p.gamma_multiplier.size(), p.beta_offset.size(), n);
  }
  const quant::IntFormat in_format{8, in.is_signed}, out_format{8, out.is_signed};
  if (p.input_lo != in_format.lo() || p.input_hi != in_format.hi() || p.output_lo != out_format.lo() ||
      p.output_hi != out_format.hi()) {
    return fmt::format("its bounds [{}, {}] -> [{}, {}] are not the 8-bit tensors' ranges; the layernorm kernel "
                       "reads and clamps to the tensors' types",
                       p.input_lo, p.input_hi, p.output_lo, p.output_hi);
  }
  if (p.shift < 33 || p.shift > 61) {
    return fmt::format("shift {} outside 33..61; the layernorm kernel rounds in the accumulator's high word", p.shift);
  }
  // n^3 * 255^2 < 2^64: the kernel's sum of squares is 64-bit (the parameters checked the same).
  if (n > 65536) return fmt::format("{} channels; the layernorm kernel's sum of squares holds rows of 65536", n);
  return {};
}

bool is_pointwise(const QNode& node) {
  return node.kernel[0] == 1 && node.kernel[1] == 1 && node.strides[0] == 1 && node.strides[1] == 1 &&
         node.pads_begin[0] == 0 && node.pads_begin[1] == 0 && node.pads_end[0] == 0 && node.pads_end[1] == 0;
}

// Whether `a` stored HWC is `b`'s bytes: the same channels and the same number of pixels, in
// the same row-major order.
bool same_bytes(const quant::QTensor& a, const quant::QTensor& b) {
  const PixelDims x = pixel_dims(a), y = pixel_dims(b);
  return x.c == y.c && std::uint64_t{x.h} * x.w == std::uint64_t{y.h} * y.w && quant::element_count(a) == quant::element_count(b);
}

// What the matmul kernel needs of attention's products: the forms the QGraph defines, heads
// that divide the channels of the one-row images Q, K and V, and one requant entry.
std::string matmul_problem(const QGraph& graph, const QNode& node) {
  const auto& a = graph.tensor(node.inputs.at(0));
  const auto& b = graph.tensor(node.inputs.at(1));
  const bool scores = node.matmul_form == quant::MatMulForm::Scores;
  const auto one_row_image = [](const quant::QTensor& t) { return t.shape.size() == 4 && t.shape[0] == 1 && t.shape[2] == 1; };
  if (!one_row_image(b) || (scores && !one_row_image(a)) || (!scores && a.shape.size() != 3)) {
    return "operands are not attention's (one-row images of tokens, and the [h, T, T'] probabilities); the matmul "
           "kernel runs attention's two products";
  }
  if (node.matmul_heads < 1 || dim(b, 1) % node.matmul_heads != 0) {
    return fmt::format("{} heads do not divide {} channels", node.matmul_heads, dim(b, 1));
  }
  if (node.requant.channels() != 1) return "more than one requant entry; the matmul kernel requantises per tensor";
  if (!node.bias.empty()) {
    // The cores sum in 32-bit registers: the bias and every product of the reduction must fit.
    const std::int64_t products = (dim(b, 1) / node.matmul_heads) * 255 * 255;
    std::int64_t largest = 0;
    for (std::int64_t i = 0; i < node.bias.numel(); ++i) largest = std::max(largest, std::abs(node.bias.as_int64(i)));
    if (largest + products > std::numeric_limits<std::int32_t>::max()) {
      return fmt::format("the scores' bias reaches {}, so with the products of {} channels the cores' 32-bit sums "
                         "could overflow",
                         largest, dim(b, 1) / node.matmul_heads);
    }
  }
  return {};
}

// The mul kernel broadcasts its second operand only: the operand of the output's shape goes
// first (the product commutes), the other must be 1 or the output's in each NCHW dimension.
std::string order_mul_operands(const QGraph& graph, PLayer& layer) {
  const auto& out = graph.tensor(layer.output);
  const auto aligned = [&](int t) {
    const auto& shape = graph.tensor(t).shape;
    std::vector<std::int64_t> nchw(out.shape.size(), 1);
    for (std::size_t k = 0; k < shape.size() && k < nchw.size(); ++k) nchw[nchw.size() - 1 - k] = shape[shape.size() - 1 - k];
    return shape.size() <= out.shape.size() ? nchw : shape;
  };
  if (aligned(layer.inputs.at(0)) != out.shape) std::swap(layer.inputs.at(0), layer.inputs.at(1));
  if (aligned(layer.inputs.at(0)) != out.shape) {
    return "neither operand has the output's shape; the mul kernel broadcasts its second operand only";
  }
  const std::vector<std::int64_t> b = aligned(layer.inputs.at(1));
  for (std::size_t d = 0; d < b.size(); ++d) {
    if (b[d] != 1 && b[d] != out.shape[d]) {
      return fmt::format("operand '{}' does not broadcast to the output", graph.tensor(layer.inputs.at(1)).name);
    }
  }
  if (out.shape.size() != 4 || b[0] != 1) return "the mul kernel multiplies NCHW tensors of batch 1";
  return {};
}

// ---- the rows' kernels, checks and counts ---------------------------------------------------

KernelKind choose_conv_kernel(const QGraph& graph, const PLayer& layer) {
  const QNode& node = graph.nodes.at(static_cast<std::size_t>(layer.node));
  const auto& in = input_of(graph, layer);
  const auto& out = graph.tensor(layer.output);
  const std::int64_t channels = dim(in, 1);
  if (node.group == 1) {
    const bool one_pixel = dim(in, 2) == 1 && dim(in, 3) == 1 && dim(out, 2) == 1 && dim(out, 3) == 1;
    return one_pixel && is_pointwise(node) ? isa::pulp::KERNEL_LINEAR
           : is_pointwise(node)            ? isa::pulp::KERNEL_POINTWISE
                                           : isa::pulp::KERNEL_CONV;
  }
  if (node.group == channels && dim(out, 1) == channels) return isa::pulp::KERNEL_DEPTHWISE;
  // Any other grouping (a depthwise multiplier included) runs the grouped conv kernel.
  return isa::pulp::KERNEL_GROUPED_CONV;
}

std::string conv_problem(const QGraph& graph, const QNode& node, PLayer& layer) {
  if (layer.kind != isa::pulp::KERNEL_GROUPED_CONV) return {};
  return grouping_problem(node, dim(input_of(graph, layer), 1), dim(graph.tensor(layer.output), 1));
}

std::string add_problem(const QGraph& graph, const QNode&, PLayer& layer) {
  const auto& in = input_of(graph, layer);
  const auto& out = graph.tensor(layer.output);
  // Stored HWC, an operand of the output's channels and pixel count is the output's bytes
  // (Swin's window attention returns tokens [1, C, 1, H W] to a stage of [1, C, H, W]).
  if (!same_bytes(graph.tensor(layer.inputs.at(1)), out) || !same_bytes(in, out)) {
    return "broadcasting add; the add kernel adds two tensors of one shape";
  }
  if (in.is_constant() && graph.tensor(layer.inputs.at(1)).is_constant()) {
    return "both operands are constants; nothing computes them at run time";
  }
  return {};
}

std::string no_problem(const QGraph&, const QNode&, PLayer&) { return {}; }

std::string lut_problem(const QGraph& graph, const QNode&, PLayer& layer) {
  const auto& in = input_of(graph, layer);
  const auto& out = graph.tensor(layer.output);
  // A Flatten between (MobileNetV3's classifier) keeps the bytes: a 1x1 image's HWC is its flat order.
  if (in.shape != out.shape &&
      (quant::element_count(in) != quant::element_count(out) || dim(in, 2) != 1 || dim(in, 3) != 1)) {
    return "input and output shapes differ; a table lookup keeps the shape";
  }
  return {};
}

std::string mul_problem(const QGraph& graph, const QNode&, PLayer& layer) { return order_mul_operands(graph, layer); }

std::string channel_gather_problem(const QGraph& graph, const QNode& node, PLayer& layer) {
  if (dim(input_of(graph, layer), 1) > 65536) return "more than 65536 input channels; the index table is uint16";
  if (node.gather_channels.empty()) return "no output channels";
  return {};
}

// Over the channels of each row: an [N, C] (or [N, C, 1, 1]) row is a 1x1 image of C channels,
// whose HWC bytes are its flat order (so a Flatten between reads the same bytes). Attention's
// scores [h, T, T'] are h T pixels of T' channels (pixel_dims): the softmax over the keys is
// the kernel's over each pixel's channels.
std::string softmax_problem(const QGraph& graph, const QNode& node, PLayer& layer) {
  const auto& in = input_of(graph, layer);
  const auto& out = graph.tensor(layer.output);
  const bool rows = in.shape.size() == 3 && in.shape == out.shape;
  if (!rows && (dim(in, 2) != 1 || dim(in, 3) != 1 || dim(out, 2) != 1 || dim(out, 3) != 1 ||
                quant::element_count(in) != quant::element_count(out))) {
    return "not over the channels of one pixel; the softmax kernel normalises each pixel's channels";
  }
  if (out.is_signed) return "a signed output; the softmax kernel writes uint8 probabilities";
  // Swin's shifted-window mask: region labels of W windows of L tokens on the rows [W h, L, L]
  // (the QGraph's verifier checks the shape); the kernel reads them as bytes.
  if (!node.softmax_labels.empty() && (!rows || dim(out, 2) > 256)) {
    return "region labels on other than windowed scores [W h, L, L] of at most 256 tokens a window";
  }
  if (node.softmax_causal && !rows) return "a causal mask on other than attention's scores [h, Q, K]";
  if (dim(out, 1) > 65535) return "more than 65535 channels; the softmax kernel's row sum is a 32-bit register";
  if (node.softmax_exp_table.size() != static_cast<std::size_t>(quant::kSoftmaxTableEntries)) {
    return fmt::format("{} exp table entries, not {}", node.softmax_exp_table.size(), quant::kSoftmaxTableEntries);
  }
  return {};
}

std::string resize_kernel_problem(const QGraph& graph, const QNode& node, PLayer&) { return resize_problem(graph, node); }
std::string layernorm_kernel_problem(const QGraph& graph, const QNode& node, PLayer&) { return layernorm_problem(graph, node); }
std::string matmul_kernel_problem(const QGraph& graph, const QNode& node, PLayer&) { return matmul_problem(graph, node); }

// Swin's moved pixels: the cluster DMA copies runs of whole pixels, the cores do nothing
// (compiler/pulp/pixel_gather_layer.h).
std::string pixel_gather_problem(const QGraph& graph, const QNode&, PLayer& layer) {
  const auto& in = input_of(graph, layer);
  const auto& out = graph.tensor(layer.output);
  if (in.shape.size() != 4 || out.shape.size() != 4 || dim(in, 1) != dim(out, 1)) {
    return "a gather of pixels reads and writes images [1, C, H, W] of the same channels";
  }
  return {};
}

std::string embedding_problem(const QGraph& graph, const QNode&, PLayer& layer) {
  const auto& table = input_of(graph, layer);
  if (table.bits != 8) return fmt::format("its table '{}' is {}-bit; the rows copied are 8-bit", table.name, table.bits);
  return {};
}

void count_conv(const QGraph& graph, const QNode& node, PLayer& layer) {
  layer.macs = quant::conv_macs(graph, node);
  layer.ops = 2 * layer.macs;
}
void count_matmul(const QGraph& graph, const QNode& node, PLayer& layer) {
  layer.macs = quant::matmul_macs(graph, node);
  layer.ops = 2 * layer.macs;
}
void count_elements(const QGraph& graph, const QNode&, PLayer& layer) {
  layer.ops = quant::element_count(graph.tensor(layer.output));
}
void count_pool(const QGraph& graph, const QNode& node, PLayer& layer) { layer.ops = quant::pool_ops(graph, node); }
// As xDNN's host layers count them (isa/op_counts.h).
void count_softmax(const QGraph& graph, const QNode&, PLayer& layer) {
  layer.ops = isa::kSoftmaxOpsPerElement * quant::element_count(graph.tensor(layer.output));
}
void count_resize(const QGraph& graph, const QNode&, PLayer& layer) {
  layer.ops = isa::kResizeOpsPerElement * quant::element_count(graph.tensor(layer.output));
}
void count_layernorm(const QGraph& graph, const QNode&, PLayer& layer) {
  layer.ops = isa::kLayerNormOpsPerElement * quant::element_count(graph.tensor(layer.output));
}
// Data movement: 0 ops (DESIGN.md 4.4 counts arithmetic).
void count_nothing(const QGraph&, const QNode&, PLayer&) {}

}  // namespace

const std::vector<KernelRule>& kernel_rules() {
  static const std::vector<KernelRule> rules = {
#define WB_PULP_KERNEL(op, kernel, choose, problem, count, note) \
  KernelRule{QOpKind::op, isa::pulp::kernel, choose, &problem, &count, note},
#include "compiler/pulp/kernel_rules.def"
  };
  return rules;
}

const KernelRule* kernel_rule(QOpKind op) {
  const auto& rules = kernel_rules();
  const auto it = std::find_if(rules.begin(), rules.end(), [&](const KernelRule& r) { return r.op == op; });
  return it == rules.end() ? nullptr : &*it;
}

std::string kernel_rules_markdown() {
  std::string table = "| op | kernel | unit | note |\n|---|---|---|---|\n";
  for (const KernelRule& rule : kernel_rules()) {
    table += fmt::format("| {} | `{}` | {} | {} |\n", quant::qop_name(rule.op), isa::pulp::kernel_kind_name(rule.kernel),
                         isa::pulp::kernel_unit(rule.kernel), rule.note[0] != '\0' ? rule.note : "-");
  }
  return table;
}

}  // namespace wb::pulp
