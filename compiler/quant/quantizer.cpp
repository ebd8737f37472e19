#include "compiler/quant/quantizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "compiler/ir/fusion.h"
#include "compiler/ir/node_list.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_ids.h"
#include "compiler/ir/recurrent.h"
#include "compiler/quant/absorbed_views.h"
#include "compiler/quant/node_patterns.h"
#include "compiler/quant/requant_params.h"
#include "compiler/quant/resize_taps.h"
#include "support/error.h"

namespace wb::quant {

std::string quantization_pipeline(Scheme scheme) {
  std::string pipeline =
      "fold-constants,unroll-recurrence,remove-identity,fuse-layernorm,fuse-rmsnorm,fuse-gelu,channels-last-blocks,batched-attention,tokens-as-image,reduce-mean-to-pool,canonicalize-nchw,channel-moves-to-gather,conv-transpose-to-conv,fold-pad,trim-dilated-taps,fold-batchnorm,batchnorm-to-depthwise,fuse-activation,"
      "collapse-concat,gemm-to-conv";
  if (scheme == Scheme::Pow2) pipeline += ",avgpool-to-depthwise";
  return pipeline;
}

namespace {

// max |v| over [first, last), in four independent chains (a max is exact, so the order does
// not matter) for speed: one chain waits on every comparison.
double max_abs_of(const double* first, const double* last) {
  double m[4] = {0, 0, 0, 0};
  const std::ptrdiff_t n = last - first;
  std::ptrdiff_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) m[k] = std::max(m[k], std::abs(first[i + k]));
  }
  for (; i < n; ++i) m[0] = std::max(m[0], std::abs(first[i]));
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

double to_float32(double v) { return static_cast<double>(static_cast<float>(v)); }

double pow2_ceil(double v) { return std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(v)))); }

std::int64_t signed_max(int bits) { return (std::int64_t{1} << (bits - 1)) - 1; }

// One float node (or a fused pair) that becomes one QNode.
struct PlannedNode {
  QOpKind kind;
  const Node* node;             // the float node
  const Value* output;          // the value the QNode produces (an absorbed Relu's output for Add)
  FusedActivation activation;  // Add: the absorbed Relu/Clip
  std::string lut_function{};   // Lut: what its table computes
  const Value* input = nullptr;  // LayerNorm of an NHWC view: the NCHW tensor the first Transpose reads; PixelGather: its source
  std::optional<AttentionProduct> product{};  // MatMul: its operands and form
  std::vector<std::int64_t> pixels{};         // PixelGather: the source pixel of each output pixel
  std::vector<std::int64_t> labels{};         // Softmax under Swin's mask: each token's region
  std::optional<std::int64_t> causal_offset{};  // Softmax under a causal mask: keys <= query + offset
};

// The lookup-table function of a sigmoid-like activation node, and, when its only reader is a
// Mul of it by the activation's own input (x * sigmoid(x): SiLU/Swish; x * hardsigmoid(x):
// torch's HardSwish export below opset 14), that Mul, which the table absorbs.
struct LutPlan {
  std::string function;
  const Node* absorbed_mul = nullptr;
};
LutPlan plan_lut(const Graph& graph, const Node& node) {
  LutPlan plan;
  switch (node.op) {
    case OpKind::Sigmoid: plan.function = "sigmoid"; break;
    case OpKind::Tanh: plan.function = "tanh"; break;
    case OpKind::HardSigmoid: plan.function = "hardsigmoid"; break;
    case OpKind::HardSwish: plan.function = "hardswish"; return plan;
    case OpKind::Gelu:
      plan.function = node.attrs.get_string("approximate", "none") == "tanh" ? "gelu_tanh" : "gelu";
      return plan;
    default: return plan;
  }
  const Value* out = node.output(0);
  const auto users = graph.users(out);
  if (node.op == OpKind::Tanh || users.size() != 1 || graph.is_graph_output(out)) return plan;
  const Node& mul = *users[0];
  if (mul.op != OpKind::Mul || mul.inputs.size() != 2) return plan;
  const Value* other = mul.input(0) == out ? mul.input(1) : mul.input(0);
  if (other != node.input(0) || mul.output(0)->shape != out->shape) return plan;
  plan.function = node.op == OpKind::Sigmoid ? "silu" : "hardswish";
  plan.absorbed_mul = &mul;
  return plan;
}

constexpr const char* kLayerNormForms =
    "only a LayerNormalization over the channels has an integer form: axis 1 of [N, C] or [N, C, 1, 1], or the "
    "last axis of an NHWC view Transpose(0, 2, 3, 1) -> LayerNormalization -> Transpose(0, 3, 1, 2) (the "
    "channels-last-blocks pass writes channels-last blocks in that form)";

// The Sigmoid a Sub(1, Sigmoid(x)) complements, or nullptr.
const Node* sigmoid_complement_of(const Node& sub) {
  const Tensor* one = sub.constant_input(0);
  const Value* s = sub.input(1);
  if (sub.op != OpKind::Sub || one == nullptr || one->numel() != 1 || one->as_double(0) != 1.0 || s == nullptr ||
      s->producer == nullptr || s->producer->op != OpKind::Sigmoid || sub.output(0)->shape != s->shape) {
    return nullptr;
  }
  return s->producer;
}

// Both shapes of equal rank, each dimension the output's or 1.
bool broadcasts_to(const Shape& shape, const Shape& out) {
  if (shape.size() != out.size()) return false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != out[d] && shape[d] != 1) return false;
  }
  return true;
}

class Builder {
 public:
  Builder(const Graph& graph, const Calibrator& calibration, const QuantizeOptions& options)
      : graph_(graph), calibration_(calibration), options_(options) {}

