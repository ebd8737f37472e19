#include "compiler/quant/qgraph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <ostream>
#include <stdexcept>

#include "compiler/ir/token_layout.h"
#include "support/error.h"

namespace wb::quant {

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::Pow2: return "pow2";
    case Scheme::Xdnn: return "xdnn";
    case Scheme::Pulp: return "pulp";
  }
  return "?";
}

Scheme parse_scheme(const std::string& name) {
  if (name == "pow2") return Scheme::Pow2;
  if (name == "xdnn") return Scheme::Xdnn;
  if (name == "pulp") return Scheme::Pulp;
  throw UserError(fmt::format("unknown quantization scheme '{}' (known: pow2, xdnn, pulp)", name));
}

DType QTensor::dtype() const {
  if (bits == 8) return is_signed ? DType::I8 : DType::U8;
  if (bits == 16) return is_signed ? DType::I16 : DType::U16;
  throw std::logic_error(fmt::format("tensor {}: {} bits (only 8 and 16 are supported)", name, bits));
}

const char* qop_name(QOpKind kind) {
  switch (kind) {
    case QOpKind::Conv: return "Conv";
    case QOpKind::Add: return "Add";
    case QOpKind::MaxPool: return "MaxPool";
    case QOpKind::AvgPool: return "AvgPool";
    case QOpKind::Concat: return "Concat";
    case QOpKind::Reshape: return "Reshape";
    case QOpKind::Lut: return "Lut";
    case QOpKind::Mul: return "Mul";
    case QOpKind::ChannelGather: return "ChannelGather";
    case QOpKind::Softmax: return "Softmax";
    case QOpKind::Resize: return "Resize";
    case QOpKind::LayerNorm: return "LayerNorm";
    case QOpKind::MatMul: return "MatMul";
    case QOpKind::HwcReshape: return "HwcReshape";
    case QOpKind::PixelGather: return "PixelGather";
    case QOpKind::Embedding: return "Embedding";
  }
  return "?";
}

const char* matmul_form_name(MatMulForm form) { return form == MatMulForm::Scores ? "scores" : "context"; }

MatMulForm parse_matmul_form(const std::string& name) {
  if (name == "scores") return MatMulForm::Scores;
  if (name == "context") return MatMulForm::Context;
  throw UserError(fmt::format("unknown MatMul form '{}' (known: scores, context)", name));
}

std::int64_t softmax_row_length(const Shape& shape) {
  if (shape.size() == 3) return shape[2];
  return shape.size() >= 2 ? shape[1] : 0;
}

double lut_function_value(const std::string& function, double x, float alpha, float beta) {
  const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const auto hardsigmoid = [&](double v) {
    return std::max(0.0, std::min(1.0, static_cast<double>(alpha) * v + static_cast<double>(beta)));
  };
  if (function == "sigmoid") return sigmoid(x);
  if (function == "sigmoid_complement") return sigmoid(-x);  // 1 - sigmoid(x): a GRU's 1 - z
  if (function == "tanh") return std::tanh(x);
  if (function == "hardsigmoid") return hardsigmoid(x);
  if (function == "hardswish") return x * hardsigmoid(x);
  if (function == "silu") return x * sigmoid(x);
  if (function == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
  if (function == "gelu_tanh") {
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
  }
  throw UserError(fmt::format(
      "lookup-table function '{}' is unknown (sigmoid, sigmoid_complement, tanh, hardsigmoid, hardswish, silu, gelu, "
      "gelu_tanh)", function));
}

int QGraph::find_tensor(const std::string& tensor_name) const {
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == tensor_name) return static_cast<int>(i);
  }
  return -1;
}

const QNode* QGraph::producer(int tensor_index) const {
  for (const QNode& node : nodes) {
    if (node.output == tensor_index) return &node;
  }
  return nullptr;
}

