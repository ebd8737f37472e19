#include "compiler/passes/fold_batchnorm.h"

#include <cmath>

#include "compiler/ir/fusion.h"
#include "compiler/passes/channel_affine.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

// Conv or plain Gemm whose weights (and bias) are constant and whose output may be rescaled.
bool is_foldable_producer(const Node* node) {
  if (node == nullptr || !node->output(0)->has_type()) return false;
  if (FusedActivation::of(*node).kind != FusedActivation::Kind::None) return false;
  if (node->op == OpKind::Conv) {
    return node->constant_input(1) != nullptr && (node->input(2) == nullptr || node->constant_input(2) != nullptr) &&
           node->input(kConvResidualInput) == nullptr && node->constant_input(1)->dtype() == DType::F32;
  }
  if (node->op == OpKind::Gemm) {
    const Value* c = node->input(2);
    return node->constant_input(1) != nullptr && node->constant_input(1)->dtype() == DType::F32 &&
           node->attrs.get_float("alpha", 1.0f) == 1.0f && node->attrs.get_float("beta", 1.0f) == 1.0f &&
           (c == nullptr || (c->is_constant() && c->shape.size() <= 1));
  }
  return false;
}

std::int64_t output_channels(const Node& producer) { return producer.output(0)->shape[1]; }

// A Mul or Add with one constant operand holding one value per channel (or one in all),
// laid out to broadcast along axis 1 of the producer's output.
std::optional<ChannelAffine> scale_affine(const Node& node, const Value* produced, std::int64_t channels) {
  const std::size_t other = node.input(0) == produced ? 1 : 0;
  const Tensor* constant = node.constant_input(other);
  if (constant == nullptr || node.inputs.size() != 2) return std::nullopt;
  const Shape& out = produced->shape;
  // Acceptable shapes: a scalar, or [C, 1, ..., 1] / [1, C, 1, ..., 1] aligned to axis 1.
  const auto values = constant->to_double_vector();
  if (values.size() != 1) {
    if (static_cast<std::int64_t>(values.size()) != channels) return std::nullopt;
    const std::size_t trailing = out.size() - 2;
    const Shape& s = constant->shape();
    if (s.size() < trailing + 1 || s[s.size() - trailing - 1] != channels) return std::nullopt;
  }
  ChannelAffine affine;
  for (std::int64_t c = 0; c < channels; ++c) {
    const double v = values.size() == 1 ? values[0] : values[static_cast<std::size_t>(c)];
    affine.scale.push_back(node.op == OpKind::Mul ? v : 1.0);
    affine.shift.push_back(node.op == OpKind::Add ? v : 0.0);
  }
  return affine;
}

// Rewrites the producer's weights and bias so its output is affine(output); new constants,
// because constant data is shared between graph clones.
void apply_affine(Graph& graph, Node& producer, const ChannelAffine& affine) {
  const Tensor& w = *producer.constant_input(1);
  Tensor weights = w;
  const auto channels = static_cast<std::int64_t>(affine.scale.size());
  float* wd = weights.data<float>();
  const bool gemm_trans_b = producer.op == OpKind::Gemm && producer.attrs.get_int("transB", 0) != 0;
  if (producer.op == OpKind::Conv || gemm_trans_b) {
    const std::int64_t per_channel = weights.numel() / channels;  // rows of W are output channels
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t i = 0; i < per_channel; ++i) wd[c * per_channel + i] *= static_cast<float>(affine.scale[static_cast<std::size_t>(c)]);
    }
  } else {  // Gemm with B = [K, M]: columns are output channels
    const std::int64_t rows = weights.numel() / channels;
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < channels; ++c) wd[r * channels + c] *= static_cast<float>(affine.scale[static_cast<std::size_t>(c)]);
    }
  }
  const Tensor* old_bias = producer.constant_input(2);
  Tensor bias(DType::F32, {channels});
  for (std::int64_t c = 0; c < channels; ++c) {
    const double b = old_bias == nullptr ? 0.0 : old_bias->as_double(old_bias->numel() == 1 ? 0 : c);
    bias.data<float>()[c] = static_cast<float>(b * affine.scale[static_cast<std::size_t>(c)] + affine.shift[static_cast<std::size_t>(c)]);
  }
  producer.inputs[1] = graph.add_constant(graph.unique_value_name(producer.name + "_folded_weight"), std::move(weights));
  producer.inputs.resize(std::max<std::size_t>(producer.inputs.size(), 3), nullptr);
  producer.inputs[2] = graph.add_constant(graph.unique_value_name(producer.name + "_folded_bias"), std::move(bias));
}

}  // namespace

bool FoldBatchNormPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* node : graph.topological_order()) {
    const bool is_bn = node->op == OpKind::BatchNormalization;
    const bool is_scale = node->op == OpKind::Mul || node->op == OpKind::Add;
    if (!is_bn && !is_scale) continue;
    Value* produced = nullptr;
    for (Value* in : node->inputs) {
      if (in != nullptr && !in->is_constant() && is_foldable_producer(in->producer)) produced = in;
    }
    if (produced == nullptr || (is_bn && node->input(0) != produced)) continue;
    if (rewrite::single_user(graph, produced) != node) continue;
    Node* producer = produced->producer;
    const std::int64_t channels = output_channels(*producer);
    const auto affine = is_bn ? batchnorm_affine(*node, channels) : scale_affine(*node, produced, channels);
    if (!affine || node->output(0)->shape != produced->shape) continue;
    apply_affine(graph, *producer, *affine);
    // Schemes that requantise per channel from a batch norm (pulp) need to know.
    if (is_bn || node->op == OpKind::Mul) producer->attrs.set(std::string(kFoldedBatchNormAttr), std::int64_t{1});
    stats.add(is_bn ? "batchnorms folded" : (node->op == OpKind::Mul ? "scales folded" : "biases folded"));
    rewrite::absorb(graph, producer, node);
    changed = true;
  }
  return changed;
}

}  // namespace wb