  // What plan() rejects, without building anything.
  std::vector<std::string> rejected_nodes() {
    check_options();
    plan();
    return unsupported_;
  }

  QGraph build() {
    check_options();
    plan();
    if (!unsupported_.empty()) throw UserError(format_unsupported_nodes());
    q_.name = graph_.name;
    q_.scheme = options_.scheme;
    for (const Value* input : graph_.inputs()) {
      const int index = tensor_for(input);
      q_.inputs.push_back(index);
      if (token_id_rows(graph_, *input)) {
        QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
        t.token_ids = true;
        t.bits = 16;
        t.is_signed = false;
      }
      // A token input read as its image: the QGraph's input is the image (the same bytes
      // stored HWC), given by users in the input's own shape.
      if (const auto view = views_.token_inputs.find(input); view != views_.token_inputs.end()) {
        const Value* image = view->second.reshape->output(0);
        QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
        t.source_shape = t.shape;
        t.shape = image->shape;
        index_.emplace(image, index);
      }
    }
    for (const PlannedNode& p : planned_) {
      if (!reads_constant_operands(p)) continue;
      for (const Value* in : p.node->inputs) {
        if (in->is_constant()) constant_values_.emplace(tensor_for(in), in);
      }
    }
    for (const PlannedNode& p : planned_) tensor_for(p.output);
    assign_types();
    assign_scales();
    quantize_constants();
    for (const PlannedNode& p : planned_) {
      if (p.kind == QOpKind::Embedding) table_as_image(q_.tensors[static_cast<std::size_t>(input_index(*p.node, 0))]);
    }
    for (const PlannedNode& p : planned_) q_.nodes.push_back(make_node(p));
    for (const Value* output : graph_.outputs()) {
      // A token output read back from its image: the QGraph's output is the image (the same
      // bytes stored HWC), given to users in the output's own shape.
      if (const auto view = views_.token_outputs.find(output); view != views_.token_outputs.end()) {
        const int index = index_.at(view->second.image);
        QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
        if (!t.source_shape.empty() && t.source_shape != output->shape) {
          throw UserError(fmt::format("output '{}': its image '{}' is also another output of another layout",
                                      output->name, t.name));
        }
        t.source_shape = output->shape;
        t.name = output->name;
        q_.outputs.push_back(index);
        continue;
      }
      q_.outputs.push_back(index_.at(output));
    }
    assign_requant(q_);
    verify_qgraph(q_);
    return std::move(q_);
  }

 private:
  void check_options() const {
    for (int b : {options_.bits, options_.first_layer_bits, options_.last_layer_bits}) {
      if (b != 0 && b != 8 && b != 16) throw UserError(fmt::format("{} bits: only 8 and 16 are supported", b));
    }
    if (options_.bits == 0) throw UserError("0 bits: only 8 and 16 are supported");
  }

  void reject(const Node& node, const std::string& reason) {
    unsupported_.push_back(fmt::format("{} ({}): {}", node.name, node.op_type, reason));
  }

  std::string format_unsupported_nodes() const {
    std::string text = fmt::format("{} node(s) cannot be quantized:", unsupported_.size());
    return text + unsupported_node_list(unsupported_, false);
  }

  // Every input present, at least one computed, the others float constants (constant operands:
  // a class token, a position embedding).
  bool operands_with_constants(const Node& node) const {
    bool computed = false;
    for (const Value* in : node.inputs) {
      if (in == nullptr || (in->is_constant() && in->constant->dtype() != DType::F32)) return false;
      computed = computed || !in->is_constant();
    }
    return computed;
  }

  static bool reads_constant_operands(const PlannedNode& p) {
    return p.kind == QOpKind::Add || p.kind == QOpKind::Concat || p.kind == QOpKind::Embedding;
  }

  bool all_non_constant(const Node& node) const {
    for (const Value* in : node.inputs) {
      if (in == nullptr || in->is_constant()) return false;
    }
    return true;
  }

  void plan() {
    views_ = absorbed_views(graph_);
    for (const auto& [node, problem] : views_.mask_problems) reject(*node, problem);
    for (const auto& [node, product] : views_.products) note_window_rows(product);
    for (const Node* node : graph_.topological_order()) {
      if (views_.nodes.count(node) == 0) plan_node(node, node->output(0));
    }
    check_outputs_produced();
  }

  // Each op's integer form, or why none (reject). A node a step absorbs (an Add's activation,
  // a table's Mul, a LayerNorm's NHWC views) joins views_.nodes and is not planned again.
  void plan_node(const Node* node, const Value* out) {
    switch (node->op) {
      case OpKind::Conv: plan_conv(node, out); return;
      case OpKind::Add: plan_add(node, out); return;
      case OpKind::MaxPool:
      case OpKind::AveragePool:
      case OpKind::GlobalAveragePool: plan_pool(node, out); return;
      case OpKind::Concat: plan_concat(node, out); return;
      case OpKind::Flatten:
      case OpKind::Reshape: plan_reshape(node, out); return;
      case OpKind::Softmax: plan_softmax(node, out); return;
      case OpKind::LayerNormalization:
      case OpKind::RMSNormalization: plan_layernorm(node, out); return;
      case OpKind::Transpose: plan_transpose(node); return;
      case OpKind::Gather: plan_gather(node, out); return;
      case OpKind::Resize: plan_resize(node, out); return;
      case OpKind::Relu:
      case OpKind::Clip: plan_unfused_activation(node); return;
      case OpKind::Sigmoid:
      case OpKind::Tanh:
      case OpKind::HardSigmoid:
      case OpKind::HardSwish:
      case OpKind::Gelu: plan_table(node, out); return;
      case OpKind::MatMul: plan_matmul(node); return;
      case OpKind::Sub: plan_sub(node, out); return;
      case OpKind::Mul: plan_mul(node, out); return;
      case OpKind::LSTM:
      case OpKind::GRU:
      case OpKind::RNN: plan_recurrent(node); return;
      case OpKind::ConvTranspose: plan_conv_transpose(node); return;
      default: plan_other(node); return;
    }
  }

