#include "compiler/passes/token_layout/rewriter.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "compiler/ir/op_kind.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_ids.h"
#include "compiler/ir/token_layout.h"
#include "compiler/passes/rewrite/rewrite.h"

namespace wb::token_rewrite {
namespace {

// Whether reading the image `x` [1, C, H, W] through `chain` (Reshapes and Transposes, in the
// order they run) gives its elements in HWC order: element k of the result is pixel k / C's
// channel k % C. Each element's own NCHW index goes through the chain's reference kernels.
bool reads_in_hwc_order(const Value& x, const std::vector<const Node*>& chain) {
  const std::int64_t channels = x.shape[1], pixels = x.shape[2] * x.shape[3];
  std::vector<std::int64_t> nchw(static_cast<std::size_t>(channels * pixels));
  std::iota(nchw.begin(), nchw.end(), 0);
  const Tensor order = tags_through(Tensor::from_vector<std::int64_t>(x.shape, nchw), chain);
  for (std::int64_t k = 0; k < channels * pixels; ++k) {
    if (order.as_int64(k) != (k % channels) * pixels + k / channels) return false;
  }
  return true;
}
}  // namespace

// A graph input [1, T, C] (or [T, 1, C]) whose readers include a token op over its last axis
// (a LayerNormalization over it, a MatMul by a constant [C, C'], an Add of a constant over
// tokens and features or over the features, a Concat along the tokens with computed tokens: a
// decode step's KV cache) is a token sequence from the start: its image is
// the view Reshape(Transpose(x, (0, 2, 1)), [1, C, 1, T]) (for [T, 1, C] the Transpose moves
// only an axis of size 1), which the quantizer absorbs, making the QGraph's input the image
// itself (docs/token_layout.md). A Conv1d's [N, C, L] is read by a Conv: left alone. A 2-D
// input is an [N, C] row as often as tokens, and is left alone too.
void TokenRewriter::seed_inputs() {
  for (Value* input : graph_.inputs()) {
    if (!input->has_type() || input->dtype != DType::F32 || input->is_constant()) continue;
    const std::optional<TokenRows> layout = token_rows_of(input->shape);
    if (!layout || layout->count < 2 || layout->features < 1) continue;
    const Tokens t{layout->count, layout->features};
    if (!read_as_tokens(input, t)) continue;
    seed_image_of(input, *layout);
    stats_.add("graph inputs read as images of tokens");
  }
}

// The view Reshape(Transpose(tokens, features first), [1, C, 1, T]) as the image of `tokens`,
// a seed of the rewrite.
void TokenRewriter::seed_image_of(Value* tokens, TokenRows layout) {
  const std::string name = tokens->name + "_image";
  Value* rows = transpose(name + "_features_first", tokens, features_first_perm(tokens->shape));
  Value* image = reshape(name, rows, token_image_shape(layout));
  set_image(tokens, image);
  seeds_.push_back(image);
}

// An embedding (a Gather of rows of a constant table by token ids, as torch exports
// nn.Embedding) read as tokens is a token sequence from its start, like an input of float
// embeddings: its image is the same view of its rows, which the quantizer absorbs into the
// QGraph's Embedding.
void TokenRewriter::seed_embeddings() {
  for (Node* node : graph_.topological_order()) {
    if (embedding_table(*node) == nullptr) continue;
    Value* rows_out = node->output(0);
    const std::optional<TokenRows> layout = token_rows_of(rows_out->shape);
    if (!layout || layout->features < 1 || !read_as_tokens(rows_out, {layout->count, layout->features})) continue;
    seed_image_of(rows_out, *layout);
    stats_.add("embeddings read as images of tokens");
  }
}

bool TokenRewriter::read_as_tokens(const Value* input, Tokens t) const {
  const auto rank = static_cast<std::int64_t>(input->shape.size());
  for (const Node* reader : graph_.users(input)) {
    if (reader->input(0) == input && is_row_normalization(reader->op) &&
        normalize_axis(reader->attrs.get_int("axis", -1), rank) == rank - 1) {
      return true;
    }
    if (reader->input(0) == input && reader->op == OpKind::MatMul && reader->inputs.size() == 2) {
      const Tensor* w = reader->constant_input(1);
      if (is_f32_constant(w) && w->rank() == 2 && w->shape()[0] == t.features) return true;
    }
    // A decode step's KV cache: past keys or values [1, P, C] concatenated along the tokens with
    // the new token's (computed) ones, torch.cat([past_k, k], dim=1).
    if (reader->op == OpKind::Concat && rank == 3 &&
        normalize_axis(reader->attrs.get_int("axis", 0), rank) == token_axis(input->shape)) {
      const bool with_computed_tokens = std::any_of(reader->inputs.begin(), reader->inputs.end(), [&](const Value* v) {
        return v != nullptr && v != input && !v->is_constant() && v->shape.size() == 3 && v->shape.back() == t.features;
      });
      if (with_computed_tokens) return true;
    }
    if (reader->op == OpKind::Add && reader->inputs.size() == 2) {
      const std::size_t other = reader->input(0) == input ? 1 : 0;
      const Tensor* c = reader->constant_input(other);
      if (!is_f32_constant(c) || c->rank() == 0 || c->shape().back() != t.features) continue;
      if (c->numel() == t.features || c->numel() == t.count * t.features) return true;
    }
  }
  return false;
}

// A seed no rewritten op reads (its readers were all ops the pass does not know): its view
// nodes go again, so the input is read as before.
void TokenRewriter::drop_unread_seeds() {
  for (Value* image : seeds_) {
    if (!graph_.users(image).empty()) continue;
    Node* view = image->producer;
    Node* rows = view->input(0)->producer;
    graph_.erase_node(view);
    graph_.erase_node(rows);
  }
}

// A token sequence from something that is not one yet: the patch embedding (an NCHW image
// flattened and transposed) or the heads' merge (a Transpose of the heads, then Reshape to C).
bool TokenRewriter::enter(Node& node) {
  const Value* out = node.output(0);
  if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 2, 1} && out->shape.size() == 3 &&
      out->shape[0] == 1) {
    const Node* flatten = node.input(0)->producer;
    if (flatten == nullptr || flatten->op != OpKind::Reshape || image_of(node.input(0)) != nullptr) return false;
    Value* picture = flatten->input(0);
    const Shape& p = picture->shape;
    if (p.size() != 4 || p[0] != 1 || node.input(0)->shape != Shape{1, p[1], p[2] * p[3]}) return false;
    set_image(node.output(0), reshape(node.name, picture, {1, p[1], 1, p[2] * p[3]}));
    stats_.add("patch embeddings read as images");
    return true;
  }
  if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 2, 3, 1}) return channels_last_stage(node);
  if (node.op == OpKind::Gather) return window_heads(node);
  return node.op == OpKind::Reshape && image_of(node.input(0)) == nullptr &&
         (merge_heads(node) || pixels_as_tokens(node) || pixels_as_windows(node) || windows_as_pixels(node));
}

