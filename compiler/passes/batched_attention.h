#pragma once

#include "compiler/passes/pass.h"

namespace wb {

// torch's nn.MultiheadAttention(batch_first=True) over a batch of B > 1 sequences (MobileViT's
// patches: B = p * p sets of N tokens), as torch exports it: time-major inside, from
// Transpose(1, 0, 2) of x [B, L, E] to Transpose(1, 0, 2) back, the packed in-projection
// sliced into q, k and v, each Reshape [L, B h, d] -> Transpose into [B h, L, d] (k: [B h, d, L]),
// q divided by sqrt(d), the products, the softmax, the heads merged through Reshape [L B, E]
// and the out-projection Gemm. It becomes the batch-major form a windowed attention has
// (Swin's, and a hand-written MobileViT's): the in-projection on [B, L, E], q, k and v each
// Slice -> Reshape [B, L, h, d] -> Transpose to [B, h, L, d] (k to [B, h, d, L]), the products
// and the softmax per sequence and head on [B, h, L, L], the heads merged by
// Transpose(0, 2, 1, 3) -> Reshape [B, L, E], then the out-projection as MatMul + Add; so
// tokens-as-image reads the B sequences as windows of one image (docs/token_layout.md).
// Left alone: one sequence (B = 1, already the form tokens-as-image reads), attention masks,
// separate q, k and v projections, anything read between the steps.
class BatchedAttentionPass : public Pass {
 public:
  std::string_view name() const override { return "batched-attention"; }
  std::vector<std::string_view> must_follow() const override { return {"fold-constants"}; }
  bool run(Graph& graph, PassStatistics& stats) override;
};

}  // namespace wb
