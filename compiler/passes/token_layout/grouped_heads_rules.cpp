// Grouped-query attention (GQA, as Llama 2/3, Mistral and Qwen have it): g key and value heads
// shared by h = g r query heads, each repeated r times before the products, as Hugging Face's
// repeat_kv exports it:
//   Reshape(Expand(Unsqueeze(kv, axis 2), [1, g, r, S, d]), [1, g r, S, d])
// of a head view kv [1, g, S, d] (a split, a rotated view, or a KV cache's Concat).
//
// Head j of the result is kv head j / r, so on the images the repeat is one channel move:
//   repeated[j d + c] = image[(j / r) d + c]   (image [1, g d, 1, S] -> [1, h d, 1, S]),
// a Gather of constant channels. The result is read as a KV cache's Concat is (read_heads):
// the keys' transpose and the values' product each get a view of the repeated image.
// The Gather is a copy the hardware pays (r - 1 copies of the keys and values): a kernel that
// indexes the shared head in place would save it; ours do not.
#include "compiler/passes/rewrite/rewrite.h"
#include "compiler/passes/token_layout/rewriter.h"

namespace wb::token_rewrite {
namespace {

using rewrite::made_by;

}  // namespace

bool TokenRewriter::repeat_heads(Node& reshape_node) {
  if (reshape_node.op != OpKind::Reshape) return false;
  const Shape& out = reshape_node.output(0)->shape;  // [1, h, S, d]
  const Node* expand = made_by(reshape_node.input(0), OpKind::Expand);
  const Node* unsqueeze = expand == nullptr ? nullptr : made_by(expand->input(0), OpKind::Unsqueeze);
  if (unsqueeze == nullptr || out.size() != 4 || out[0] != 1) return false;
  const Value* kv = unsqueeze->input(0);
  const Shape& s = kv->shape;  // [1, g, S, d]
  const Shape& repeated = expand->output(0)->shape;
  if (s.size() != 4 || s[0] != 1 || unsqueeze->output(0)->shape != Shape{1, s[1], 1, s[2], s[3]} ||
      repeated.size() != 5 || repeated != Shape{1, s[1], repeated[2], s[2], s[3]} ||
      out != Shape{1, s[1] * repeated[2], s[2], s[3]}) {
    return false;
  }
  Value* image = nullptr;
  if (const auto cached = heads_image_.find(kv); cached != heads_image_.end()) {
    image = cached->second;
  } else {
    image = head_view_image(kv);
  }
  const std::int64_t groups = s[1], copies = repeated[2], tokens = s[2], d = s[3], heads = out[1];
  if (image == nullptr || image->shape != Shape{1, groups * d, 1, tokens}) return false;
  Tensor channels(DType::I64, {heads * d});
  for (std::int64_t j = 0; j < heads; ++j) {
    for (std::int64_t c = 0; c < d; ++c) channels.data<std::int64_t>()[j * d + c] = (j / copies) * d + c;
  }
  const std::string& name = reshape_node.name;
  Attributes attrs;
  attrs.set("axis", std::int64_t{1});
  Value* joined = emit(OpKind::Gather, name + "_repeated_heads", {image, constant(name + "_repeated_channels", channels)},
                       std::move(attrs));
  heads_image_[reshape_node.output(0)] = joined;
  Value* as_heads = reshape(name + "_heads", joined, {1, heads, d, tokens});
  replacement_[reshape_node.output(0)] = transpose(name + "_head_view", as_heads, {0, 1, 3, 2});
  stats_.add("grouped key and value heads repeated on images");
  return true;
}

}  // namespace wb::token_rewrite