  void plan_conv(const Node* node, const Value* out) {
    if (node->input(kConvResidualInput) != nullptr) {
      reject(*node, "a Conv with a fused residual (quantize without fuse-residual-add)");
    } else if (node->constant_input(1) == nullptr || (node->input(2) && !node->constant_input(2))) {
      reject(*node, "weights and bias must be constants");
    } else if (node->input(0)->shape.size() != 4) {
      reject(*node, "only 2-D convolutions are supported");
    } else {
      planned_.push_back({QOpKind::Conv, node, out, {}});
    }
  }

  void plan_add(const Node* node, const Value* out) {
    if (node->inputs.size() != 2 || !operands_with_constants(*node) || node->input(0)->shape != out->shape ||
        node->input(1)->shape != out->shape) {
      reject(*node, "only an Add of two tensors of the same shape (one may be a constant: a position "
                    "embedding) is supported");
      return;
    }
    PlannedNode p{QOpKind::Add, node, out, {}};
    const auto users = graph_.users(out);
    if (users.size() == 1 && !graph_.is_graph_output(out)) {
      if (auto act = activation_of(*users[0])) {
        p.activation = *act;
        p.output = users[0]->output(0);
        views_.nodes.insert(users[0]);
      }
    }
    planned_.push_back(p);
  }

  void plan_pool(const Node* node, const Value* out) {
    if (node->input(0)->shape.size() != 4) {
      reject(*node, "only 2-D pooling is supported");
    } else if (node->outputs.size() > 1 && node->output(1) != nullptr) {
      reject(*node, "MaxPool indices are not supported");
    } else {
      planned_.push_back({node->op == OpKind::MaxPool ? QOpKind::MaxPool : QOpKind::AvgPool, node, out, {}});
    }
  }

  void plan_concat(const Node* node, const Value* out) {
    const auto rank = static_cast<std::int64_t>(out->shape.size());
    const std::int64_t axis = normalize_axis(node->attrs.get_int("axis", 0), rank);
    if (!operands_with_constants(*node) || !(axis == 1 || (axis == 3 && rank == 4))) {
      reject(*node, "only a Concat along the channels, or along W of an NCHW tensor (tokens: a class token), "
                    "of computed tensors and constants is supported");
    } else {
      planned_.push_back({QOpKind::Concat, node, out, {}});
    }
  }

  void plan_reshape(const Node* node, const Value* out) {
    if (node->input(0)->is_constant()) {
      reject(*node, "reshaping a constant");
    } else {
      planned_.push_back({QOpKind::Reshape, node, out, {}});
    }
  }

  void plan_softmax(const Node* node, const Value* out) {
    const auto mask = views_.masks.find(node);
    const auto causal = views_.causal_masks.find(node);
    const Value* scores = mask != views_.masks.end()            ? mask->second.scores
                          : causal != views_.causal_masks.end() ? causal->second.scores
                                                                : node->input(0);
    const Shape& shape = node->input(0)->shape;
    const bool rows = shape.size() == 2 || (shape.size() == 4 && shape[2] == 1 && shape[3] == 1);
    const auto rank = static_cast<std::int64_t>(shape.size());
    const std::int64_t axis = node->input(0)->is_constant() ? -1 : normalize_axis(node->attrs.get_int("axis", -1), rank);
    if (node->attrs.get_int("flatten_at_axis", 0) != 0) {
      reject(*node, fmt::format("an opset < 13 Softmax normalises every axis from {} on of {} jointly; only "
                                "one over the last axis has an integer form (export with opset 13 to "
                                "normalise one axis)",
                                node->attrs.get_int("axis", 1), format_shape(shape)));
    } else if (const auto windowed = window_rows_.find(scores);
               windowed != window_rows_.end() && rank == 4 && axis == 3) {
      // Swin's windowed scores [W, h, L, L'] over the keys: the rows [W h, L, L'].
      window_rows_[out] = windowed->second;
      PlannedNode p{QOpKind::Softmax, node, out, {}};
      if (mask != views_.masks.end()) {
        p.input = scores;
        p.labels = mask->second.labels;
      }
      if (causal != views_.causal_masks.end()) {
        p.input = scores;
        p.causal_offset = causal->second.offset;
      }
      planned_.push_back(p);
    } else if (!(rows && axis == 1) && !(rank == 3 && axis == 2)) {
      reject(*node, "only a Softmax over the channels of an [N, C] (or [N, C, 1, 1]) tensor, or over the last "
                    "axis of attention's scores [h, T, T'] (Swin's windowed [W, h, L, L']), is supported");
    } else {
      PlannedNode p{QOpKind::Softmax, node, out, {}};
      if (causal != views_.causal_masks.end()) {
        p.input = scores;
        p.causal_offset = causal->second.offset;
      }
      planned_.push_back(p);
    }
  }

  void plan_layernorm(const Node* node, const Value* out) {
    if (channel_layernorm(*node)) {
      planned_.push_back({QOpKind::LayerNorm, node, out, {}});
    } else {
      reject(*node, kLayerNormForms);
    }
  }

