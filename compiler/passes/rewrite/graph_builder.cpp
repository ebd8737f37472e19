#include "compiler/passes/rewrite/graph_builder.h"

#include <algorithm>
#include <stdexcept>

#include "compiler/ir/shape_inference.h"

namespace wb::rewrite {

Value* GraphBuilder::emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs) {
  Value* out = graph_.add_value(graph_.unique_value_name(name + value_suffix_));
  const std::string node_name =
      names_ == NodeNames::AsGiven || graph_.find_node(name) == nullptr ? name : graph_.unique_value_name(name);
  Node* node = graph_.add_node(op, node_name, std::move(inputs), {out});
  node->attrs = std::move(attrs);
  node->made_from = made_from_;
  if (!infer_node(*node) || !out->has_type()) {
    throw std::logic_error(std::string(pass_) + ": no shape for the new node " + name);
  }
  return out;
}

Value* GraphBuilder::constant(const std::string& name, Tensor data) {
  return graph_.add_constant(graph_.unique_value_name(name), std::move(data));
}

Value* GraphBuilder::shape_constant(const std::string& name, const std::vector<std::int64_t>& dims) {
  return constant(name + "_shape", Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
}

Value* GraphBuilder::reshape(const std::string& name, Value* x, const std::vector<std::int64_t>& dims) {
  return emit(OpKind::Reshape, name, {x, shape_constant(name, dims)});
}

Value* GraphBuilder::transpose(const std::string& name, Value* x, const std::vector<std::int64_t>& perm) {
  Attributes attrs;
  attrs.set("perm", perm);
  return emit(OpKind::Transpose, name, {x}, std::move(attrs));
}

Value* GraphBuilder::slice(const std::string& name, Value* x, std::int64_t axis, std::int64_t start, std::int64_t end) {
  return emit(OpKind::Slice, name,
              {x, constant(name + "_starts", Tensor::from_vector<std::int64_t>({1}, {start})),
               constant(name + "_ends", Tensor::from_vector<std::int64_t>({1}, {end})),
               constant(name + "_axes", Tensor::from_vector<std::int64_t>({1}, {axis}))});
}

void GraphBuilder::write_into(Value* fresh, Value* existing) {
  Node* producer = fresh->producer;
  if (producer == nullptr || !graph_.users(fresh).empty() || existing->producer != nullptr) {
    throw std::logic_error(std::string(pass_) + ": cannot make " + fresh->name + " write " + existing->name);
  }
  std::replace(producer->outputs.begin(), producer->outputs.end(), fresh, existing);
  existing->producer = producer;
  existing->shape = fresh->shape;
  existing->dtype = fresh->dtype;
  fresh->producer = nullptr;
  graph_.erase_value(fresh);
}

}  // namespace wb::rewrite
