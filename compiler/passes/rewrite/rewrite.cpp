#include "compiler/passes/rewrite/rewrite.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <vector>

namespace wb::rewrite {

const Node* made_by(const Value* v, OpKind op) {
  return v != nullptr && v->producer != nullptr && v->producer->op == op ? v->producer : nullptr;
}

Node* single_user(const Graph& graph, const Value* value) {
  if (graph.is_graph_output(value)) return nullptr;
  const auto users = graph.users(value);
  if (users.size() != 1) return nullptr;
  const Node* user = users[0];
  // Reading the value twice (Add(x, x)) is not a single use for fusion purposes.
  if (std::count(user->inputs.begin(), user->inputs.end(), value) != 1) return nullptr;
  return users[0];
}

bool bypass(Graph& graph, Node* node) {
  Value* in = node->input(0);
  Value* out = node->output(0);
  if (in == nullptr || out == nullptr) return false;
  for (std::size_t i = 1; i < node->outputs.size(); ++i) {
    if (node->outputs[i] != nullptr && (!graph.users(node->outputs[i]).empty() || graph.is_graph_output(node->outputs[i]))) {
      return false;
    }
  }
  const std::vector<Value*> extras = node->outputs;  // unused extra outputs die with the node
  if (!graph.is_graph_output(out)) {
    graph.replace_all_uses(out, in);
    graph.erase_node(node);
    graph.erase_value(out);
  } else {
    // Keep the graph output's name: the input's producer produces `out` directly.
    Node* producer = in->producer;
    if (producer == nullptr || graph.is_graph_output(in) || graph.users(in).size() != 1) return false;
    graph.erase_node(node);
    std::replace(producer->outputs.begin(), producer->outputs.end(), in, out);
    out->producer = producer;
    in->producer = nullptr;
    graph.erase_value(in);
  }
  for (std::size_t i = 1; i < extras.size(); ++i) {
    if (extras[i] != nullptr) graph.erase_value(extras[i]);
  }
  return true;
}

void absorb(Graph& graph, Node* producer, Node* consumer) {
  Value* old_output = producer->output(0);
  Value* new_output = consumer->output(0);
  graph.erase_node(consumer);
  producer->outputs[0] = new_output;
  new_output->producer = producer;
  old_output->producer = nullptr;
  if (!graph.users(old_output).empty() || graph.is_graph_output(old_output)) {
    throw std::logic_error("absorb: the producer's output is still read");
  }
  graph.erase_value(old_output);
}

std::optional<double> constant_scalar(const Node& node, std::size_t input) {
  const Tensor* t = node.constant_input(input);
  if (t == nullptr || t->numel() != 1) return std::nullopt;
  return t->as_double(0);
}

bool depends_on(const Graph& graph, const Value* target, const Value* source) {
  (void)graph;
  std::vector<const Value*> stack{target};
  std::set<const Value*> seen;
  while (!stack.empty()) {
    const Value* v = stack.back();
    stack.pop_back();
    if (v == source) return true;
    if (!seen.insert(v).second || v->producer == nullptr) continue;
    for (const Value* in : v->producer->inputs) {
      if (in != nullptr) stack.push_back(in);
    }
  }
  return false;
}

std::string renamed_for(const std::string& name, std::string_view op) {
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(0, slash + 1) + std::string(op);
}

void erase_chain(Graph& graph, const std::vector<Node*>& nodes) {
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) graph.erase_node(*it);
}

Tensor transposed_matrix(const Tensor& m) {
  const std::int64_t rows = m.shape()[0];
  const std::int64_t cols = m.shape()[1];
  Tensor out(DType::F32, {cols, rows});
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) out.data<float>()[c * rows + r] = m.data<float>()[r * cols + c];
  }
  return out;
}

}  // namespace wb::rewrite
