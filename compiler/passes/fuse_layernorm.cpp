#include "compiler/passes/fuse_layernorm.h"

#include <set>

#include "compiler/ir/broadcast.h"
#include "compiler/ir/shape_ops.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb {
namespace {

Node* producer_of(const Value* v, OpKind op) {
  return v != nullptr && v->producer != nullptr && v->producer->op == op ? v->producer : nullptr;
}

// The axis a mean over the trailing axes of its float input starts at, with kept dimensions.
std::optional<std::int64_t> trailing_mean_axis(const Node& mean) {
  const Value* x = mean.input(0);
  if (mean.op != OpKind::ReduceMean || x == nullptr || !x->has_type() || mean.attrs.get_int("keepdims", 1) == 0) {
    return std::nullopt;
  }
  const auto rank = static_cast<std::int64_t>(x->shape.size());
  const std::set<std::int64_t> axes = reduced_axes(mean.attrs, rank);
  if (axes.empty() || *axes.rbegin() != rank - 1 || static_cast<std::int64_t>(axes.size()) != rank - *axes.begin()) {
    return std::nullopt;
  }
  return *axes.begin();
}

// A constant operand of a per-channel Mul/Add after the normalization: it broadcasts to the
// normalized axes once its leading 1s are dropped.
std::optional<Tensor> affine_operand(const Node& node, const Value* normalized_value, const Shape& normalized) {
  if (node.inputs.size() != 2) return std::nullopt;
  const std::size_t at = node.input(0) == normalized_value ? 1 : node.input(1) == normalized_value ? 0 : 2;
  if (at == 2 || node.constant_input(at) == nullptr || node.output(0)->shape != normalized_value->shape) {
    return std::nullopt;
  }
  const Tensor& t = *node.constant_input(at);
  Shape shape = t.shape();
  while (shape.size() > normalized.size() && shape.front() == 1) shape.erase(shape.begin());
  if (!broadcasts_to(shape, normalized) || t.dtype() != normalized_value->dtype) return std::nullopt;
  return t.reshaped(shape);
}

// The constant scalar one operand of a two-input node is, with the other operand.
std::optional<std::pair<double, Value*>> scalar_and_other(const Node& node) {
  if (node.inputs.size() != 2) return std::nullopt;
  for (std::size_t at : {std::size_t{1}, std::size_t{0}}) {
    if (const auto value = rewrite::constant_scalar(node, at)) return std::make_pair(*value, node.input(1 - at));
  }
  return std::nullopt;
}

struct LayerNormMatch {
  Value* x = nullptr;
  std::int64_t axis = 0;
  double epsilon = 0;
  std::optional<Tensor> scale;
  std::optional<Tensor> bias;
  std::vector<Node*> nodes;  // every matched node; the last produces the result
};

// The per-channel scale after a normalisation that ends in `current`: its Mul, or none (a scale
// of ones).
void match_scale(const Graph& graph, LayerNormMatch& found, Value* current) {
  const Shape normalized(found.x->shape.begin() + found.axis, found.x->shape.end());
  if (Node* mul = rewrite::single_user(graph, current); mul != nullptr && mul->op == OpKind::Mul) {
    if ((found.scale = affine_operand(*mul, current, normalized))) found.nodes.push_back(mul);
  }
  if (!found.scale) {
    found.scale = Tensor::from_vector<double>(normalized, std::vector<double>(static_cast<std::size_t>(num_elements(normalized)), 1.0))
                      .cast(found.x->dtype);
  }
}

// From the Div: (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps), then * scale, + bias.
std::optional<LayerNormMatch> match(const Graph& graph, Node& div) {
  Node* centre = producer_of(div.input(0), OpKind::Sub);
  Node* root = producer_of(div.input(1), OpKind::Sqrt);
  if (centre == nullptr || root == nullptr) return std::nullopt;
  Node* mean = producer_of(centre->input(1), OpKind::ReduceMean);
  Node* plus_eps = producer_of(root->input(0), OpKind::Add);
  if (mean == nullptr || plus_eps == nullptr || mean->input(0) != centre->input(0)) return std::nullopt;
  Node* variance = producer_of(plus_eps->input(0), OpKind::ReduceMean);
  const auto epsilon = rewrite::constant_scalar(*plus_eps, 1);
  if (variance == nullptr || !epsilon) return std::nullopt;
  Node* square = producer_of(variance->input(0), OpKind::Pow);
  if (square == nullptr || square->input(0) != centre->output(0) || rewrite::constant_scalar(*square, 1) != 2.0) {
    return std::nullopt;
  }
  const auto axis = trailing_mean_axis(*mean);
  if (!axis || trailing_mean_axis(*variance) != axis) return std::nullopt;
  // Every intermediate is read by the next step only (the centred value by the square and the
  // divide).
  if (rewrite::single_user(graph, mean->output(0)) != centre || rewrite::single_user(graph, square->output(0)) != variance ||
      rewrite::single_user(graph, variance->output(0)) != plus_eps ||
      rewrite::single_user(graph, plus_eps->output(0)) != root || rewrite::single_user(graph, root->output(0)) != &div ||
      graph.users(centre->output(0)).size() != 2 || graph.is_graph_output(centre->output(0))) {
    return std::nullopt;
  }
  LayerNormMatch found;
  found.x = centre->input(0);
  found.axis = *axis;
  found.epsilon = *epsilon;
  found.nodes = {mean, centre, square, variance, plus_eps, root, &div};
  match_scale(graph, found, div.output(0));
  Value* current = found.nodes.back()->output(0);
  const Shape normalized(found.x->shape.begin() + *axis, found.x->shape.end());
  if (Node* add = rewrite::single_user(graph, current); add != nullptr && add->op == OpKind::Add) {
    if ((found.bias = affine_operand(*add, current, normalized))) found.nodes.push_back(add);
  }
  return found;
}

// From the node that divides x by the root mean square: Div(x, root), Mul(x, Reciprocal(root))
// or Mul(x, Div(1, root)), root = Sqrt(mean square + eps), the mean square ReduceMean(Pow(x, 2))
// or ReduceMean(Mul(x, x)).
std::optional<LayerNormMatch> match_rms(const Graph& graph, Node& divide) {
  if (divide.inputs.size() != 2) return std::nullopt;
  std::vector<Node*> inverse;  // the Reciprocal or Div(1, root), when divide is a Mul
  Node* root = nullptr;
  Value* x = nullptr;
  if (divide.op == OpKind::Div) {
    root = producer_of(divide.input(1), OpKind::Sqrt);
    x = divide.input(0);
  } else if (divide.op == OpKind::Mul) {
    for (std::size_t at : {std::size_t{1}, std::size_t{0}}) {
      Node* reciprocal = divide.input(at) == nullptr ? nullptr : divide.input(at)->producer;
      if (reciprocal == nullptr) continue;
      Node* candidate = nullptr;
      if (reciprocal->op == OpKind::Reciprocal) {
        candidate = producer_of(reciprocal->input(0), OpKind::Sqrt);
      } else if (reciprocal->op == OpKind::Div && rewrite::constant_scalar(*reciprocal, 0) == 1.0) {
        candidate = producer_of(reciprocal->input(1), OpKind::Sqrt);
      }
      if (candidate == nullptr) continue;
      root = candidate;
      x = divide.input(1 - at);
      inverse = {reciprocal};
      break;
    }
  }
  if (root == nullptr || x == nullptr || x->is_constant()) return std::nullopt;
  Node* plus_eps = producer_of(root->input(0), OpKind::Add);
  const auto epsilon = plus_eps == nullptr ? std::nullopt : scalar_and_other(*plus_eps);
  if (!epsilon) return std::nullopt;
  Node* mean = producer_of(epsilon->second, OpKind::ReduceMean);
  if (mean == nullptr) return std::nullopt;
  Node* square = mean->input(0) == nullptr ? nullptr : mean->input(0)->producer;
  const bool squared = square != nullptr && square->input(0) == x &&
                       ((square->op == OpKind::Pow && rewrite::constant_scalar(*square, 1) == 2.0) ||
                        (square->op == OpKind::Mul && square->inputs.size() == 2 && square->input(1) == x));
  const auto axis = trailing_mean_axis(*mean);
  if (!squared || !axis) return std::nullopt;
  const std::vector<Node*> chain{square, mean, plus_eps, root};
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    if (rewrite::single_user(graph, chain[i]->output(0)) != chain[i + 1]) return std::nullopt;
  }
  Node* after_root = inverse.empty() ? &divide : inverse.front();
  if (rewrite::single_user(graph, root->output(0)) != after_root ||
      (!inverse.empty() && rewrite::single_user(graph, inverse.front()->output(0)) != &divide)) {
    return std::nullopt;
  }
  LayerNormMatch found;
  found.x = x;
  found.axis = *axis;
  found.epsilon = epsilon->first;
  found.nodes = chain;
  found.nodes.insert(found.nodes.end(), inverse.begin(), inverse.end());
  found.nodes.push_back(&divide);
  match_scale(graph, found, divide.output(0));
  return found;
}