namespace {

void check(bool condition, const QNode& node, const std::string& what) {
  if (!condition) throw std::logic_error(fmt::format("QGraph node {} ({}): {}", node.name, qop_name(node.kind), what));
}

void verify_requant(const QNode& node, std::int64_t channels) {
  const Requant& r = node.requant;
  check(r.channels() == 1 || static_cast<std::int64_t>(r.channels()) == channels, node,
        fmt::format("{} requant channels for {} output channels", r.channels(), channels));
  check(r.offset.size() == r.multiplier.size() && r.shift.size() == r.multiplier.size(), node,
        "requant vectors of different lengths");
  check(r.lo <= r.hi, node, "requant lo > hi");
  check(r.intermediate_bits == 0 || r.intermediate_bits == 16, node, "intermediate_bits must be 0 or 16");
}

// A softmax's types, rows, exp table and (Swin's) region labels.
void verify_softmax(const QGraph& graph, const QNode& node) {
  const QTensor& in = graph.tensor(node.inputs[0]);
  const QTensor& out = graph.tensor(node.output);
  check(node.inputs.size() == 1, node, "a softmax has one input");
  check(in.bits == 8 && out.bits == 8 && !out.is_signed, node, "8-bit input, uint8 output");
  check(out.scale == 1.0 / 256, node, "output scale 1/256");
  check(in.shape == out.shape, node, "same shape in and out");
  const bool rows = in.shape.size() == 2 || in.shape.size() == 3 ||
                    (in.shape.size() == 4 && in.shape[2] == 1 && in.shape[3] == 1);
  check(rows, node, "[N, C] or [N, C, 1, 1] (over the channels) or [h, T, T'] (over the last axis)");
  check(node.softmax_exp_table.size() == kSoftmaxTableEntries, node, "256 exp table entries");
  if (!node.softmax_labels.empty()) {
    const auto labels = static_cast<std::int64_t>(node.softmax_labels.size());
    const bool windows = in.shape.size() == 3 && in.shape[1] == in.shape[2] && labels % in.shape[1] == 0 &&
                         in.shape[0] % (labels / in.shape[1]) == 0;
    check(windows, node, "region labels are one per token of the windows of square scores [W h, L, L]");
  }
  if (node.softmax_causal) {
    check(node.softmax_labels.empty(), node, "a causal mask and region labels are never together");
    check(in.shape.size() == 3 && node.softmax_causal_offset >= 0 && node.softmax_causal_offset < in.shape[2], node,
          "a causal mask is over scores [h, Q, K], its offset in 0 .. K - 1");
  }
  for (const std::int64_t e : node.softmax_exp_table) {
    check(e >= 0 && e <= (std::int64_t{1} << kSoftmaxExpBits), node, "exp table entry out of range");
  }
  check(node.softmax_exp_table.back() == (std::int64_t{1} << kSoftmaxExpBits), node, "exp(0) is 2^16");
}

// A resize's shapes and its row and column taps.
void verify_resize(const QGraph& graph, const QNode& node) {
  const QTensor& in = graph.tensor(node.inputs[0]);
  const QTensor& out = graph.tensor(node.output);
  check(node.inputs.size() == 1, node, "a resize has one input");
  check(in.scale == out.scale && in.dtype() == out.dtype(), node, "input and output share scale and type");
  check(in.shape.size() == 4 && out.shape.size() == 4 && in.shape[0] == out.shape[0] && in.shape[1] == out.shape[1],
        node, "rank-4 tensors resized over H and W");
  if (in.shape.size() != 4 || out.shape.size() != 4) return;
  for (const auto& [taps, axis] : {std::pair{&node.resize_rows, std::size_t{2}}, std::pair{&node.resize_cols, std::size_t{3}}}) {
    check(static_cast<std::int64_t>(taps->size()) == 3 * out.shape[axis], node, "three numbers per output row and column");
    for (std::size_t i = 0; i + 2 < taps->size(); i += 3) {
      check((*taps)[i] >= 0 && (*taps)[i] < in.shape[axis] && (*taps)[i + 1] >= 0 && (*taps)[i + 1] < in.shape[axis],
            node, "a tap outside the input");
      check((*taps)[i + 2] >= 0 && (*taps)[i + 2] <= (std::int64_t{1} << kResizeWeightBits), node,
            "a weight outside 0..256");
    }
  }
}

// Each tensor's layout, token ids and constant data; the constants are defined from the start.
void verify_tensors(const QGraph& graph, std::vector<bool>& defined) {
  for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
    const QTensor& tensor = graph.tensors[t];
    if (!tensor.source_shape.empty()) {
      // Only a network input or output is in another layout: tokens [1, T, C] or [T, 1, C] (or a
      // KV cache's [1, h, T, d]) of the image [1, C, 1, T].
      const Shape& s = tensor.source_shape;
      const Shape& image = tensor.shape;
      const auto listed = [&](const std::vector<int>& list) {
        return std::find(list.begin(), list.end(), static_cast<int>(t)) != list.end();
      };
      if (!is_source_image_of(s, image) || !(listed(graph.inputs) || listed(graph.outputs))) {
        throw std::logic_error(fmt::format("QGraph: tensor {} has source shape {}, which only a network input or "
                                           "output of tokens [1, T, C] (or a KV cache's [1, h, T, d]) stored as its "
                                           "image [1, C, 1, T] may have (it is {})",
                                           tensor.name, format_shape(s), format_shape(image)));
      }
    }
    if (tensor.token_ids) {
      const bool input = std::find(graph.inputs.begin(), graph.inputs.end(), static_cast<int>(t)) != graph.inputs.end();
      if (!input || tensor.bits != 16 || tensor.is_signed || tensor.scale != 1.0 || !tensor.source_shape.empty()) {
        throw std::logic_error(fmt::format("QGraph: tensor {} of token ids is not a network input of U16 at scale 1",
                                           tensor.name));
      }
    }
    if (!tensor.is_constant()) continue;
    if (tensor.data.dtype() != tensor.dtype() || tensor.data.shape() != tensor.shape) {
      throw std::logic_error(fmt::format("QGraph: constant {} holds {}{}, not {}{}", tensor.name,
                                         dtype_name(tensor.data.dtype()), format_shape(tensor.data.shape()),
                                         dtype_name(tensor.dtype()), format_shape(tensor.shape)));
    }
    if (std::find(graph.inputs.begin(), graph.inputs.end(), static_cast<int>(t)) != graph.inputs.end()) {
      throw std::logic_error(fmt::format("QGraph: constant {} is also a network input", tensor.name));
    }
    defined[t] = true;
  }
}