  void plan_transpose(const Node* node) {
    if (const LayerNormView view = nhwc_layernorm(graph_, *node); view.layernorm != nullptr) {
      PlannedNode p{QOpKind::LayerNorm, view.layernorm, view.back->output(0), {}};
      p.input = node->input(0);
      planned_.push_back(p);
      views_.nodes.insert(view.layernorm);
      views_.nodes.insert(view.back);
    } else if (const HwcTokensView pixels = hwc_tokens_view(graph_, *node); pixels.image != nullptr) {
      planned_.push_back({QOpKind::HwcReshape, node, pixels.image, {}});
      views_.nodes.insert(pixels.views.begin(), pixels.views.end());
    } else {
      reject(*node, "no integer form in the quantization schemes (a Transpose is supported only as the "
                    "NHWC view around a LayerNormalization over the channels, or as an image's pixels read "
                    "as tokens: docs/token_layout.md)");
    }
  }

  void plan_gather(const Node* node, const Value* out) {
    if (const Tensor* table = embedding_table(*node)) {
      plan_embedding(node, *table);
      return;
    }
    if (const auto view = views_.pixel_gathers.find(node); view != views_.pixel_gathers.end()) {
      PlannedNode p{QOpKind::PixelGather, node, view->second.output, {}};
      p.input = view->second.input;
      p.pixels = view->second.pixels;
      planned_.push_back(p);
      return;
    }
    const Value* channels = node->input(1);
    if (node->input(0)->is_constant() || node->input(0)->shape.size() != 4 || channels == nullptr ||
        !channels->is_constant() || channels->constant->rank() != 1 ||
        normalize_axis(node->attrs.get_int("axis", 0), 4) != 1) {
      reject(*node, "only a Gather of constant channels of a computed NCHW tensor (a channel shuffle, slice or "
                    "split), or of constant pixels of an NCHW [1, C, 1, N] (moved pixels, docs/token_layout.md), "
                    "is supported");
    } else {
      planned_.push_back({QOpKind::ChannelGather, node, out, {}});
    }
  }

  // nn.Embedding as torch exports it: Gather(table, ids) of a graph input of token ids, its rows
  // read as tokens (the tokens-as-image pass made their image, absorbed here).
  void plan_embedding(const Node* node, const Tensor& table) {
    const auto view = views_.embeddings.find(node);
    const Value* ids = node->input(1);
    if (ids->producer != nullptr) {
      reject(*node, "an embedding's token ids must be a graph input the Gather reads directly");
    } else if (table.shape()[0] > kMaxEmbeddingRows) {
      reject(*node, fmt::format("an embedding table of {} rows: token ids are 16-bit on both targets, so at most {} "
                                "rows are supported",
                                table.shape()[0], kMaxEmbeddingRows));
    } else if (view == views_.embeddings.end()) {
      reject(*node, "an embedding has an integer form when its rows are read as tokens (by a LayerNorm, a Linear or "
                    "an Add over their features, as a transformer reads them)");
    } else {
      planned_.push_back({QOpKind::Embedding, node, view->second.reshape->output(0), {}});
    }
  }

  void plan_resize(const Node* node, const Value* out) {
    const Shape& in = node->input(0)->shape;
    if (node->input(0)->is_constant() || in.size() != 4 || out->shape.size() != 4 || out->shape[0] != in[0] ||
        out->shape[1] != in[1]) {
      reject(*node, "only a Resize of the H and W axes of a computed NCHW tensor is supported");
    } else {
      planned_.push_back({QOpKind::Resize, node, out, {}});
    }
  }

  void plan_unfused_activation(const Node* node) {
    reject(*node, "an activation that is not fused into a Conv or an Add");
  }

  void plan_table(const Node* node, const Value* out) {
    // A Sigmoid read only by Sub(1, .): the Sub's table of the Sigmoid's input replaces it.
    if (const auto users = graph_.users(out); users.size() == 1 && !graph_.is_graph_output(out) &&
                                              sigmoid_complement_of(*users[0]) == node) {
      return;
    }
    const LutPlan lut = plan_lut(graph_, *node);
    PlannedNode p{QOpKind::Lut, node, out, {}, lut.function};
    if (lut.absorbed_mul != nullptr) {
      p.output = lut.absorbed_mul->output(0);
      views_.nodes.insert(lut.absorbed_mul);
    }
    planned_.push_back(p);
  }

  void plan_matmul(const Node* node) {
    if (const auto it = views_.products.find(node); it != views_.products.end()) {
      PlannedNode p{QOpKind::MatMul, node, it->second.output, {}};
      p.product = it->second;
      planned_.push_back(p);
    } else {
      reject(*node, "a MatMul of two activations has an integer form only as attention's scores (Q.K^T) or "
                    "context (A.V) on images of tokens, as the tokens-as-image pass writes them "
                    "(docs/token_layout.md); a MatMul by a constant runs as a Conv");
    }
  }

  void plan_sub(const Node* node, const Value* out) {
    if (const Node* sigmoid = sigmoid_complement_of(*node); sigmoid != nullptr) {
      // 1 - sigmoid(a) is sigmoid(-a): one table of a (a GRU's 1 - z, unroll-recurrence).
      PlannedNode p{QOpKind::Lut, node, out, {}, "sigmoid_complement"};
      p.input = sigmoid->input(0);
      planned_.push_back(p);
    } else {
      reject(*node, "only 1 - Sigmoid(x) (one table of x) is supported of a Sub");
    }
  }