// Replaces each match by one `op` node named after the node the match was found from.
bool write_normalisations(Graph& graph, std::vector<std::pair<std::string, LayerNormMatch>>& matches, OpKind op,
                          PassStatistics& stats, const std::string& counter) {
  for (auto& [name, found] : matches) {
    Value* result = found.nodes.back()->output(0);
    rewrite::erase_chain(graph, found.nodes);
    std::vector<Value*> inputs{found.x, graph.add_constant(graph.unique_value_name(name + "_scale"), std::move(*found.scale))};
    if (found.bias) inputs.push_back(graph.add_constant(graph.unique_value_name(name + "_bias"), std::move(*found.bias)));
    Node* norm = graph.add_node(op, rewrite::renamed_for(name, op_name(op)), std::move(inputs), {result});
    norm->attrs.set("axis", found.axis);
    norm->attrs.set("epsilon", static_cast<float>(found.epsilon));
    stats.add(counter);
  }
  return !matches.empty();
}

}  // namespace

bool FuseRmsNormPass::run(Graph& graph, PassStatistics& stats) {
  std::vector<std::pair<std::string, LayerNormMatch>> matches;
  std::set<const Node*> taken;  // a Mul(x, x) square is itself a Mul the walk visits
  for (Node* node : graph.topological_order()) {
    if ((node->op != OpKind::Div && node->op != OpKind::Mul) || taken.count(node) != 0) continue;
    if (auto found = match_rms(graph, *node)) {
      taken.insert(found->nodes.begin(), found->nodes.end());
      matches.emplace_back(node->name, std::move(*found));
    }
  }
  return write_normalisations(graph, matches, OpKind::RMSNormalization, stats, "RMSNorms fused");
}

bool FuseLayerNormPass::run(Graph& graph, PassStatistics& stats) {
  // Matched first, rewritten after: a rewrite erases nodes the walk has not reached.
  std::vector<std::pair<std::string, LayerNormMatch>> matches;
  for (Node* node : graph.topological_order()) {
    if (node->op != OpKind::Div) continue;
    if (auto found = match(graph, *node)) matches.emplace_back(node->name, std::move(*found));
  }
  return write_normalisations(graph, matches, OpKind::LayerNormalization, stats, "LayerNorms fused");
}

}  // namespace wb