// Attention's products: operands, heads, windows and the output shape of each form.
void verify_matmul(const QGraph& graph, const QNode& node) {
  const QTensor& in = graph.tensor(node.inputs[0]);
  const QTensor& out = graph.tensor(node.output);
  check(node.inputs.size() == 2, node, "a matmul has two inputs");
  verify_requant(node, 1);
  check(node.requant.channels() == 1, node, "per-tensor requant");
  check(node.matmul_heads >= 1 && node.matmul_windows >= 1 && node.matmul_factor > 0, node,
        "heads, windows and a positive factor");
  const QTensor& b = graph.tensor(node.inputs[1]);
  const Shape& a_shape = in.shape;
  const Shape& y = out.shape;
  const std::int64_t h = node.matmul_heads;
  const auto is_image = [&](const Shape& s) { return s.size() == 4 && s[0] == 1 && s[2] == 1 && s[1] % h == 0; };
  check(is_image(b.shape), node, "b is an image [1, h d, 1, T'] of whole heads");
  if (!is_image(b.shape)) return;
  const std::int64_t w = node.matmul_windows;
  check(b.shape[3] % w == 0, node, "the keys are whole windows");
  if (node.matmul_form == MatMulForm::Scores) {
    check(is_image(a_shape) && a_shape[1] == b.shape[1], node, "queries and keys are images of the same heads");
    check(is_image(a_shape) && a_shape[3] % w == 0, node, "the queries are whole windows");
    check(y == Shape{w * h, a_shape.size() == 4 ? a_shape[3] / w : 0, b.shape[3] / w}, node,
          "scores are [W h, T / W, T' / W]");
    check(node.bias.empty() || (node.bias.dtype() == DType::I32 && y.size() == 3 &&
                                node.bias.shape() == Shape{h, y[1], y[2]}),
          node, "a bias is I32 [h, L, L'], one per head and pair of a window's tokens");
  } else {
    check(a_shape == Shape{w * h, a_shape.size() == 3 ? a_shape[1] : 0, b.shape[3] / w}, node,
          "probabilities are [W h, T / W, T' / W] over the values' T' tokens");
    check(a_shape.size() == 3 && y == Shape{1, b.shape[1], 1, w * a_shape[1]}, node,
          "the context is [1, h d, 1, T]");
    check(node.bias.empty(), node, "a context has no bias");
  }
}

