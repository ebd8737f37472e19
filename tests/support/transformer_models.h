#pragma once
// Transformers as torch.onnx.export writes them, shrunk, for pass and quantization tests.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/onnx_builder.h"

namespace wb::test {

// torchvision's VisionTransformer as torch.onnx.export writes it (opset 17), shrunk: 8x8 image,
// 4x4 patches (T = 4 + the class token), C = 8 features, 2 heads of 4, one encoder block, the
// head on the class token: "x" [1, 3, 8, 8] -> "y" [1, 10]. MultiheadAttention works on
// [T, 1, C] and its out-projection on [T, C]; Q is divided by sqrt(4) = 2 ("/attn/Div"), so
// every scheme can requantize the scores. With `token_output`, the encoder's tokens
// "encoded" [1, 5, 8] are a graph output too. With `patches_per_side` p, the image is 4p x 4p
// and T = p^2 + 1 (more query rows than a small L1 holds at once).
OnnxBuilder tiny_vit(bool token_output = false, std::int64_t patches_per_side = 2);

// A BERT-like encoder on float embeddings, as torch exports it (opset 17), shrunk: "emb"
// [1, 5, 8] (T = 5 tokens of C = 8) + a position embedding -> LayerNorm -> one post-LN block
// (MultiheadAttention of 2 heads of 4 on [T, 1, C], residual, LayerNorm, MLP 8 -> 16 -> 8 with
// GELU, residual, LayerNorm) -> Gemm on token 0 -> "y" [1, 10]. Its input is a token sequence
// from the start (no patch embedding): tokens-as-image reads it as the image [1, 8, 1, 5].
// With `vocabulary` V > 0, from token ids as torch exports nn.Embedding: "ids" int64 [1, 5] ->
// Gather(table [V, 8], ids) -> the embeddings above.
OnnxBuilder tiny_bert(std::int64_t vocabulary = 0);

// How a decoder's attention masks its scores before the Softmax (tiny_gpt).
enum class DecoderMask {
  MaskedFill,   // torch's masked_fill(mask == 0, -inf): Where(future, -inf, scores)
  // The same through an Identity of the mask, as torch exports a later block's mask when the
  // blocks share one constant
  SharedMaskedFill,
  WhereKeep,    // Where(allowed, scores, -inf)
  AddTriangle,  // scores + a constant triangle of 0 and -1e4
  NotCausal,    // Where(diagonal, -inf, scores): a mask with no integer form
};

// A GPT-like decoder block from token ids as a model's own code writes it (nanoGPT's attention,
// opset 14): "ids" int64 [1, 6] -> Gather(table [V, 8]) -> LayerNormalization -> one Linear to
// q, k and v split along the features -> heads of 2 x 4 by view and transpose (k as [1, h, d, T])
// -> q k^T scaled by 1 / 2 after the product -> the mask `mask` -> Softmax -> the heads merged
// -> Linear + residual -> a Linear head to "logits" [1, 6, 12]. A prefill: no cached keys.
OnnxBuilder tiny_gpt(std::int64_t vocabulary, DecoderMask mask = DecoderMask::MaskedFill);

// A Llama-like decoder from its token ids [1, 6]: an embedding of `vocabulary` rows of 8, an
// RMSNorm (as torch 1.13 exports torch.rsqrt), causal attention without biases, an RMSNorm, a
// SwiGLU feed-forward of 16 (w2(silu(w1 x) * w3 x)), a last RMSNorm and 12 logits; with
// `rotary_embeddings`, Llama's rotary position embeddings on q and k (apply_rotary_pos_emb:
// Slice, Neg, Concat, Mul by cos and sin tables [6, 4], Add).
OnnxBuilder tiny_llama(std::int64_t vocabulary, bool rotary_embeddings = false);

// One decode step of a Llama-like block with a KV cache: the new token's id [1, 1] and the
// cached keys and values of `past` tokens [1, past, 8] in the tokens' layout; outputs the
// logits [1, 1, 12] and the caches with the new token appended ([1, past + 1, 8], concatenated
// before the heads are split, as llama2.c keeps its cache). With `heads_cache`, the caches are in
// Hugging Face's layout [1, 2, past, 4] and [1, 2, past + 1, 4], concatenated after the split.
OnnxBuilder tiny_llama_decode(std::int64_t vocabulary, std::int64_t past, bool heads_cache = false);

// Grouped-query attention from token ids [1, 6] (a prefill): 2 query heads of 4 share one key
// and value head, repeated as Hugging Face's repeat_kv writes it (Unsqueeze, Expand, Reshape);
// the scores' shape read off themselves through Shape (unknown before fold-constants) and then
// masked by an added -inf triangle; the logits [1, 6, 12]. Without `repeat_kv`, the one key and
// value head is expanded to both query heads directly (x.expand(1, 2, T, d), no Unsqueeze), a
// form the passes do not recognise.
OnnxBuilder tiny_gqa(std::int64_t vocabulary, bool repeat_kv = true);

// Float tokens [1, 6, 8] -> that RMSNorm -> a Linear to 12: an RMSNorm a QDQ file can carry
// (its input 8-bit, not token ids).
OnnxBuilder rms_tokens();

// A KV cache in Hugging Face's layout that a QDQ file can carry (float tokens, not ids): two new
// tokens [1, 2, 8] -> a Linear to their keys, split into 2 heads [1, 2, 2, 4], appended to
// past_k [1, 2, 5, 4] along the tokens (Concat axis 2); outputs the logits of a Linear to 12
// [1, 2, 12] and present_k [1, 2, 7, 4].
OnnxBuilder heads_cache_tokens();

// How many of `lines` (a back end's list of what it cannot run) contain `what`.
std::size_t lines_containing(const std::vector<std::string>& lines, const std::string& what);

}  // namespace wb::test
