// The quantizer's planning: each float node's integer form (a PlannedNode) or why it has none.
#include "compiler/quant/quantizer_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "compiler/ir/node_list.h"
#include "compiler/ir/recurrent.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_ids.h"
#include "support/error.h"

namespace wb::quant::detail {

namespace {

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

}  // namespace

void Builder::reject(const Node& node, const std::string& reason) { unsupported_.push_back({&node, reason, false}); }

void Builder::reject_where_it_is(const Node& node, const std::string& reason) {
  unsupported_.push_back({&node, reason, true});
}

// Every input present, at least one computed, the others float constants (constant operands:
// a class token, a position embedding).
bool Builder::operands_with_constants(const Node& node) const {
  bool computed = false;
  for (const Value* in : node.inputs) {
    if (in == nullptr || (in->is_constant() && in->constant->dtype() != DType::F32)) return false;
    computed = computed || !in->is_constant();
  }
  return computed;
}

bool Builder::reads_constant_operands(const PlannedNode& p) {
  return p.kind == QOpKind::Add || p.kind == QOpKind::Concat || p.kind == QOpKind::Embedding || p.kind == QOpKind::Mul;
}

bool Builder::all_non_constant(const Node& node) const {
  for (const Value* in : node.inputs) {
    if (in == nullptr || in->is_constant()) return false;
  }
  return true;
}

void Builder::plan() {
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
void Builder::plan_node(const Node* node, const Value* out) {
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
    case OpKind::Expand:
      reject(*node, "no integer form of an Expand but as grouped-query attention's repeat of its key and value heads "
                    "(Hugging Face's repeat_kv: Unsqueeze(axis 2), Expand, Reshape of a heads' view; "
                    "docs/token_layout.md)");
      return;
    default: plan_other(node); return;
  }
}

void Builder::plan_conv(const Node* node, const Value* out) {
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

void Builder::plan_add(const Node* node, const Value* out) {
  if (node->inputs.size() != 2 || !operands_with_constants(*node) || node->input(0)->shape != out->shape ||
      node->input(1)->shape != out->shape) {
    reject_where_it_is(*node, "only an Add of two tensors of the same shape (one may be a constant: a position "
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

void Builder::plan_pool(const Node* node, const Value* out) {
  if (node->input(0)->shape.size() != 4) {
    reject(*node, "only 2-D pooling is supported");
  } else if (node->outputs.size() > 1 && node->output(1) != nullptr) {
    reject(*node, "MaxPool indices are not supported");
  } else {
    planned_.push_back({node->op == OpKind::MaxPool ? QOpKind::MaxPool : QOpKind::AvgPool, node, out, {}});
  }
}

void Builder::plan_concat(const Node* node, const Value* out) {
  const auto rank = static_cast<std::int64_t>(out->shape.size());
  const std::int64_t axis = normalize_axis(node->attrs.get_int("axis", 0), rank);
  if (!operands_with_constants(*node) || !(axis == 1 || (axis == 3 && rank == 4))) {
    reject_where_it_is(*node, "only a Concat along the channels, or along W of an NCHW tensor (tokens: a class token), "
                              "of computed tensors and constants is supported");
  } else {
    planned_.push_back({QOpKind::Concat, node, out, {}});
  }
}

void Builder::plan_reshape(const Node* node, const Value* out) {
  if (node->input(0)->is_constant()) {
    reject(*node, "reshaping a constant");
  } else {
    planned_.push_back({QOpKind::Reshape, node, out, {}});
  }
}

void Builder::plan_softmax(const Node* node, const Value* out) {
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
    reject_where_it_is(*node, "only a Softmax over the channels of an [N, C] (or [N, C, 1, 1]) tensor, or over the last "
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

void Builder::plan_layernorm(const Node* node, const Value* out) {
  if (channel_layernorm(*node)) {
    planned_.push_back({QOpKind::LayerNorm, node, out, {}});
  } else {
    reject_where_it_is(*node, kLayerNormForms);
  }
}

void Builder::plan_transpose(const Node* node) {
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
    reject_where_it_is(*node, "no integer form in the quantization schemes (a Transpose is supported only as the "
                              "NHWC view around a LayerNormalization over the channels, or as an image's pixels read "
                              "as tokens: docs/token_layout.md)");
  }
}

void Builder::plan_gather(const Node* node, const Value* out) {
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
    reject_where_it_is(*node, "only a Gather of constant channels of a computed NCHW tensor (a channel shuffle, slice or "
                              "split), or of constant pixels of an NCHW [1, C, 1, N] (moved pixels, docs/token_layout.md), "
                              "is supported");
  } else {
    planned_.push_back({QOpKind::ChannelGather, node, out, {}});
  }
}

// nn.Embedding as torch exports it: Gather(table, ids) of a graph input of token ids, its rows
// read as tokens (the tokens-as-image pass made their image, absorbed here).
void Builder::plan_embedding(const Node* node, const Tensor& table) {
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

void Builder::plan_resize(const Node* node, const Value* out) {
  const Shape& in = node->input(0)->shape;
  if (node->input(0)->is_constant() || in.size() != 4 || out->shape.size() != 4 || out->shape[0] != in[0] ||
      out->shape[1] != in[1]) {
    reject_where_it_is(*node, "only a Resize of the H and W axes of a computed NCHW tensor is supported");
  } else {
    planned_.push_back({QOpKind::Resize, node, out, {}});
  }
}

void Builder::plan_unfused_activation(const Node* node) {
  reject_where_it_is(*node, "an activation that is not fused into a Conv or an Add");
}

void Builder::plan_table(const Node* node, const Value* out) {
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

void Builder::plan_matmul(const Node* node) {
  if (const auto it = views_.products.find(node); it != views_.products.end()) {
    PlannedNode p{QOpKind::MatMul, node, it->second.output, {}};
    p.product = it->second;
    planned_.push_back(p);
  } else if (node->constant_input(0) != nullptr || node->constant_input(1) != nullptr) {
    // A Linear: its weights are constants, whatever its input's layout.
    reject_where_it_is(*node, fmt::format("a Linear (a MatMul by constant weights) runs as a 1x1 Conv over tokens "
                                          "[1, T, C], [T, C] or [T, 1, C] (docs/token_layout.md); this one's input is "
                                          "{}, which no pass reads as tokens",
                                          format_shape(node->input(node->constant_input(1) != nullptr ? 0 : 1)->shape)));
  } else {
    reject_where_it_is(*node, "a MatMul of two activations has an integer form only as attention's scores (Q.K^T) or "
                              "context (A.V) on images of tokens, as the tokens-as-image pass writes them "
                              "(docs/token_layout.md); a MatMul by a constant runs as a Conv");
  }
}

void Builder::plan_sub(const Node* node, const Value* out) {
  if (const Node* sigmoid = sigmoid_complement_of(*node); sigmoid != nullptr) {
    // 1 - sigmoid(a) is sigmoid(-a): one table of a (a GRU's 1 - z, unroll-recurrence).
    PlannedNode p{QOpKind::Lut, node, out, {}, "sigmoid_complement"};
    p.input = sigmoid->input(0);
    planned_.push_back(p);
  } else {
    reject_where_it_is(*node, "only 1 - Sigmoid(x) (one table of x) is supported of a Sub");
  }
}

void Builder::plan_mul(const Node* node, const Value* out) {
  // A constant operand of the output's shape (rotary embeddings' cos and sin images); a
  // per-channel one folds into the Conv before it (fold-batchnorm) when there is one.
  const bool constant_of_output_shape = node->inputs.size() == 2 && operands_with_constants(*node) &&
                                        node->input(0)->shape == out->shape && node->input(1)->shape == out->shape;
  if (node->inputs.size() != 2 || (!all_non_constant(*node) && !constant_of_output_shape)) {
    reject_where_it_is(*node, "only a Mul of two computed tensors, or of one by a constant of its shape, is supported (a Mul by a "
                              "per-channel constant folds into the Conv before it, when there is one)");
  } else if (!broadcasts_to(node->input(0)->shape, out->shape) ||
             !broadcasts_to(node->input(1)->shape, out->shape)) {
    reject_where_it_is(*node, fmt::format("inputs {} and {} do not broadcast by size-1 dimensions of the same rank",
                              format_shape(node->input(0)->shape), format_shape(node->input(1)->shape)));
  } else {
    planned_.push_back({QOpKind::Mul, node, out, {}});
  }
}

void Builder::plan_recurrent(const Node* node) {
  // unroll-recurrence turned every other one into its steps.
  const std::string why = node->input(0) != nullptr && node->input(0)->has_type()
                              ? recurrent_unroll_problem(*node, recurrent_spec(*node))
                              : std::string("an input of unknown shape");
  reject(*node, fmt::format("a recurrent layer whose steps the targets cannot run: {}", why));
}

void Builder::plan_conv_transpose(const Node* node) {
  // conv-transpose-to-conv turned every other one into its Conv over a zero-inserted input.
  reject(*node, node->input(0) != nullptr && node->input(0)->shape.size() != 4
                    ? "a transposed conv over 1 or 3 spatial axes; the targets run 2-D ones (export it as "
                      "ConvTranspose2d over [N, C, 1, L] for a 1-D one)"
                : node->constant_input(1) == nullptr
                    ? "a transposed conv of weights computed at run time; its weights must be constants"
                    : "a transposed conv whose pads exceed its kernel's extent ((kernel - 1) x dilation): "
                      "it crops more than its taps reach");
}

void Builder::plan_other(const Node* node) {
  reject(*node, "no integer form in the quantization schemes (supported: Conv, ConvTranspose, Add[+Relu/Clip], Mul, MaxPool, "
                "AveragePool, GlobalAveragePool, Concat, Flatten, Reshape, Sigmoid, Tanh, HardSigmoid, "
                "HardSwish, x*Sigmoid(x), Gelu, Gather of channels, Softmax over channels, Resize of H and W, "
                "LayerNormalization over channels)");
}

// A graph output no planned node writes: its producer has no integer form.
void Builder::check_outputs_produced() {
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
void Builder::note_window_rows(const AttentionProduct& product) {
  const Value* rows = product.form == MatMulForm::Scores ? product.output : product.a;
  const Shape& s = rows->shape;
  if (s.size() == 4) window_rows_[rows] = Shape{s[0] * s[1], s[2], s[3]};
}

int Builder::tensor_for(const Value* value) {
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

}  // namespace wb::quant::detail