void verify_embedding(const QGraph& graph, const QNode& node) {
  check(node.inputs.size() == 2, node, "an embedding has two inputs, its table and the token ids");
  if (node.inputs.size() != 2) return;
  const QTensor& table = graph.tensor(node.inputs[0]);
  const QTensor& ids = graph.tensor(node.inputs[1]);
  const QTensor& out = graph.tensor(node.output);
  check(ids.token_ids, node, "its second input is token ids");
  const Shape& w = table.shape;
  const bool image = w.size() == 4 && w[0] == 1 && w[2] == 1;
  check(table.is_constant() && image && w[3] >= 1 && w[3] <= kMaxEmbeddingRows, node,
        "its first input is a constant table, the image [1, C, 1, V] of at most 65,536 rows");
  check(table.scale == out.scale && table.dtype() == out.dtype(), node, "table and output share scale and type");
  check(image && out.shape == Shape{1, w[1], 1, num_elements(ids.shape)}, node,
        "the output is the image [1, C, 1, T] of one row per token id");
}

}  // namespace

void verify_qgraph(const QGraph& graph) {
  const auto count = static_cast<int>(graph.tensors.size());
  std::vector<bool> defined(graph.tensors.size(), false);
  for (int input : graph.inputs) {
    if (input < 0 || input >= count) throw std::logic_error("QGraph: input index out of range");
    defined[static_cast<std::size_t>(input)] = true;
  }
  verify_tensors(graph, defined);
  for (const QNode& node : graph.nodes) {
    check(node.output >= 0 && node.output < count, node, "output index out of range");
    check(!node.inputs.empty(), node, "no inputs");
    for (int input : node.inputs) {
      check(input >= 0 && input < count, node, "input index out of range");
      check(defined[static_cast<std::size_t>(input)], node, "reads a tensor before it is produced");
    }
    check(!defined[static_cast<std::size_t>(node.output)], node, "output produced twice");
    defined[static_cast<std::size_t>(node.output)] = true;
    const QTensor& out = graph.tensor(node.output);
    const QTensor& in = graph.tensor(node.inputs[0]);
    switch (node.kind) {
      case QOpKind::Conv: {
        check(node.inputs.size() == 1, node, "a conv has one input");
        check(node.weights.rank() == 4 && out.shape.size() == 4 && in.shape.size() == 4, node, "rank-4 tensors");
        check(node.weights.shape()[0] == out.shape[1], node, "weights' C_out differs from the output's channels");
        check(node.weights.shape()[1] * node.group == in.shape[1], node, "weights' C_in * group differs from input");
        check(node.bias.empty() || node.bias.numel() == out.shape[1], node, "bias length");
        check(node.input_dilations.size() == 2 && node.input_dilations[0] >= 1 && node.input_dilations[1] >= 1, node,
              "two input dilations of at least 1");
        check(node.weight_scale.size() == 1 || static_cast<std::int64_t>(node.weight_scale.size()) == out.shape[1],
              node, "weight scales per tensor or per output channel");
        verify_requant(node, out.shape[1]);
        break;
      }
      case QOpKind::Add:
        check(node.inputs.size() == 2, node, "an add has two inputs");
        check(node.input_multiplier.size() == 2, node, "one multiplier per input");
        verify_requant(node, 1);
        check(node.requant.channels() == 1, node, "per-tensor requant");
        break;
      case QOpKind::AvgPool:
        verify_requant(node, 1);
        check(node.requant.channels() == 1 && node.divisor > 0, node, "per-tensor requant and a divisor");
        break;
      case QOpKind::MaxPool:
      case QOpKind::Reshape:
        check(in.scale == out.scale && in.dtype() == out.dtype(), node, "input and output share scale and type");
        break;
      case QOpKind::Lut:
        check(node.inputs.size() == 1, node, "a lut has one input");
        check(in.bits == 8 && out.bits == 8, node, "8-bit input and output");
        check(node.lut_table.size() == std::size_t{1} << in.bits, node, "one table entry per input value");
        for (const std::int64_t v : node.lut_table) check(v >= out.lo() && v <= out.hi(), node, "table entry out of range");
        check(in.shape == out.shape, node, "same shape in and out");
        break;
      case QOpKind::Mul: {
        check(node.inputs.size() == 2, node, "a mul has two inputs");
        verify_requant(node, 1);
        check(node.requant.channels() == 1, node, "per-tensor requant");
        for (const int input : node.inputs) {
          const QTensor& t = graph.tensor(input);
          check(t.shape.size() == out.shape.size(), node, fmt::format("input {} has another rank", t.name));
          for (std::size_t d = 0; d < t.shape.size() && d < out.shape.size(); ++d) {
            check(t.shape[d] == out.shape[d] || t.shape[d] == 1, node,
                  fmt::format("input {} does not broadcast to the output", t.name));
          }
        }
        break;
      }
      case QOpKind::HwcReshape:
        check(node.inputs.size() == 1, node, "an HWC reshape has one input");
        check(in.scale == out.scale && in.dtype() == out.dtype(), node, "input and output share scale and type");
        check(in.shape.size() == 4 && out.shape.size() == 4 && in.shape[0] == 1 && out.shape[0] == 1, node,
              "N=1 images");
        check(num_elements(in.shape) == num_elements(out.shape), node, "as many elements in as out");
        break;
      case QOpKind::PixelGather:
        check(node.inputs.size() == 1, node, "a pixel gather has one input");
        check(in.scale == out.scale && in.dtype() == out.dtype(), node, "input and output share scale and type");
        check(in.shape.size() == 4 && out.shape.size() == 4 && in.shape[0] == out.shape[0] && in.shape[1] == out.shape[1],
              node, "NCHW images of one batch and channel count");
        check(out.shape.size() == 4 && static_cast<std::int64_t>(node.gather_pixels.size()) == out.shape[2] * out.shape[3],
              node, "one gathered pixel per output pixel");
        for (const std::int64_t p : node.gather_pixels) {
          check(in.shape.size() == 4 && p >= 0 && p < in.shape[2] * in.shape[3], node, "pixel out of range");
        }
        break;
      case QOpKind::Embedding: verify_embedding(graph, node); break;
      case QOpKind::ChannelGather:
        check(node.inputs.size() == 1, node, "a channel gather has one input");
        check(in.scale == out.scale && in.dtype() == out.dtype(), node, "input and output share scale and type");
        check(in.shape.size() == 4 && out.shape.size() == 4, node, "rank-4 tensors");
        check(static_cast<std::int64_t>(node.gather_channels.size()) == out.shape[1], node,
              "one gathered channel per output channel");
        for (const std::int64_t c : node.gather_channels) check(c >= 0 && c < in.shape[1], node, "channel out of range");
        for (std::size_t d : {std::size_t{0}, std::size_t{2}, std::size_t{3}}) {
          check(in.shape[d] == out.shape[d], node, "batch and spatial dimensions kept");
        }
        break;
      case QOpKind::Softmax: verify_softmax(graph, node); break;
      case QOpKind::Resize: verify_resize(graph, node); break;
      case QOpKind::LayerNorm: {
        check(node.inputs.size() == 1, node, "a layer norm has one input");
        check(in.shape == out.shape, node, "same shape in and out");
        const bool channels = in.shape.size() == 2 || in.shape.size() == 4;
        check(channels, node, "[N, C] or [N, C, H, W]: a layer norm over the channels");
        if (!channels) break;
        const auto c = static_cast<std::size_t>(in.shape[1]);
        check(node.layernorm_gamma.size() == c && node.layernorm_beta.size() == c, node, "one gamma and beta per channel");
        const LayerNormParams& p = node.layernorm;
        check(p.n == c && p.gamma_multiplier.size() == c && p.beta_offset.size() == c, node,
              "integer parameters for every channel");
        check(p.rms == node.layernorm_rms, node, "integer parameters made for its form (LayerNorm or RMSNorm)");
        check(p.input_lo == in.lo() && p.input_hi == in.hi() && p.output_lo == out.lo() && p.output_hi == out.hi(), node,
              "integer parameters made for the input and output types");
        break;
      }
      case QOpKind::MatMul: verify_matmul(graph, node); break;
      case QOpKind::Concat: {
        check(node.concat_axis == 1 || node.concat_axis == 3, node, "along the channels (1) or W (3)");
        std::int64_t along = 0;
        for (int input : node.inputs) {
          const QTensor& t = graph.tensor(input);
          check(t.scale == out.scale && t.dtype() == out.dtype(), node,
                fmt::format("input {} does not share the output's scale and type", t.name));
          Shape expected = out.shape;
          const auto axis = static_cast<std::size_t>(node.concat_axis);
          if (axis < expected.size() && t.shape.size() == expected.size()) {
            expected[axis] = t.shape[axis];
            along += t.shape[axis];
          }
          check(t.shape == expected, node, fmt::format("input {} differs from the output off the concat axis", t.name));
        }
        const auto axis = static_cast<std::size_t>(node.concat_axis);
        check(axis < out.shape.size() && along == out.shape[axis], node, "the inputs do not add up to the output");
        break;
      }
    }
  }
  for (int output : graph.outputs) {
    if (output < 0 || output >= count || !defined[static_cast<std::size_t>(output)]) {
      throw std::logic_error("QGraph: output not produced");
    }
  }
}

