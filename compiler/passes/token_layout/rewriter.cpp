#include "compiler/passes/token_layout/rewriter.h"

#include <algorithm>
#include <stdexcept>

#include "compiler/ir/shape_inference.h"

namespace wb::token_rewrite {

Tokens tokens_of(const Value* image) { return {image->shape[2] * image->shape[3], image->shape[1]}; }

bool is_token_layout(const Shape& shape, Tokens t) {
  return shape == Shape{1, t.count, t.features} || shape == Shape{t.count, 1, t.features} ||
         shape == Shape{t.count, t.features};
}

bool is_windowed_layout(const Shape& shape, Tokens t) {
  return shape.size() == 3 && shape[2] == t.features && shape[0] * shape[1] == t.count;
}

bool is_nhwc_of(const Shape& shape, const Shape& image) {
  return shape.size() == 4 && image.size() == 4 && shape == Shape{image[0], image[2], image[3], image[1]};
}

std::int64_t token_axis(const Shape& shape) { return shape.size() == 3 && shape[0] == 1 ? 1 : 0; }

bool is_f32_constant(const Tensor* c) { return c != nullptr && c->dtype() == DType::F32; }

bool TokenRewriter::run() {
  const std::vector<Node*> order = graph_.topological_order();  // before the seeds' view nodes
  seed_inputs();
  seed_embeddings();
  for (Node* node : order) {
    if (!rewrite_node(*node)) continue;
    replaced_.push_back(node);
  }
  builder_.made_from_nothing();
  if (replaced_.empty()) {
    drop_unread_seeds();
    return false;
  }
  finish();
  drop_unread_seeds();
  return true;
}

Value* TokenRewriter::emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs) {
  return builder_.emit(op, name, std::move(inputs), std::move(attrs));
}
Value* TokenRewriter::constant(const std::string& name, Tensor data) { return builder_.constant(name, std::move(data)); }
Value* TokenRewriter::shape_constant(const std::string& name, const Ints& dims) {
  return builder_.shape_constant(name, dims);
}
Value* TokenRewriter::reshape(const std::string& name, Value* x, const Ints& dims) {
  return builder_.reshape(name, x, dims);
}
Value* TokenRewriter::transpose(const std::string& name, Value* x, const Ints& perm) {
  return builder_.transpose(name, x, perm);
}
Value* TokenRewriter::slice(const std::string& name, Value* x, std::int64_t axis, std::int64_t start, std::int64_t end) {
  return builder_.slice(name, x, axis, start, end);
}
Value* TokenRewriter::as_token_image(Value* image) {
  const Shape& s = image->shape;
  return s[2] == 1 ? image : reshape(image->name + "_tokens", image, {1, s[1], 1, s[2] * s[3]});
}

bool TokenRewriter::rewrite_node(Node& node) {
  if (node.outputs.size() != 1 || node.inputs.empty() || node.input(0) == nullptr) return false;
  if (!node.output(0)->has_type()) return false;
  builder_.made_from(node);
  if (enter(node) || rotary(node) || concat_heads(node) || repeat_heads(node) || read_heads(node)) return true;
  Value* x = nullptr;
  for (Value* in : node.inputs) {
    if (in != nullptr && (image_of(in) != nullptr || pixels_.count(in) != 0)) x = in;
  }
  if (x == nullptr) return false;
  // Moved pixels stay a table until an op reads them as an image: a chain of moves (Swin's
  // roll, then its window partition) is one gather.
  const bool only_pixels = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const Value* in) {
    return in != nullptr && image_of(in) == nullptr && pixels_.count(in) != 0;
  });
  if (only_pixels && follow_pixels(node)) return true;
  for (Value* in : node.inputs) {
    if (in != nullptr && image_of(in) == nullptr && pixels_.count(in) != 0) image_for(in);
  }
  if (propagate(node, x)) return true;
  return follow_pixels(node);
}

// Erases the nodes rewritten; every original value still read (or a graph output) is written
// again under its own name: by its replacement, or from its image in its own layout.
void TokenRewriter::finish() {
  std::set<const Node*> gone(replaced_.begin(), replaced_.end());
  std::set<Node*> feeders;
  std::vector<Value*> outputs;
  for (Node* node : replaced_) {
    for (Value* in : node->inputs) {
      if (in != nullptr && in->producer != nullptr && gone.count(in->producer) == 0) feeders.insert(in->producer);
    }
    outputs.push_back(node->output(0));
  }
  for (auto it = replaced_.rbegin(); it != replaced_.rend(); ++it) graph_.erase_node(*it);
  std::vector<Value*> written_back;
  for (Value* original : outputs) {
    if (graph_.users(original).empty() && !graph_.is_graph_output(original)) {
      // Its replacement's views go too, when nothing else reads them (a rotated head view whose
      // one reader, a KV cache's Concat, now reads the image).
      if (const auto r = replacement_.find(original); r != replacement_.end() && r->second->producer != nullptr) {
        feeders.insert(r->second->producer);
      }
      continue;
    }
    Value* value = nullptr;
    if (const auto r = replacement_.find(original); r != replacement_.end()) {
      value = r->second;
    } else {
      Value* rows = transpose(original->name + "_tokens", image_for(original), {0, 2, 3, 1});
      value = original->shape == rows->shape ? rows : reshape(original->name + "_tokens", rows, original->shape);
      written_back.push_back(original);
    }
    write_as(value, original);
  }
  // A value written back only for views nothing reads any more (Swin's q, k, v split, whose
  // heads were each replaced) goes with them: the sweep follows the views' inputs.
  sweep_dead(feeders);
  for (const Value* v : written_back) {
    if (v->producer != nullptr) stats_.add("token values read back in their layout");
  }
}

// Makes the producer of `fresh` (a new value nothing reads yet) write `original` instead.
void TokenRewriter::write_as(Value* fresh, Value* original) {
  if (graph_.users(fresh).empty()) {
    builder_.write_into(fresh, original);
    return;
  }
  // Read by other new nodes as well: an Identity writes the original name.
  graph_.add_node(OpKind::Identity, original->name + "_identity", {fresh}, {original});
}

// Nodes that only fed the rewritten ones (the patch embedding's flattening Reshape) and are
// read by nothing now.
void TokenRewriter::sweep_dead(std::set<Node*> candidates) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto it = candidates.begin(); it != candidates.end();) {
      Node* node = *it;
      bool dead = true;
      for (Value* out : node->outputs) {
        dead = dead && (out == nullptr || (graph_.users(out).empty() && !graph_.is_graph_output(out)));
      }
      if (!dead) {
        ++it;
        continue;
      }
      std::vector<Node*> inputs_from;
      for (Value* in : node->inputs) {
        if (in != nullptr && in->producer != nullptr) inputs_from.push_back(in->producer);
      }
      it = candidates.erase(it);
      graph_.erase_node(node);
      candidates.insert(inputs_from.begin(), inputs_from.end());
      changed = true;
      break;
    }
  }
}

}  // namespace wb::token_rewrite
