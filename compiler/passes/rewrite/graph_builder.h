#pragma once
// New nodes for a pass that writes a subgraph: each emitted node gets a fresh output value and
// its shape and type inferred at once (a rewrite that cannot infer what it wrote is a bug in
// the pass, not in the model, so it throws std::logic_error naming the pass and node).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::rewrite {

class GraphBuilder {
 public:
  // How a new node is named: `name` made unique, or `name` as given (a rewrite that names the
  // node replacing another after it, while that one is still in the graph).
  enum class NodeNames { Unique, AsGiven };

  // `pass` names the pass in its errors; `value_suffix` is appended to a node's name to name
  // its output ("" keeps the node's name).
  GraphBuilder(Graph& graph, std::string_view pass, std::string value_suffix = "", NodeNames names = NodeNames::Unique)
      : graph_(graph), pass_(pass), value_suffix_(std::move(value_suffix)), names_(names) {}

  // The nodes emitted from now on are made from `model_node` (Node::made_from): the model's own
  // node, or what the node being rewritten was made from.
  void made_from(const Node& model_node) {
    made_from_ = model_node.made_from.empty() ? model_node.name : model_node.made_from;
  }
  void made_from_nothing() { made_from_.clear(); }

  Value* emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs = {});
  Value* constant(const std::string& name, Tensor data);
  Value* shape_constant(const std::string& name, const std::vector<std::int64_t>& dims);
  Value* reshape(const std::string& name, Value* x, const std::vector<std::int64_t>& dims);
  Value* transpose(const std::string& name, Value* x, const std::vector<std::int64_t>& perm);
  // x[start:end] along `axis`, step 1.
  Value* slice(const std::string& name, Value* x, std::int64_t axis, std::int64_t start, std::int64_t end);
  // Makes the producer of `fresh` (an emitted value nothing reads yet) write `existing`, a value
  // whose producer was erased (the rewritten subgraph's result keeps its name), and erases `fresh`.
  void write_into(Value* fresh, Value* existing);

 private:
  Graph& graph_;
  std::string_view pass_;
  std::string value_suffix_;
  NodeNames names_;
  std::string made_from_;
};

}  // namespace wb::rewrite