namespace {

std::string format_type(const QTensor& t) {
  return fmt::format("{}{}{}", t.is_signed ? "i" : "u", t.bits, format_shape(t.shape));
}

template <class T>
std::string summarize(const std::vector<T>& values) {
  if (values.empty()) return "-";
  if (values.size() == 1) return fmt::format("{}", values[0]);
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return fmt::format("{}..{} ({} ch)", *lo, *hi, values.size());
}

}  // namespace

void print_qgraph(std::ostream& os, const QGraph& graph) {
  os << fmt::format("qgraph {} (scheme {})\n", graph.name, scheme_name(graph.scheme));
  for (int input : graph.inputs) {
    const QTensor& t = graph.tensor(input);
    const std::string given = t.token_ids              ? " (token ids)"
                              : t.source_shape.empty() ? ""
                                                       : fmt::format(" (given as {})", format_shape(t.source_shape));
    os << fmt::format("  input  %{}: {}{} scale {:g}\n", t.name, format_type(t), given, t.scale);
  }
  for (const QNode& node : graph.nodes) {
    const QTensor& out = graph.tensor(node.output);
    std::string args;
    for (int input : node.inputs) args += fmt::format("{}%{}", args.empty() ? "" : ", ", graph.tensor(input).name);
    os << fmt::format("  %{}: {} scale {:g} = {}({})", out.name, format_type(out), out.scale, qop_name(node.kind), args);
    if (node.kind == QOpKind::Conv) {
      os << fmt::format(" w i{}{} group {} k {}x{} s {}", node.weight_bits, format_shape(node.weights.shape()),
                        node.group, node.kernel[0], node.kernel[1], node.strides[0]);
    }
    if (node.kind == QOpKind::Add) os << fmt::format(" m {}", summarize(node.input_multiplier));
    if (node.kind == QOpKind::Lut) os << fmt::format(" {} table {}", node.lut_function, summarize(node.lut_table));
    if (node.kind == QOpKind::ChannelGather) os << fmt::format(" channels {}", fmt::join(node.gather_channels, ","));
    if (node.kind == QOpKind::PixelGather) os << fmt::format(" pixels {}", summarize(node.gather_pixels));
    if (node.kind == QOpKind::MatMul) {
      os << fmt::format(" {} heads {}{} factor {:g}", matmul_form_name(node.matmul_form), node.matmul_heads,
                        node.matmul_windows > 1 ? fmt::format(" windows {}", node.matmul_windows) : "",
                        node.matmul_factor);
    }
    if (node.kind == QOpKind::Conv || node.kind == QOpKind::Add || node.kind == QOpKind::AvgPool ||
        node.kind == QOpKind::Mul || node.kind == QOpKind::MatMul) {
      const Requant& r = node.requant;
      os << fmt::format(" | requant mul {} off {} shift {} clamp [{}, {}]{}", summarize(r.multiplier),
                        summarize(r.offset), summarize(r.shift), r.lo, r.hi,
                        r.intermediate_bits == 16 ? " int16" : "");
    }
    os << "  # " << node.name << '\n';
  }
  for (int output : graph.outputs) os << fmt::format("  output %{}\n", graph.tensor(output).name);
}

}  // namespace wb::quant
