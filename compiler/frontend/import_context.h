#pragma once
// Internal to the frontend: the state shared by the model importer and the per-op
// canonicalisation of node signatures.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::frontend {

// One ONNX node after its inputs have been resolved to values, before it is emitted.
struct NodeSpec {
  std::string name;
  std::string op_type;
  OpKind op = OpKind::Unsupported;
  std::vector<Value*> inputs;          // nullptr for omitted optional inputs
  std::vector<std::string> outputs;    // empty string for omitted optional outputs
  Attributes attrs;
};

class ImportContext {
 public:
  ImportContext(Graph& graph, std::int64_t opset, std::set<std::string> consumed_names)
      : graph_(graph), opset_(opset), consumed_(std::move(consumed_names)) {}

  Graph& graph() { return graph_; }
  std::int64_t opset() const { return opset_; }
  // True when some node reads `name` or it is a graph output.
  bool is_consumed(const std::string& name) const { return consumed_.count(name) != 0; }

  Value* constant(std::string_view base_name, Tensor data);
  // Adds the node, creating its output values (empty names give nullptr outputs), and
  // infers their types when all inputs are typed. Errors name the node.
  Node* emit(OpKind op, std::string name, std::vector<Value*> inputs, std::vector<std::string> outputs,
             Attributes attrs);
  // Emits a helper node with one fresh output value named after `base`.
  Value* emit_internal(OpKind op, const std::string& base, std::vector<Value*> inputs, Attributes attrs = {});

 private:
  Graph& graph_;
  std::int64_t opset_;
  std::set<std::string> consumed_;
};

// Rewrites `spec` into the canonical (opset 17) form and emits it. Returns the reason
// when the node uses a variant of its op that the workbench does not support; nothing is
// emitted then.
std::optional<std::string> import_node(ImportContext& ctx, NodeSpec& spec);

}  // namespace wb::frontend
