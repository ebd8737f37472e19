#pragma once
// The graph IR: Values (typed tensors, possibly constant) produced and consumed by Nodes.
// Nodes and Values are owned by the Graph and referred to by pointer, which stays valid
// until the object is erased (LLVM style), so passes can rewire edges cheaply.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/attributes.h"
#include "compiler/ir/op_kind.h"
#include "compiler/ir/tensor.h"

namespace wb {

class Node;

struct Value {
  std::string name;
  DType dtype = DType::Undefined;  // Undefined until shape inference reached it
  Shape shape;
  std::shared_ptr<const Tensor> constant;  // set for initializers and folded constants
  Node* producer = nullptr;                // null for graph inputs and constants

  bool is_constant() const { return constant != nullptr; }
  bool has_type() const { return dtype != DType::Undefined; }
};

class Node {
 public:
  std::string name;
  OpKind op = OpKind::Unsupported;
  std::string op_type;  // ONNX op type as written in the model (differs for Unsupported)
  std::string domain;
  std::vector<Value*> inputs;  // nullptr marks an omitted optional input
  std::vector<Value*> outputs;
  Attributes attrs;
  // The model's node a pass made this one from, for messages that must name what users wrote
  // (empty: the model's own node).
  std::string made_from;

  // The i-th input, or nullptr when it is absent or omitted.
  Value* input(std::size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  // The constant data of the i-th input, or nullptr when it is absent or not constant.
  const Tensor* constant_input(std::size_t i) const;
  Value* output(std::size_t i = 0) const { return i < outputs.size() ? outputs[i] : nullptr; }
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  std::string name;
  std::int64_t opset = 0;  // default-domain opset the model was written for

  // Creates a value; names are unique (throws UserError on a duplicate).
  Value* add_value(std::string name);
  Value* add_constant(std::string name, Tensor data);
  // A fresh name derived from `base` that no value has yet.
  std::string unique_value_name(std::string_view base) const;

  Node* add_node(OpKind op, std::string name, std::vector<Value*> inputs, std::vector<Value*> outputs);
  void erase_node(Node* node);    // its outputs lose their producer
  void erase_value(Value* value);  // must be unused

  Value* find_value(std::string_view name) const;
  Node* find_node(std::string_view name) const;

  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }

  // Nodes in insertion order.
  std::vector<Node*> nodes() const;
  std::vector<Value*> values() const;
  std::size_t node_count() const { return nodes_.size(); }

  // Nodes ordered so every node comes after the producers of its inputs; ties keep
  // insertion order, so the result is deterministic. Throws UserError on a cycle.
  std::vector<Node*> topological_order() const;
  // Nodes that read `value`, in insertion order.
  std::vector<Node*> users(const Value* value) const;
  bool is_graph_output(const Value* value) const;

  // Replaces every use of `from` (node inputs and graph outputs) with `to`.
  void replace_all_uses(Value* from, Value* to);

  // Deep copy (constants are shared: they are immutable).
  Graph clone() const;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*, std::less<>> values_by_name_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
};

}  // namespace wb
