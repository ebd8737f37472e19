// A decode step's KV cache in Hugging Face's layout (past_key_values): a graph input
// [1, h, P, d] concatenated along its tokens (axis 2) with the new tokens' head view
// [1, h, T, d], torch.cat([past_k, k], dim=2) after the heads split and the rotation.
//
// The cache's image is [1, h d, 1, P] (channel k d + c of token p is element (k, p, c),
// token_layout.h): the view Reshape(Transpose(past, (0, 1, 3, 2)), [1, h d, 1, P]), which the
// quantizer makes the QGraph's input as it does a [1, T, C] one. The Concat is a Concat of
// images along the tokens. Each reader of the result reads a view of its own of that image, so
// the attention products find their heads as they find any others (and a view is read by one
// node): the keys' transpose is Reshape [1, h, d, S], a product reading the values in place is
// given Transpose(Reshape [1, h, d, S], (0, 1, 3, 2)), and a graph output (the present keys or
// values) is written from that same view, which the quantizer reads back as the output's layout.
#include <algorithm>

#include "compiler/ir/shape_inference.h"
#include "compiler/passes/rewrite/rewrite.h"
#include "compiler/passes/token_layout/rewriter.h"

namespace wb::token_rewrite {
namespace {

using rewrite::made_by;

bool is_cache_input(const Graph& graph, const Value* v) {
  return v != nullptr && !v->is_constant() && v->producer == nullptr && v->dtype == DType::F32 &&
         v->shape.size() == 4 && v->shape[0] == 1 &&
         std::find(graph.inputs().begin(), graph.inputs().end(), v) != graph.inputs().end();
}

}  // namespace

// The image [1, h d, 1, T] a computed head view [1, h, T, d] shows: the rotary rule's
// replacement, Transpose(0, 2, 1, 3) of Transpose(0, 3, 1, 2) of Reshape(image, [1, h, d, T]), or
// a split_heads view (heads_image_of).
Value* TokenRewriter::head_view_image(const Value* view) const {
  if (const auto r = replacement_.find(view); r != replacement_.end()) {
    const Node* swap = made_by(r->second, OpKind::Transpose);
    const Node* to_tokens = swap == nullptr ? nullptr : made_by(swap->input(0), OpKind::Transpose);
    const Node* heads = to_tokens == nullptr ? nullptr : made_by(to_tokens->input(0), OpKind::Reshape);
    if (heads == nullptr || swap->attrs.get_ints("perm") != Ints{0, 2, 1, 3} ||
        to_tokens->attrs.get_ints("perm") != Ints{0, 3, 1, 2}) {
      return nullptr;
    }
    const Shape& s = view->shape;
    Value* image = heads->input(0);
    return s.size() == 4 && image->shape == Shape{1, s[1] * s[3], 1, s[2]} ? image : nullptr;
  }
  return heads_image_of(view);
}

bool TokenRewriter::concat_heads(Node& concat) {
  const Value* out = concat.output(0);
  if (concat.op != OpKind::Concat || out->shape.size() != 4 || out->shape[0] != 1 ||
      normalize_axis(concat.attrs.get_int("axis", 0), 4) != 2) {
    return false;
  }
  const bool has_cache = std::any_of(concat.inputs.begin(), concat.inputs.end(),
                                     [&](const Value* v) { return is_cache_input(graph_, v); });
  if (!has_cache) return false;
  const std::int64_t heads = out->shape[1], d = out->shape[3];
  std::vector<Value*> images;
  for (Value* in : concat.inputs) {
    Value* image = nullptr;
    if (is_cache_input(graph_, in)) {
      const auto seeded = heads_image_.find(in);
      if (seeded != heads_image_.end()) {
        image = seeded->second;
      } else {
        Value* features_first = transpose(in->name + "_image_features_first", in, {0, 1, 3, 2});
        image = reshape(in->name + "_image", features_first, {1, heads * d, 1, in->shape[2]});
        heads_image_[in] = image;
        seeds_.push_back(image);
        stats_.add("KV caches [1, h, P, d] read as images of tokens");
      }
    } else {
      image = head_view_image(in);
    }
    if (image == nullptr || image->shape[1] != heads * d) return false;
    images.push_back(image);
  }
  Attributes attrs;
  attrs.set("axis", std::int64_t{3});
  Value* joined = emit(OpKind::Concat, concat.name, images, std::move(attrs));
  heads_image_[out] = joined;
  // What a graph output (the present cache) and any reader this file does not rewrite read.
  Value* as_heads = reshape(concat.name + "_heads", joined, {1, heads, d, out->shape[2]});
  replacement_[out] = transpose(concat.name + "_head_view", as_heads, {0, 1, 3, 2});
  stats_.add("KV caches concatenated as images");
  return true;
}

bool TokenRewriter::read_heads(Node& node) {
  for (std::size_t at = 0; at < node.inputs.size(); ++at) {
    const auto found = heads_image_.find(node.input(at));
    // A graph input's image is the Concat's business; only a Concat's or a repeat's result is read here.
    if (found == heads_image_.end() || node.input(at)->producer == nullptr) continue;
    Value* image = found->second;
    const Shape& s = node.input(at)->shape;  // [1, h, S, d]
    if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 1, 3, 2}) {
      // The keys transposed for the scores: the image read as [1, h, d, S].
      replacement_[node.output(0)] = reshape(node.name + "_keys", image, {1, s[1], s[3], s[2]});
      stats_.add("KV cache heads read from images");
      return true;
    }
    if (node.op == OpKind::MatMul && at == 1) {
      // The values read in place by the context's product: a view of its own.
      Value* as_heads = reshape(node.name + "_values", image, {1, s[1], s[3], s[2]});
      node.inputs[1] = transpose(node.name + "_values_tokens_first", as_heads, {0, 1, 3, 2});
      stats_.add("KV cache heads read from images");
      return false;
    }
  }
  return false;
}

}  // namespace wb::token_rewrite