  void plan_mul(const Node* node, const Value* out) {
    if (node->inputs.size() != 2 || !all_non_constant(*node)) {
      reject(*node, "only a Mul of two computed tensors is supported (a Mul by a constant folds into the "
                    "Conv before it, when there is one)");
    } else if (!broadcasts_to(node->input(0)->shape, out->shape) ||
               !broadcasts_to(node->input(1)->shape, out->shape)) {
      reject(*node, fmt::format("inputs {} and {} do not broadcast by size-1 dimensions of the same rank",
                                format_shape(node->input(0)->shape), format_shape(node->input(1)->shape)));
    } else {
      planned_.push_back({QOpKind::Mul, node, out, {}});
    }
  }

  void plan_recurrent(const Node* node) {
    // unroll-recurrence turned every other one into its steps.
    const std::string why = node->input(0) != nullptr && node->input(0)->has_type()
                                ? recurrent_unroll_problem(*node, recurrent_spec(*node))
                                : std::string("an input of unknown shape");
    reject(*node, fmt::format("a recurrent layer whose steps the targets cannot run: {}", why));
  }

  void plan_conv_transpose(const Node* node) {
    // conv-transpose-to-conv turned every other one into its Conv over a zero-inserted input.
    reject(*node, node->input(0) != nullptr && node->input(0)->shape.size() != 4
                      ? "a transposed conv over 1 or 3 spatial axes; the targets run 2-D ones (export it as "
                        "ConvTranspose2d over [N, C, 1, L] for a 1-D one)"
                  : node->constant_input(1) == nullptr
                      ? "a transposed conv of weights computed at run time; its weights must be constants"
                      : "a transposed conv whose pads exceed its kernel's extent ((kernel - 1) x dilation): "
                        "it crops more than its taps reach");
  }

  void plan_other(const Node* node) {
    reject(*node, "no integer form in the quantization schemes (supported: Conv, ConvTranspose, Add[+Relu/Clip], Mul, MaxPool, "
                  "AveragePool, GlobalAveragePool, Concat, Flatten, Reshape, Sigmoid, Tanh, HardSigmoid, "
                  "HardSwish, x*Sigmoid(x), Gelu, Gather of channels, Softmax over channels, Resize of H and W, "
                  "LayerNormalization over channels)");
  }

  // A graph output no planned node writes: its producer has no integer form.
  void check_outputs_produced() {
  for (const Value* output : graph_.outputs()) {
    const auto view = views_.token_outputs.find(output);
    const Value* stored = view == views_.token_outputs.end() ? output : view->second.image;
    bool produced = std::any_of(planned_.begin(), planned_.end(), [&](const PlannedNode& p) { return p.output == stored; });
    if (!produced && output->producer != nullptr && unsupported_.empty()) {
      reject(*output->producer, "produces a graph output but has no integer form");
    }
  }
  }

  // A windowed product's 4-D scores or probabilities [W, h, L, L'] are the rows [W h, L, L'].
  void note_window_rows(const AttentionProduct& product) {
    const Value* rows = product.form == MatMulForm::Scores ? product.output : product.a;
    const Shape& s = rows->shape;
    if (s.size() == 4) window_rows_[rows] = Shape{s[0] * s[1], s[2], s[3]};
  }

  int tensor_for(const Value* value) {
    const auto it = index_.find(value);
    if (it != index_.end()) return it->second;
    QTensor t;
    t.name = value->name;
    const auto rows = window_rows_.find(value);
    t.shape = rows != window_rows_.end() ? rows->second : value->shape;
    t.bits = options_.bits;
    const int index = static_cast<int>(q_.tensors.size());
    q_.tensors.push_back(std::move(t));
    index_.emplace(value, index);
    return index;
  }

  int input_index(const Node& node, std::size_t i) const { return index_.at(node.input(i)); }

