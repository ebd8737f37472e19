#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// A transformer's token sequence computed as an image: the tokens `[1, T, C]` (or torch's
// `[T, 1, C]` and `[T, C]` inside MultiheadAttention) become the NCHW image `[1, C, 1, T]`, one
// row of T pixels with the features as channels (docs/token_layout.md). Stored HWC, the image is
// row-major `[T, C]`, so no data moves; what the back ends run on images then runs on tokens:
// * the patch embedding `Conv -> Reshape(1, C, H W) -> Transpose(0, 2, 1)` is its conv's image
//   as `[1, C, 1, H W]`;
// * a graph input `[1, T, C]` (or `[T, 1, C]`) that a token op over its last axis reads (a
//   LayerNormalization, a MatMul by a constant `[C, C']`, an Add of a constant over the features
//   or over tokens and features: a BERT-like encoder's float embeddings) is the view
//   `Reshape(Transpose(x, (0, 2, 1)), [1, C, 1, T])`, which the quantizer absorbs (the QGraph's
//   input is then the image, given as `[1, T, C]`); a Conv1d's `[N, C, L]` and 2-D inputs are
//   left alone;
// * a Linear (MatMul by a constant `[C, C']`, Gemm by a constant) a 1x1 Conv;
// * a LayerNormalization over the last axis the NHWC view of the image (Transpose ->
//   LayerNormalization -> Transpose), the quantizer's LayerNorm over the channels;
// * elementwise ops, residual Adds, constants over the features (`[C, 1, 1]`) or over tokens and
//   features (the position embedding, as `[1, C, 1, T]`), a Concat of tokens (the class token)
//   along W, a Slice of features along the channels, the transposes and reshapes between torch's
//   layouts (none: the same image);
// * attention's head split `Reshape(T, h, d)` reads the image as `[h, d, T]` (K^T is that view,
//   Q and V its transpose), and the heads' merge `Transpose -> Reshape(T, C)` writes it back.
// A Gather of one token (the class token into the head) is a Slice of one pixel. Whatever the
// pass does not know reads the tokens in their original layout again (Transpose -> Reshape of
// the image), so every graph stays correct; the attention products themselves (MatMul of two
// activations, Softmax over keys) stay as they are.
class TokensAsImagePass : public Pass {
 public:
  std::string_view name() const override { return "tokens-as-image"; }
  std::vector<std::string_view> must_follow() const override { return {"fuse-layernorm", "fuse-rmsnorm", "fuse-gelu"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