// A channels-last stage (Swin's): Transpose(0, 2, 3, 1) of an image [1, C, H, W] read by a
// LayerNorm over its last axis is [1, H, W, C], the image's pixels, which the stage's ops then
// run on. A LayerNorm alone before the closing Transpose(0, 3, 1, 2) (ConvNeXt's LayerNorm2d)
// is the quantizer's form already and stays as it is; a transpose read otherwise (a detection
// head's tokens) is no stage.
bool TokenRewriter::channels_last_stage(Node& node) {
  Value* picture = node.input(0);
  const Shape& p = picture->shape;
  if (picture->is_constant() || p.size() != 4 || p[0] != 1 || image_of(picture) != nullptr ||
      pixels_.count(picture) != 0) {
    return false;
  }
  bool normalised = false;
  for (const Node* reader : graph_.users(node.output(0))) {
    if (!is_row_normalization(reader->op) || reader->input(0) != node.output(0) ||
        normalize_axis(reader->attrs.get_int("axis", -1), 4) != 3) {
      continue;
    }
    const Node* back = rewrite::single_user(graph_, reader->output(0));
    const bool layernorm2d = graph_.users(node.output(0)).size() == 1 && back != nullptr &&
                             back->op == OpKind::Transpose && back->attrs.get_ints("perm") == Ints{0, 3, 1, 2};
    if (layernorm2d) return false;
    normalised = true;
  }
  if (!normalised) return false;
  set_image(node.output(0), picture);
  stats_.add("channels-last stages computed on images");
  return true;
}

// Swin's (and timm's) q, k and v: Gather(axis 0, i) of Transpose(2, 0, 3, 1, 4) of Reshape
// [nW, L, k, h, d] of the tokens' qkv (its image [1, k h d, 1, nW L]): channels [i h d,
// (i + 1) h d) of the image read as [h, d, nW, L], transposed to torch's [nW, h, L, d].
bool TokenRewriter::window_heads(Node& node) {
  const Tensor* index = node.constant_input(1);
  const Node* heads = node.input(0)->producer;
  if (index == nullptr || index->rank() != 0 || normalize_axis(node.attrs.get_int("axis", 0), 5) != 0 ||
      heads == nullptr || heads->op != OpKind::Transpose || heads->attrs.get_ints("perm") != Ints{2, 0, 3, 1, 4}) {
    return false;
  }
  const Node* split = heads->input(0)->producer;
  if (split == nullptr || split->op != OpKind::Reshape) return false;
  Value* qkv = split->input(0);
  Value* image = image_of(qkv);
  const Shape& s = split->output(0)->shape;
  if (image == nullptr || image->shape[2] != 1 || s.size() != 5) return false;
  const Tokens t = tokens_of(image);
  if (s[0] * s[1] != t.count || s[2] * s[3] * s[4] != t.features || !is_windowed_layout(qkv->shape, t)) return false;
  std::int64_t i = index->as_int64(0);
  if (i < 0) i += s[2];
  if (i < 0 || i >= s[2]) return false;
  const std::int64_t c = s[3] * s[4];
  Value* part = slice(node.name + "_channels", image, 1, i * c, (i + 1) * c);
  Value* per_head = reshape(node.name + "_heads", part, {s[3], s[4], s[0], s[1]});
  replacement_[node.output(0)] = transpose(node.name, per_head, {2, 0, 3, 1});
  stats_.add("window heads split from images");
  return true;
}