  // Union-find over tensor indices.
  int find(std::vector<int>& parent, int i) const {
    while (parent[static_cast<std::size_t>(i)] != i) i = parent[static_cast<std::size_t>(i)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
    return i;
  }
  void unite(std::vector<int>& parent, int a, int b) const { parent[static_cast<std::size_t>(find(parent, a))] = find(parent, b); }

  // The QGraph tensors a planned node reads (a Reshape's shape and a Conv's weights are
  // constants, not tensors).
  std::vector<int> data_inputs(const PlannedNode& p) const {
    if (p.input != nullptr) return {index_.at(p.input)};
    if (p.product) return {index_.at(p.product->a), index_.at(p.product->b)};
    std::vector<int> result;
    for (const Value* in : p.node->inputs) {
      if (in != nullptr && (!in->is_constant() || reads_constant_operands(p))) result.push_back(index_.at(in));
    }
    return result;
  }

  // A constant operand's integers at its tensor's scale, rounded half to even as QuantizeLinear
  // rounds; the cast saturates at the type's range, which is the tensor's.
  void quantize_constants() {
    for (const auto& [index, value] : constant_values_) {
      QTensor& t = q_.tensors[static_cast<std::size_t>(index)];
      Tensor levels = value->constant->cast(DType::F64);
      for (double& v : levels.span<double>()) v = std::nearbyint(v / t.scale);
      t.data = levels.cast(t.dtype());
    }
  }

  // An embedding's table [V, C] as the image [1, C, 1, V] of its rows: its HWC bytes are the rows.
  static void table_as_image(QTensor& table) {
    if (table.shape.size() == 4) return;  // one table read by two embeddings
    const std::int64_t rows = table.shape[0], features = table.shape[1];
    const Tensor levels = table.data.cast(DType::I64);
    Tensor image(DType::I64, {1, features, 1, rows});
    for (std::int64_t v = 0; v < rows; ++v) {
      for (std::int64_t c = 0; c < features; ++c) {
        image.data<std::int64_t>()[c * rows + v] = levels.data<std::int64_t>()[v * features + c];
      }
    }
    table.data = image.cast(table.data.dtype());
    table.shape = image.shape();
  }

  FusedActivation activation(const PlannedNode& p) const {
    return p.kind == QOpKind::Conv ? FusedActivation::of(*p.node) : p.activation;
  }

  // Signedness and bits. Tensors that must share a type (Concat, MaxPool, Reshape, avg of the
  // same data) are unified: signed if any member is, the widest bits.
  void assign_types() {
    const Node* first_conv = nullptr;
    const Node* last_conv = nullptr;
    for (const PlannedNode& p : planned_) {
      if (p.kind != QOpKind::Conv) continue;
      if (first_conv == nullptr) first_conv = p.node;
      last_conv = p.node;
    }
    for (const PlannedNode& p : planned_) {
      QTensor& out = q_.tensors[static_cast<std::size_t>(index_.at(p.output))];
      if (p.kind == QOpKind::Conv || p.kind == QOpKind::Add) {
        const FusedActivation act = activation(p);
        out.is_signed = !(act.kind != FusedActivation::Kind::None && act.min >= 0.0f);
      } else if (p.kind == QOpKind::Lut) {
        // sigmoid, its complement and hardsigmoid lie in [0, 1]: unsigned keeps all 8 bits for them.
        out.is_signed = !(p.lut_function == "sigmoid" || p.lut_function == "sigmoid_complement" ||
                          p.lut_function == "hardsigmoid");
        out.bits = 8;
      } else if (p.kind == QOpKind::Softmax) {
        out.is_signed = false;  // probabilities in [0, 1] at scale 1/256
        out.bits = 8;
      } else if (p.kind == QOpKind::LayerNorm || p.kind == QOpKind::Embedding) {
        out.is_signed = true;  // centred, or a table of both signs: whatever the input's
      } else if (p.kind == QOpKind::Mul) {
        out.is_signed = false;
        for (int in : data_inputs(p)) out.is_signed = out.is_signed || q_.tensor(in).is_signed;
      } else {
        out.is_signed = false;
        for (int in : data_inputs(p)) out.is_signed = out.is_signed || q_.tensor(in).is_signed;
      }
      if (p.node == first_conv && options_.first_layer_bits != 0) out.bits = options_.first_layer_bits;
      if (p.node == last_conv && options_.last_layer_bits != 0) out.bits = options_.last_layer_bits;
    }
    type_parent_.resize(q_.tensors.size());
    std::iota(type_parent_.begin(), type_parent_.end(), 0);
    for (const PlannedNode& p : planned_) {
      if (p.kind == QOpKind::Concat || p.kind == QOpKind::MaxPool || p.kind == QOpKind::Reshape ||
          p.kind == QOpKind::HwcReshape || p.kind == QOpKind::ChannelGather || p.kind == QOpKind::PixelGather ||
          p.kind == QOpKind::Resize) {
        for (int in : data_inputs(p)) unite(type_parent_, in, index_.at(p.output));
      } else if (p.kind == QOpKind::Embedding) {
        unite(type_parent_, data_inputs(p)[0], index_.at(p.output));  // its rows are its table's
      }
    }
    std::map<int, std::pair<bool, int>> group_type;
    for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
      auto& [is_signed, bits] = group_type[find(type_parent_, static_cast<int>(i))];
      is_signed = is_signed || q_.tensors[i].is_signed;
      bits = std::max(bits, q_.tensors[i].bits);
    }
    for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
      const auto& [is_signed, bits] = group_type[find(type_parent_, static_cast<int>(i))];
      q_.tensors[i].is_signed = is_signed;
      q_.tensors[i].bits = bits;
    }
  }

  double natural_scale(int index) const {
    const QTensor& t = q_.tensor(index);
    if (t.token_ids) return 1.0;  // the ids themselves
    const double qmax = static_cast<double>(t.hi());
    double th = 0;
    if (const auto c = constant_values_.find(index); c != constant_values_.end()) {
      const Tensor real = c->second->constant->cast(DType::F64);
      th = max_abs_of(real.data<double>(), real.data<double>() + real.numel());
      if (th == 0) return 0;  // an all-zero constant (torch's initial class token): any scale holds it
    } else {
      th = calibration_.threshold(t.name, t.hi());
    }
    return options_.scheme == Scheme::Pow2 ? pow2_ceil(th / qmax) : to_float32(th / qmax);
  }

  // Scale groups: the type groups plus (pow2, xdnn) the two inputs of every Add. A group
  // takes its members' largest scale, so no member is clipped more than its own threshold.
  void assign_scales() {
    std::vector<int> parent = type_parent_;
    if (options_.scheme != Scheme::Pulp) {
      for (const PlannedNode& p : planned_) {
        if (p.kind == QOpKind::Add) unite(parent, input_index(*p.node, 0), input_index(*p.node, 1));
      }
    }
    std::map<int, double> group_scale;
    for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
      double& s = group_scale[find(parent, static_cast<int>(i))];
      s = std::max(s, natural_scale(static_cast<int>(i)));
    }
    for (auto& [group, scale] : group_scale) {
      if (scale == 0) scale = 1;  // nothing but zero constants
    }
    for (std::size_t i = 0; i < q_.tensors.size(); ++i) {
      QTensor& t = q_.tensors[i];
      t.scale = group_scale[find(parent, static_cast<int>(i))];
      t.threshold = t.scale * static_cast<double>(t.hi());
    }
    // A probability needs no calibration: [0, 1] at 1/256, as int8 inference engines give it.
    for (const PlannedNode& p : planned_) {
      if (p.kind != QOpKind::Softmax) continue;
      QTensor& t = q_.tensors[static_cast<std::size_t>(index_.at(p.output))];
      t.scale = 1.0 / 256;
      t.threshold = t.scale * static_cast<double>(t.hi());
    }
  }

  QNode make_node(const PlannedNode& p) {
    QNode q;
    q.kind = p.kind;
    q.name = p.node->name;
    q.output = index_.at(p.output);
    q.inputs = data_inputs(p);
    const FusedActivation act = activation(p);
    if (act.kind != FusedActivation::Kind::None) {
      q.act_min = act.min;
      q.act_max = act.max;
    }
    switch (p.kind) {
      case QOpKind::Conv: make_conv(q, *p.node); break;
      case QOpKind::MaxPool:
      case QOpKind::AvgPool: set_pool_window(q, *p.node); break;
      case QOpKind::Lut:
        for (const int t : {q.inputs[0], q.output}) {
          if (q_.tensor(t).bits != 8) {
            throw UserError(fmt::format("node {} ({}): a lookup table needs 8-bit tensors, but '{}' is {}-bit (from "
                                        "--bits or the first/last-layer bits); quantize it with 8 bits",
                                        p.node->name, p.node->op_type, q_.tensor(t).name, q_.tensor(t).bits));
          }
        }
        q.lut_function = p.lut_function;
        q.lut_alpha = p.node->attrs.get_float("alpha", p.node->op == OpKind::HardSigmoid ? 0.2f : 1.0f / 6.0f);
        q.lut_beta = p.node->attrs.get_float("beta", 0.5f);
        break;
      case QOpKind::Softmax:
        q.softmax_labels = p.labels;
        q.softmax_causal = p.causal_offset.has_value();
        q.softmax_causal_offset = p.causal_offset.value_or(0);
        if (q_.tensor(q.inputs[0]).bits != 8) {
          throw UserError(fmt::format("node {} (Softmax): its exp table needs an 8-bit input, but '{}' is {}-bit; "
                                      "quantize it with 8 bits",
                                      p.node->name, q_.tensor(q.inputs[0]).name, q_.tensor(q.inputs[0]).bits));
        }
        break;
      case QOpKind::ChannelGather:
        q.gather_channels = p.node->constant_input(1)->to_int64_vector();
        for (std::int64_t& c : q.gather_channels) {
          if (c < 0) c += q_.tensor(q.inputs[0]).shape[1];  // ONNX counts negative indices from the end
        }
        break;
      case QOpKind::PixelGather: q.gather_pixels = p.pixels; break;
      case QOpKind::Resize: set_resize(q, *p.node, q_.tensor(q.inputs[0]).shape, q_.tensor(q.output).shape); break;
      case QOpKind::LayerNorm: set_layernorm(q, *p.node, q_.tensor(q.inputs[0]).shape[1]); break;
      case QOpKind::MatMul:
        for (const int t : q.inputs) {
          if (q_.tensor(t).bits != 8) {
            throw UserError(fmt::format("node {} (MatMul): attention's products take 8-bit operands, but '{}' is "
                                        "{}-bit; quantize it with 8 bits",
                                        p.node->name, q_.tensor(t).name, q_.tensor(t).bits));
          }
        }
        q.matmul_form = p.product->form;
        q.matmul_heads = p.product->heads;
        q.matmul_windows = p.product->windows;
        q.matmul_factor = p.product->factor;
        if (p.product->bias != nullptr) {
          q.bias = matmul_bias_levels(*p.product->bias, q_.tensor(q.inputs[0]).scale * q_.tensor(q.inputs[1]).scale *
                                                            q.matmul_factor);
        }
        break;
      case QOpKind::Concat:
        q.concat_axis = normalize_axis(p.node->attrs.get_int("axis", 0), static_cast<std::int64_t>(p.output->shape.size()));
        break;
      case QOpKind::Reshape:
      case QOpKind::HwcReshape:
      case QOpKind::Embedding:
      case QOpKind::Add:
      case QOpKind::Mul: break;
    }
    return q;
  }

  bool is_first_or_last_conv(const Node& node, bool first) const {
    for (std::size_t i = 0; i < planned_.size(); ++i) {
      const PlannedNode& p = planned_[first ? i : planned_.size() - 1 - i];
      if (p.kind == QOpKind::Conv) return p.node == &node;
    }
    return false;
  }

  int weight_bits(const Node& node) const {
    if (options_.first_layer_bits != 0 && is_first_or_last_conv(node, true)) return options_.first_layer_bits;
    if (options_.last_layer_bits != 0 && is_first_or_last_conv(node, false)) return options_.last_layer_bits;
    return options_.bits;
  }

  void make_conv(QNode& q, const Node& node) {
    const Tensor weights = node.constant_input(1)->cast(DType::F64);
    const Shape& w_shape = weights.shape();
    const std::int64_t c_out = w_shape[0];
    const std::int64_t per_channel = weights.numel() / c_out;
    const auto w = weights.span<double>();
    // Each output channel's largest |w| (and whether all are finite), channels in parallel:
    // a max is exact, so the scales do not depend on the order.
    std::vector<double> channel_max(static_cast<std::size_t>(c_out));
    bool finite = true;
#pragma omp parallel for schedule(static) reduction(&& : finite)
    for (std::int64_t c = 0; c < c_out; ++c) {
      const double* first = w.data() + c * per_channel;
      channel_max[static_cast<std::size_t>(c)] = max_abs_of(first, first + per_channel);
      finite = finite && std::all_of(first, first + per_channel, [](double v) { return std::isfinite(v); });
    }
    if (!finite) throw UserError(fmt::format("node {}: the weights hold NaN or Inf", node.name));
    std::vector<double> bias;
    if (node.input(2) != nullptr) {
      bias = node.constant_input(2)->to_double_vector();
      for (double v : bias) {
        if (!std::isfinite(v)) throw UserError(fmt::format("node {}: the bias holds NaN or Inf", node.name));
      }
    }
    set_conv_window(q, node, {w_shape[2], w_shape[3]});
    q.folded_batchnorm = node.attrs.get_int("folded_batchnorm", 0) != 0;
    q.weight_bits = weight_bits(node);
    const double qmax = static_cast<double>(signed_max(q.weight_bits));

    const bool per_channel_scales =
        options_.scheme == Scheme::Xdnn || (options_.scheme == Scheme::Pulp && q.folded_batchnorm);
    const auto scale_of = [&](double m) {
      if (m == 0) return 1.0;
      return options_.scheme == Scheme::Pow2 ? pow2_ceil(m / qmax) : to_float32(m / qmax);
    };
    if (per_channel_scales) {
      for (const double m : channel_max) q.weight_scale.push_back(scale_of(m));
    } else {
      q.weight_scale.push_back(scale_of(*std::max_element(channel_max.begin(), channel_max.end())));
    }

    Tensor qw(q.weight_bits == 8 ? DType::I8 : DType::I16, w_shape);
    const double x_scale = q_.tensor(q.inputs[0]).scale;
    std::vector<std::int32_t> qb(bias.empty() ? 0 : static_cast<std::size_t>(c_out));
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < c_out; ++c) {
      const double s = q.weight_scale.size() == 1 ? q.weight_scale[0] : q.weight_scale[static_cast<std::size_t>(c)];
      for (std::int64_t i = c * per_channel; i < (c + 1) * per_channel; ++i) {
        const double v = std::clamp(std::nearbyint(w[static_cast<std::size_t>(i)] / s), -qmax, qmax);
        if (q.weight_bits == 8) {
          qw.data<std::int8_t>()[i] = static_cast<std::int8_t>(v);
        } else {
          qw.data<std::int16_t>()[i] = static_cast<std::int16_t>(v);
        }
      }
      if (!bias.empty()) {
        const double v = std::nearbyint(bias[static_cast<std::size_t>(c)] / (x_scale * s));
        qb[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
      }
    }
    q.weights = std::move(qw);
    if (!qb.empty()) q.bias = Tensor::from_vector<std::int32_t>({c_out}, qb);
  }

  const Graph& graph_;
  const Calibrator& calibration_;
  const QuantizeOptions& options_;
  std::map<int, const Value*> constant_values_;  // constant operand tensors -> their float values
  std::vector<PlannedNode> planned_;
  std::vector<std::string> unsupported_;
  std::map<const Value*, int> index_;
  AbsorbedViews views_;  // the patterns one QNode computes, found before planning
  // Swin's windowed scores and probabilities, torch's [W, h, L, L'], as the rows [W h, L, L'] the
  // QGraph holds (qgraph.h, "MatMul"); set when their products are found, read by tensor_for.
  std::map<const Value*, Shape> window_rows_;
  std::vector<int> type_parent_;
  QGraph q_;
};

}  // namespace

