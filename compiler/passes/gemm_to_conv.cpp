#include "compiler/passes/gemm_to_conv.h"

#include "compiler/ir/fusion.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

// Weights of the FC as [M, K] (row m = output m), whatever the op's own layout.
std::optional<Tensor> weights_by_output(const Node& fc) {
  const Tensor* b = fc.constant_input(1);
  if (b == nullptr || b->dtype() != DType::F32 || b->rank() != 2) return std::nullopt;
  const bool trans_b = fc.op == OpKind::Gemm && fc.attrs.get_int("transB", 0) != 0;
  return trans_b ? *b : rewrite::transposed_matrix(*b);
}

// The FC's own attributes allow a conv: no transposed input, unit alpha/beta, a 1-D bias.
bool plain_fc(const Node& fc) {
  if (fc.op == OpKind::MatMul) return true;
  const Value* c = fc.input(2);
  return fc.attrs.get_int("transA", 0) == 0 && fc.attrs.get_float("alpha", 1.0f) == 1.0f &&
         fc.attrs.get_float("beta", 1.0f) == 1.0f && (c == nullptr || (c->is_constant() && c->shape.size() <= 1));
}

bool convertible(const Graph& graph, const Node& flatten, const Node& fc) {
  const Value* x = flatten.input(0);
  if (!x->has_type() || x->shape.size() != 4 || flatten.attrs.get_int("axis", 1) != 1) return false;
  if (rewrite::single_user(graph, flatten.output(0)) != &fc || fc.input(0) != flatten.output(0)) return false;
  return plain_fc(fc);
}

// An FC on an [N, K] tensor no Flatten produced (MobileNetV3's second classifier layer reads
// the first one's activation): it becomes Reshape [N, K, 1, 1] -> 1x1 Conv -> Flatten.
Value* as_image(Graph& graph, const Node& fc) {
  Value* x = fc.input(0);
  if (x == nullptr || x->is_constant() || !x->has_type() || x->shape.size() != 2 || !plain_fc(fc)) return nullptr;
  if (x->producer != nullptr && x->producer->op == OpKind::Flatten) return nullptr;  // the case above
  Value* shape = graph.add_constant(graph.unique_value_name(fc.name + "_image_shape"),
                                    Tensor::from_vector<std::int64_t>({4}, {x->shape[0], x->shape[1], 1, 1}));
  Value* image = graph.add_value(graph.unique_value_name(fc.name + "_image"));
  graph.add_node(OpKind::Reshape, fc.name + "_as_image", {x, shape}, {image});
  image->dtype = x->dtype;
  image->shape = {x->shape[0], x->shape[1], 1, 1};
  return image;
}

}  // namespace

bool GemmToConvPass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* fc : graph.topological_order()) {
    if (fc->op != OpKind::Gemm && fc->op != OpKind::MatMul) continue;
    auto weights = weights_by_output(*fc);
    if (!weights) continue;
    Node* flatten = fc->input(0)->producer;
    if (flatten == nullptr || flatten->op != OpKind::Flatten || !convertible(graph, *flatten, *fc)) {
      if (fc->input(0)->shape.size() != 2 || weights->shape()[1] != fc->input(0)->shape[1]) continue;
      Value* image = as_image(graph, *fc);
      if (image == nullptr) continue;
      // A Flatten of the image's own: the code below moves it behind the conv.
      Value* flat = graph.add_value(graph.unique_value_name(fc->name + "_flat"));
      flatten = graph.add_node(OpKind::Flatten, fc->name + "_flatten", {image}, {flat});
      flatten->attrs.set("axis", std::int64_t{1});
      flat->dtype = image->dtype;
      flat->shape = fc->input(0)->shape;
      fc->inputs[0] = flat;
    }
    Value* x = flatten->input(0);
    const Shape& in = x->shape;  // [N, C, H, W]; Flatten order is C, H, W, as the kernel's
    const std::int64_t m = weights->shape()[0];
    if (weights->shape()[1] != in[1] * in[2] * in[3]) continue;

    std::vector<Value*> inputs{x, graph.add_constant(graph.unique_value_name(fc->name + "_conv_weight"),
                                                     std::move(*weights).reshaped({m, in[1], in[2], in[3]}))};
    if (fc->op == OpKind::Gemm && fc->input(2) != nullptr) {
      const Tensor& c = *fc->constant_input(2);
      Tensor bias(DType::F32, {m});
      for (std::int64_t i = 0; i < m; ++i) bias.data<float>()[i] = static_cast<float>(c.as_double(c.numel() == 1 ? 0 : i));
      inputs.push_back(graph.add_constant(graph.unique_value_name(fc->name + "_conv_bias"), std::move(bias)));
    }
    Value* conv_out = graph.add_value(graph.unique_value_name(fc->name + "_conv"));
    Node* conv = graph.add_node(OpKind::Conv, fc->name, inputs, {conv_out});
    conv->attrs.set("kernel_shape", std::vector<std::int64_t>{in[2], in[3]});
    FusedActivation::of(*fc).store(*conv);
    conv_out->dtype = DType::F32;
    conv_out->shape = {in[0], m, 1, 1};

    // The Flatten now flattens the conv's [N, M, 1, 1] into the FC's output.
    Value* fc_out = fc->output(0);
    Value* old_flat = flatten->output(0);
    graph.erase_node(fc);
    flatten->inputs[0] = conv_out;
    flatten->outputs[0] = fc_out;
    fc_out->producer = flatten;
    old_flat->producer = nullptr;
    graph.erase_value(old_flat);
    stats.add("fully-connected layers as convolutions");
    changed = true;
  }
  return changed;
}

}  // namespace wb