// The heads' merge: a Reshape to [T, C] (or [1, T, C]) of the heads transposed back.
bool TokenRewriter::merge_heads(Node& node) {
  const Value* out = node.output(0);
  Value* heads = node.input(0);
  const Shape& h = heads->shape;
  if (heads->producer == nullptr || heads->producer->op != OpKind::Transpose || heads->is_constant()) return false;
  // [T, h, d] (MultiheadAttention) or [1, T, h, d] (a hand-written attention).
  Ints to_channels_last;
  std::int64_t count = 0, features = 0;
  if (h.size() == 3) {
    count = h[0], features = h[1] * h[2], to_channels_last = {1, 2, 0};
  } else if (h.size() == 4 && h[0] == 1) {
    count = h[1], features = h[2] * h[3], to_channels_last = {0, 2, 3, 1};
  } else if (h.size() == 4) {  // Swin's windows [nW, L, h, d]
    count = h[0] * h[1], features = h[2] * h[3], to_channels_last = {2, 3, 0, 1};
  } else {
    return false;
  }
  const Tokens merged_tokens{count, features};
  // One token merges too in the hand-written [1, 1, h, d]: a decode step's query (its other
  // forms would be ambiguous with one token).
  const bool one_query = count == 1 && h.size() == 4 && h[0] == 1;
  if ((count < 2 && !one_query) || !(is_token_layout(out->shape, merged_tokens) ||
                     (h.size() == 4 && h[0] != 1 && out->shape == Shape{h[0], h[1], features}))) {
    return false;
  }
  Value* merged = transpose(node.name + "_heads", heads, to_channels_last);
  set_image(node.output(0), reshape(node.name, merged, {1, features, 1, count}));
  stats_.add("attention heads merged into images");
  return true;
}

// A detection head's tokens: an image's HWC bytes read as tokens of K features, as SSD's and
// RetinaNet's heads write Reshape [1, A, K, H, W] -> Transpose(0, 3, 4, 1, 2) -> Reshape
// [1, H W A, K] of a conv's [1, A K, H, W]; any chain of Reshapes and Transposes (each read
// by the next alone) that reads the image in HWC order. The tokens' image is the view
// Reshape(Transpose(Reshape(Transpose(x, (0, 2, 3, 1)), [1, T, K]), (0, 2, 1)), [1, K, 1, T]),
// which the quantizer reads as one HwcReshape: stored HWC, the conv's own bytes.
bool TokenRewriter::pixels_as_tokens(Node& node) {
  const Shape& out = node.output(0)->shape;
  if (out.size() != 3 || out[0] != 1 || out[1] < 2 || image_of(node.input(0)) != nullptr) return false;
  std::vector<const Node*> chain{&node};
  constexpr std::size_t kLongestChain = 4;
  while (chain.size() <= kLongestChain) {
    Value* x = chain.back()->input(0);
    if (x == nullptr || x->is_constant() || !x->has_type()) return false;
    const Shape& s = x->shape;
    // The first image up the chain whose HWC order the chain reads (an NHWC view of the
    // conv on the way is 4-D too).
    if (s.size() == 4 && s[0] == 1 && num_elements(s) == out[1] * out[2] &&
        reads_in_hwc_order(*x, {chain.rbegin(), chain.rend()})) {
      const std::string name = node.name + "_pixels";
      Value* nhwc = transpose(name, x, {0, 2, 3, 1});
      Value* rows = reshape(name + "_rows", nhwc, {1, out[1], out[2]});
      Value* features_first = transpose(name + "_features_first", rows, {0, 2, 1});
      set_image(node.output(0), reshape(name + "_image", features_first, {1, out[2], 1, out[1]}));
      stats_.add("image pixels read as tokens");
      return true;
    }
    const Node* producer = x->producer;
    if (producer == nullptr || (producer->op != OpKind::Reshape && producer->op != OpKind::Transpose) ||
        graph_.users(x).size() != 1 || graph_.is_graph_output(x)) {
      return false;
    }
    chain.push_back(producer);
  }
  return false;
}

}  // namespace wb::token_rewrite
