#include "compiler/passes/token_layout/rewriter.h"

#include <numeric>

#include "compiler/passes/rewrite/rewrite.h"

namespace wb::token_rewrite {
namespace {

// The Reshapes and Transposes that lead to `node` (itself one), in the order they run, each
// read by the next alone: from the first value another op wrote (or the first with an image
// or moved pixels, `stop`) down to `node`. Empty when the chain is longer than `longest`.
template <typename Stop>
std::vector<const Node*> view_chain(const Graph& graph, const Node& node, std::size_t longest, Stop stop) {
  std::vector<const Node*> chain{&node};
  while (true) {
    const Value* x = chain.back()->input(0);
    if (x == nullptr || stop(x)) break;
    const Node* producer = x->producer;
    if (producer == nullptr || (producer->op != OpKind::Reshape && producer->op != OpKind::Transpose) ||
        graph.users(x).size() != 1 || graph.is_graph_output(x)) {
      break;
    }
    if (chain.size() == longest) return {};
    chain.push_back(producer);
  }
  return {chain.rbegin(), chain.rend()};
}

// MobileViT's unfold and fold are six Reshapes and Transposes each.
constexpr std::size_t kLongestViewChain = 8;

}  // namespace

// MobileViT's unfold: an image [1, C, H, W] (a conv's output) regrouped by Reshapes and
// Transposes into B sets of L tokens [B, L, C] (its p x p patches' pixels at each offset: a
// batch of sequences), each row one pixel's channels: the image's pixels in another order, kept
// as moved pixels (one gather of pixels where an op reads them as an image).
bool TokenRewriter::pixels_as_windows(Node& node) {
  const Shape& out = node.output(0)->shape;
  if (out.size() != 3 || out[0] < 2) return false;
  const auto chain = view_chain(graph_, node, kLongestViewChain, [](const Value*) { return false; });
  if (chain.size() < 2) return false;
  Value* x = chain.front()->input(0);
  const Shape& s = x->shape;
  if (x->is_constant() || !x->has_type() || s.size() != 4 || s[0] != 1 || s[1] != out[2] ||
      s[2] * s[3] != out[0] * out[1] || image_of(x) != nullptr || pixels_.count(x) != 0) {
    return false;
  }
  const std::int64_t channels = s[1], pixels = s[2] * s[3];
  std::vector<std::int64_t> nchw(static_cast<std::size_t>(channels * pixels));
  std::iota(nchw.begin(), nchw.end(), 0);
  const Tensor order = tags_through(Tensor::from_vector<std::int64_t>(s, nchw), chain);
  PixelRows rows(static_cast<std::size_t>(pixels));
  for (std::int64_t r = 0; r < pixels; ++r) {
    const std::int64_t pixel = order.as_int64(r * channels);
    for (std::int64_t c = 0; c < channels; ++c) {
      if (order.as_int64(r * channels + c) != c * pixels + pixel) return false;
    }
    rows[static_cast<std::size_t>(r)] = pixel;
  }
  pixels_[node.output(0)] = MovedPixels{x, std::move(rows)};
  stats_.add("image pixels regrouped into sets of tokens");
  return true;
}

// MobileViT's fold: sets of tokens (a value with an image or moved pixels, rows of C features)
// put back by Reshapes and Transposes into an image [1, C, H, W]: one gather of the pixels the
// tokens hold, viewed as [1, C, H, W].
bool TokenRewriter::windows_as_pixels(Node& node) {
  const Shape& out = node.output(0)->shape;
  if (out.size() != 4 || out[0] != 1) return false;
  const auto chain = view_chain(graph_, node, kLongestViewChain,
                                [&](const Value* v) { return image_of(v) != nullptr || pixels_.count(v) != 0; });
  if (chain.size() < 2) return false;
  Value* tokens = chain.front()->input(0);
  const std::int64_t channels = out[1], pixels = out[2] * out[3];
  if ((image_of(tokens) == nullptr && pixels_.count(tokens) == 0) || tokens->shape.empty() ||
      tokens->shape.back() != channels || num_elements(tokens->shape) != channels * pixels) {
    return false;
  }
  std::vector<std::int64_t> row_major(static_cast<std::size_t>(channels * pixels));
  std::iota(row_major.begin(), row_major.end(), 0);
  const Tensor order = tags_through(Tensor::from_vector<std::int64_t>(tokens->shape, row_major), chain);
  // The token row (of `tokens`' rows of C) each pixel of the output holds.
  PixelRows rows(static_cast<std::size_t>(pixels));
  for (std::int64_t q = 0; q < pixels; ++q) {
    const std::int64_t row = order.as_int64(q) / channels;
    for (std::int64_t c = 0; c < channels; ++c) {
      if (order.as_int64(c * pixels + q) != row * channels + c) return false;
    }
    rows[static_cast<std::size_t>(q)] = row;
  }
  // Moved pixels compose: the output's pixels straight from their source image.
  Value* source = nullptr;
  if (const auto moved = pixels_.find(tokens); moved != pixels_.end() && image_of(tokens) == nullptr) {
    source = moved->second.image;
    for (std::int64_t& row : rows) row = moved->second.rows[static_cast<std::size_t>(row)];
  } else {
    source = image_for(tokens);
  }
  const Shape& from = source->shape;
  const std::string name = node.name + "_pixels";
  Value* image = nullptr;
  if (is_identity(rows) && from[2] * from[3] == pixels) {
    image = from == out ? source : reshape(name, source, out);
  } else {
    Value* flat = from[2] == 1 ? source : reshape(name + "_flat", source, {1, channels, 1, from[2] * from[3]});
    Attributes attrs;
    attrs.set("axis", std::int64_t{3});
    Value* gathered = emit(OpKind::Gather, name, {flat, constant(name + "_indices", Tensor::from_vector<std::int64_t>({pixels}, rows))},
                           std::move(attrs));
    image = reshape(name + "_image", gathered, out);
    stats_.add("pixel moves as one gather");
  }
  replacement_[node.output(0)] = image;
  stats_.add("sets of tokens put back into images");
  return true;
}

}  // namespace wb::token_rewrite
