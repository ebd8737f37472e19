#pragma once
// The machinery of the tokens-as-image pass (compiler/passes/tokens_as_image.h says what it
// does). One TokenRewriter walks the graph once, keeping three maps from original values to new
// ones: the image a token value is, the pixels a moved value holds, and the value that replaces
// one outright. Its rules come in families, each in its own file:
// * entry_rules.cpp: where a token sequence (or a channels-last stage) starts: graph
//   inputs, the patch embedding, Swin's stages and window heads, the heads' merge, a detection
//   head's pixels read as tokens;
// * propagation_rules.cpp: ops on values that are images already (Linears, LayerNorms,
//   elementwise ops, Concat, Slice, the head split, a Gather of one token);
// * pixel_rules.cpp: data moves of whole pixels, kept as tables and written as one Gather
//   when an op reads them;
// * patch_rules.cpp: MobileViT's unfold of an image into sets of tokens and its fold back;
// * rotary_rules.cpp: rotary position embeddings on the heads' view of an image;
// * heads_cache_rules.cpp: a decode step's KV cache in Hugging Face's layout [1, h, P, d];
// * grouped_heads_rules.cpp: grouped-query attention's key and value heads repeated;
// * rewriter.cpp: the walk, the building blocks and the rewiring after it.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/token_layout.h"
#include "compiler/passes/rewrite/graph_builder.h"
#include "compiler/passes/rewrite/pass_statistics.h"
#include "compiler/passes/rewrite/pixel_moves.h"

namespace wb::token_rewrite {

using Ints = std::vector<std::int64_t>;

// A token sequence's sizes, read off its image [1, C, H, W]: T = H W pixels of C features (a
// token sequence's image has H = 1; a channels-last stage's [1, H, W, C] is its image's pixels).
struct Tokens {
  std::int64_t count = 0;     // T
  std::int64_t features = 0;  // C
};

Tokens tokens_of(const Value* image);

// torch's layouts of T tokens of C features, all row-major [T, C] in memory (batch 1).
bool is_token_layout(const Shape& shape, Tokens t);

// Swin's windows of tokens, [nW, L, C] with nW L = T: row-major [T, C] too, window-major.
bool is_windowed_layout(const Shape& shape, Tokens t);

// A channels-last stage's value [1, H, W, C] of the image [1, C, H, W].
bool is_nhwc_of(const Shape& shape, const Shape& image);

// The axis of `shape` (a token layout) holding the tokens.
std::int64_t token_axis(const Shape& shape);

bool is_f32_constant(const Tensor* c);

class TokenRewriter {
 public:
  TokenRewriter(Graph& graph, PassStatistics& stats)
      : graph_(graph), stats_(stats), builder_(graph, "tokens-as-image", "_image", rewrite::GraphBuilder::NodeNames::AsGiven) {}

  // Rewrites the graph; false when no rule applied (the graph is as it was).
  bool run();

 private:
  // ---- building blocks (token_rewriter.cpp) -------------------------------------------------
  Value* emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs = {});
  Value* constant(const std::string& name, Tensor data);
  Value* shape_constant(const std::string& name, const Ints& dims);
  Value* reshape(const std::string& name, Value* x, const Ints& dims);
  Value* transpose(const std::string& name, Value* x, const Ints& perm);
  Value* slice(const std::string& name, Value* x, std::int64_t axis, std::int64_t start, std::int64_t end);
  Value* image_of(const Value* v) const {
    const auto it = image_.find(v);
    return it == image_.end() ? nullptr : it->second;
  }
  void set_image(Value* original, Value* image) { image_[original] = image; }
  bool has_pixels(const Value* v) const { return pixels_.count(v) != 0; }
  // The tokens [1, C, 1, H W] of an image [1, C, H, W] (itself when H is 1): the same bytes.
  Value* as_token_image(Value* image);

  // ---- the walk (token_rewriter.cpp) ----------------------------------------------------------
  bool rewrite_node(Node& node);

  // ---- entries (token_entry_rules.cpp) --------------------------------------------------------
  void seed_inputs();
  void seed_embeddings();
  void seed_image_of(Value* tokens, TokenRows layout);
  bool read_as_tokens(const Value* input, Tokens t) const;
  void drop_unread_seeds();
  bool enter(Node& node);
  bool channels_last_stage(Node& node);
  bool window_heads(Node& node);
  bool merge_heads(Node& node);
  bool pixels_as_tokens(Node& node);

  // ---- rotary position embeddings on the heads' view (token_rotary_rules.cpp) ---------------
  bool rotary(Node& add);
  Value* heads_image_of(const Value* view) const;

  // ---- a KV cache in Hugging Face's layout [1, h, P, d] (token_heads_cache_rules.cpp) --------
  bool concat_heads(Node& concat);
  bool read_heads(Node& node);
  Value* head_view_image(const Value* view) const;

  // ---- grouped-query attention's repeated key and value heads (token_grouped_heads_rules.cpp)
  bool repeat_heads(Node& reshape_node);

  // ---- patches: an image's pixels as sets of tokens and back (token_patch_rules.cpp) -------
  bool pixels_as_windows(Node& node);
  bool windows_as_pixels(Node& node);

  // ---- moved pixels (token_pixel_rules.cpp) ---------------------------------------------------
  bool follow_pixels(Node& node);
  Value* image_for(Value* v);

  // ---- propagation (token_propagation_rules.cpp) ----------------------------------------------
  bool propagate(Node& node, Value* x);
  bool split_heads(Node& node, Value* x_image, Tokens t);
  bool linear(Node& node, Value* x_image, Tokens t);
  Value* feature_constant(const Node& node, std::size_t at, Tokens t);
  Value* image_constant(const Node& node, std::size_t at, Tokens t, const Shape& token_shape);
  bool binary(Node& node, const Value* x, Tokens t);
  bool concat(Node& node, const Value* x, Tokens t);
  bool slice_tokens(Node& node, const Value* x, Value* x_image);
  bool gather_token(Node& node, const Value* x, Value* x_image);

  // ---- wiring up (token_rewriter.cpp) ---------------------------------------------------------
  void finish();
  void write_as(Value* fresh, Value* original);
  void sweep_dead(std::set<Node*> candidates);

  Graph& graph_;
  PassStatistics& stats_;
  rewrite::GraphBuilder builder_;
  std::map<const Value*, Value*> image_;        // original token value -> its image [1, C, 1, T]
  struct MovedPixels {
    Value* image = nullptr;  // [1, C, H, W]
    PixelRows rows;          // the pixel of `image` each row of the value holds
  };
  std::map<const Value*, MovedPixels> pixels_;  // original value -> the pixels it holds
  std::map<const Value*, Value*> replacement_;  // original value -> a new value equal to it
  std::vector<Node*> replaced_;                 // in topological order
  std::vector<Value*> seeds_;                   // images of graph inputs (seed_inputs)
  std::map<const Value*, Value*> heads_image_;  // a KV cache or repeated heads [1, h, S, d] -> its image [1, h d, 1, S]
};

}  // namespace wb::token_rewrite