namespace {

// Finite values and -inf, at least one -inf: what a decoder adds to its attention scores where a
// query may not attend (a causal mask), not a broken weight.
bool is_additive_mask(const Node& node, const Tensor& constant) {
  if (node.op != OpKind::Add && node.op != OpKind::Where) return false;
  const Tensor values = constant.cast(DType::F64);
  bool masked = false;
  for (const double v : values.span<double>()) {
    if (std::isnan(v) || v == std::numeric_limits<double>::infinity()) return false;
    masked = masked || std::isinf(v);
  }
  return masked;
}

}  // namespace

void check_finite_constants(const Graph& graph) {
  for (const Node* node : graph.topological_order()) {
    // A causal mask's -inf is a mask (causal_scores): the Softmax it feeds takes it whole.
    if (const Node* reader = graph.users(node->output(0)).size() == 1 ? graph.users(node->output(0))[0] : nullptr;
        reader != nullptr && reader->op == OpKind::Softmax) {
      const CausalScores causal = causal_scores(graph, *reader);
      if (causal.mask_node == node && causal.problem.empty()) continue;
    }
    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor* constant = node->constant_input(i);
      if (constant == nullptr || !is_float(constant->dtype())) continue;
      // float32 (nearly every model) is checked in place; other float types through a copy.
      bool finite = true;
      if (constant->dtype() == DType::F32) {
        const auto values = constant->span<float>();
        finite = std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
      } else {
        const Tensor values = constant->cast(DType::F64);
        finite = std::all_of(values.span<double>().begin(), values.span<double>().end(),
                             [](double v) { return std::isfinite(v); });
      }
      if (!finite && is_additive_mask(*node, *constant)) {
        throw UserError(fmt::format("node {} ({}): input {} ({}) is an attention mask (-inf where a query may not "
                                    "attend), but not a causal one right before a Softmax over the keys (query i "
                                    "attending to keys 0 .. i + P alone), the one mask with an integer form",
                                    node->name, node->op_type, i, node->input(i)->name));
      }
      if (!finite) {
        throw UserError(fmt::format("node {} ({}): input {} ({}) holds NaN or Inf; fix the model's weights",
                                    node->name, node->op_type, i, node->input(i)->name));
      }
    }
  }
}

std::vector<std::string> unquantizable_nodes(const Graph& graph, const QuantizeOptions& options) {
  const Calibrator no_ranges(CalibrationOptions{});  // planning reads no threshold
  return Builder(graph, no_ranges, options).rejected_nodes();
}

QGraph build_qgraph(const Graph& graph, const Calibrator& calibration, const QuantizeOptions& options) {
  return Builder(graph, calibration, options).build();
}

}  // namespace wb::quant
