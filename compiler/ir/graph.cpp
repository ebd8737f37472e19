#include "compiler/ir/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "support/error.h"

namespace wb {

const Tensor* Node::constant_input(std::size_t i) const {
  const Value* v = input(i);
  return v != nullptr ? v->constant.get() : nullptr;
}

Value* Graph::add_value(std::string value_name) {
  if (values_by_name_.count(value_name) != 0) {
    throw UserError(fmt::format("tensor name '{}' is defined twice", value_name));
  }
  auto value = std::make_unique<Value>();
  value->name = std::move(value_name);
  Value* raw = value.get();
  values_by_name_.emplace(raw->name, raw);
  values_.push_back(std::move(value));
  return raw;
}

Value* Graph::add_constant(std::string value_name, Tensor data) {
  Value* value = add_value(std::move(value_name));
  value->dtype = data.dtype();
  value->shape = data.shape();
  value->constant = std::make_shared<const Tensor>(std::move(data));
  return value;
}

std::string Graph::unique_value_name(std::string_view base) const {
  if (values_by_name_.find(base) == values_by_name_.end()) return std::string(base);
  for (int suffix = 1;; ++suffix) {
    std::string candidate = fmt::format("{}_{}", base, suffix);
    if (values_by_name_.find(candidate) == values_by_name_.end()) return candidate;
  }
}

Node* Graph::add_node(OpKind op, std::string node_name, std::vector<Value*> node_inputs,
                      std::vector<Value*> node_outputs) {
  auto node = std::make_unique<Node>();
  node->op = op;
  node->op_type = std::string(op_name(op));
  node->name = std::move(node_name);
  node->inputs = std::move(node_inputs);
  node->outputs = std::move(node_outputs);
  for (Value* out : node->outputs) {
    if (out == nullptr) continue;
    if (out->producer != nullptr || out->is_constant()) {
      throw UserError(fmt::format("tensor '{}' is produced twice (by '{}' and '{}')", out->name,
                                  out->producer ? out->producer->name : std::string("an initializer"), node->name));
    }
    out->producer = node.get();
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

void Graph::erase_node(Node* node) {
  for (Value* out : node->outputs) {
    if (out != nullptr && out->producer == node) out->producer = nullptr;
  }
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == node; });
  if (it == nodes_.end()) throw std::logic_error("erase_node: node not in graph");
  nodes_.erase(it);
}

void Graph::erase_value(Value* value) {
  if (!users(value).empty() || is_graph_output(value)) {
    throw std::logic_error(fmt::format("erase_value: '{}' is still used", value->name));
  }
  if (value->producer != nullptr) throw std::logic_error(fmt::format("erase_value: '{}' has a producer", value->name));
  std::erase(inputs_, value);
  values_by_name_.erase(value->name);
  std::erase_if(values_, [&](const auto& v) { return v.get() == value; });
}

Value* Graph::find_value(std::string_view value_name) const {
  auto it = values_by_name_.find(value_name);
  return it == values_by_name_.end() ? nullptr : it->second;
}

Node* Graph::find_node(std::string_view node_name) const {
  for (const auto& node : nodes_) {
    if (node->name == node_name) return node.get();
  }
  return nullptr;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& node : nodes_) out.push_back(node.get());
  return out;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value.get());
  return out;
}

std::vector<Node*> Graph::topological_order() const {
  std::unordered_map<const Node*, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;

  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<std::size_t>> consumers(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    for (const Value* in : nodes_[i]->inputs) {
      if (in == nullptr || in->producer == nullptr) continue;
      auto producer = index.find(in->producer);
      if (producer == index.end()) throw std::logic_error("topological_order: producer not in graph");
      ++pending[i];
      consumers[producer->second].push_back(i);
    }
  }
  // Min-heap on insertion index keeps the order stable and deterministic.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    order.push_back(nodes_[i].get());
    for (std::size_t consumer : consumers[i]) {
      if (--pending[consumer] == 0) ready.push(consumer);
    }
  }
  if (order.size() != nodes_.size()) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (pending[i] > 0) {
        throw UserError(fmt::format("the graph has a cycle through node '{}'", nodes_[i]->name));
      }
    }
  }
  return order;
}

std::vector<Node*> Graph::users(const Value* value) const {
  std::vector<Node*> out;
  for (const auto& node : nodes_) {
    if (std::find(node->inputs.begin(), node->inputs.end(), value) != node->inputs.end()) out.push_back(node.get());
  }
  return out;
}

bool Graph::is_graph_output(const Value* value) const {
  return std::find(outputs_.begin(), outputs_.end(), value) != outputs_.end();
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (auto& node : nodes_) std::replace(node->inputs.begin(), node->inputs.end(), from, to);
  std::replace(outputs_.begin(), outputs_.end(), from, to);
}

Graph Graph::clone() const {
  Graph copy;
  copy.name = name;
  copy.opset = opset;
  std::unordered_map<const Value*, Value*> value_map;
  for (const auto& value : values_) {
    Value* v = copy.add_value(value->name);
    v->dtype = value->dtype;
    v->shape = value->shape;
    v->constant = value->constant;
    value_map[value.get()] = v;
  }
  auto map_values = [&](const std::vector<Value*>& values) {
    std::vector<Value*> mapped;
    mapped.reserve(values.size());
    for (const Value* v : values) mapped.push_back(v ? value_map.at(v) : nullptr);
    return mapped;
  };
  for (const auto& node : nodes_) {
    Node* n = copy.add_node(node->op, node->name, map_values(node->inputs), map_values(node->outputs));
    n->op_type = node->op_type;
    n->domain = node->domain;
    n->attrs = node->attrs;
    n->made_from = node->made_from;
  }
  copy.inputs_ = map_values(inputs_);
  copy.outputs_ = map_values(outputs_);
  return copy;
}

}  // namespace wb
