#pragma once
// Reading float-graph nodes into QNode fields, shared by the quantizer (fused float graph)
// and the QDQ importer (already-quantized graph) so both read a node the same way.

#include <optional>

#include "compiler/ir/fusion.h"
#include "compiler/ir/graph.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

// A Relu, or a Clip with constant scalar bounds, as an activation; nullopt otherwise.
std::optional<FusedActivation> activation_of(const Node& node);

// Kernel, strides, dilations and pads of a Conv (`kernel` from its weights' shape).
void set_conv_window(QNode& q, const Node& conv, const std::vector<std::int64_t>& kernel);

// Window of a MaxPool, AveragePool or GlobalAveragePool, and the divisor of average pooling.
// UserError for average pooling whose windows divide by different counts.
void set_pool_window(QNode& q, const Node& pool);

// A LayerNorm over the channels of an NCHW tensor as torch writes it (ConvNeXt's
// LayerNorm2d; `channels-last-blocks` leaves every channels-last LayerNorm in this form):
// Transpose(0, 2, 3, 1) -> LayerNormalization(last axis) -> Transpose(0, 3, 1, 2), each read
// by the next alone. `front` is the first Transpose; nulls when the pattern does not hold.
struct LayerNormView {
  const Node* layernorm = nullptr;
  const Node* back = nullptr;  // the closing Transpose: its output is the LayerNorm's
};
LayerNormView nhwc_layernorm(const Graph& graph, const Node& front);

// A LayerNormalization that normalises the channel axis alone by itself: axis 1 (or -1) of
// an [N, C] tensor, or axis 1 of [N, C, 1, 1].
bool channel_layernorm(const Node& layernorm);

// The QNode's gamma, beta (one per channel; a missing beta is 0) and epsilon from the
// LayerNormalization; UserError naming the node when gamma or beta is not a constant of one
// value per channel.
void set_layernorm(QNode& q, const Node& layernorm, std::int64_t channels);

// Attention's products in the layout `tokens-as-image` writes (docs/token_layout.md), each view
// node read by the next alone:
//   scores:  MatMul([Div | Mul by a scalar](Transpose(0, 2, 1)(Reshape(Q image, [h, d, T]))),
//                   Reshape(K image, [h, d, T']))
//   context: Reshape(Transpose(0, 2, 1)(MatMul(P [h, T, T'], Transpose(0, 2, 1)(Reshape(V image,
//            [h, d, T'])))), [1, h d, 1, T])
// An image is [1, h d, 1, T]. Swin's windowed products (W windows of L tokens, T = W L):
//   scores:  MatMul([Div | Mul by a scalar](Transpose(2, 0, 3, 1)(Reshape(Q image, [h, d, W, L]))),
//                   Transpose(2, 0, 1, 3)(Reshape(K image, [h, d, W, L'])))  [+ a constant [1, h, L, L']: the
//            relative-position bias]  [-> Reshape [W h, L, L']]
//   context: Reshape(Transpose(1, 3, 0, 2) (one window: or (0, 1, 3, 2))(MatMul([Reshape [W, h, L, L'] of] P,
//            Transpose(2, 0, 3, 1)(Reshape(V image, [h, d, W, L']))), [1, h d, 1, W L])
// (the bracketed Reshapes as the QDQ export writes them). nullopt when `matmul` is neither.
struct AttentionProduct {
  MatMulForm form = MatMulForm::Scores;
  const Value* a = nullptr;       // the queries' image, or the probabilities
  const Value* b = nullptr;       // the keys' or the values' image
  const Value* output = nullptr;  // scores: the MatMul's output; context: the closing Reshape's
  std::int64_t heads = 0;
  std::int64_t windows = 1;          // Swin's windows W (matmul_windows)
  const Tensor* bias = nullptr;      // Swin's scores: the relative-position bias the product absorbs
  double factor = 1.0;               // the scalar the queries are multiplied by (1 / sqrt(d))
  std::vector<const Node*> views;    // the nodes it absorbs besides the MatMul
};
std::optional<AttentionProduct> attention_product(const Graph& graph, const Node& matmul);

// Swin's shifted-window mask before a Softmax, as torch writes it: Reshape(x, [1, W, h, L, L])
// -> Add of a constant mask [1, W, 1, L, L] -> Reshape [W, h, L, L] (or the rows [W h, L, L])
// -> Softmax, each read by the next alone; x the scores (torch's [W, h, L, L] or the rows). The
// mask must be regions: per window, 0 between tokens of one region and at most -30 between
// others (exp(-30) < 1e-13: no probability at 1/256), which `labels` give (W L entries, a
// token's label the first token of its region). Nulls when the pattern does not hold;
// `problem` says why when the nodes are there but the mask is no regions.
struct MaskedScores {
  const Value* scores = nullptr;
  std::vector<const Node*> views;  // the Reshapes and the Add
  std::vector<std::int64_t> labels;
  std::string problem;
};
MaskedScores masked_scores(const Graph& graph, const Node& softmax);

// A causal mask before a Softmax over the keys, as a decoder writes it: Where(mask, fill, x) or
// Where(mask, x, fill) with `fill` a constant of at most -30 (-inf, torch's finfo.min), or
// Add(x, mask) of a constant of 0 (kept) and at most -30 (an -inf or -1e4 triangle), read by the
// Softmax alone; x the scores [..., Q, K] and the mask [Q, K] (leading axes of 1 broadcast). The
// mask must keep key j of query i exactly when j <= i + offset (a prefill: offset 0; a decode
// step after P cached tokens: P). Nulls when the pattern does not hold; `problem` says why when
// a constant mask is there but is not causal.
struct CausalScores {
  const Value* scores = nullptr;
  const Node* mask_node = nullptr;  // the Where or the Add
  std::int64_t offset = 0;
  std::string problem;
};
CausalScores causal_scores(const Graph& graph, const Node& softmax);

// A network input in a token layout read as its image (`tokens-as-image` writes the view for a
// graph input [1, T, C] or [T, 1, C]; docs/token_layout.md): Transpose(0, 2, 1) (or (1, 2, 0))
// -> Reshape [1, C, 1, T], the input read by the Transpose alone and the Transpose by the
// Reshape alone. Stored HWC, the image has the input's bytes, so the QGraph's input is the
// image with the input's shape as its source_shape. `input` is the graph input (the quantizer)
// or the DequantizeLinear of one (the QDQ reader). Nulls when the pattern does not hold.
struct TokenInputView {
  const Node* transpose = nullptr;
  const Node* reshape = nullptr;  // its output is the image
};
TokenInputView token_input_view(const Graph& graph, const Value& input);

// A 4-D image's HWC bytes read as tokens of K features, as `tokens-as-image` writes it for a
// detection head's Reshape [1, A, K, H, W] -> Transpose(0, 3, 4, 1, 2) -> Reshape [1, H W A, K]
// (docs/token_layout.md): Transpose(0, 2, 3, 1) -> Reshape [1, T, K] -> Transpose(0, 2, 1) ->
// Reshape [1, K, 1, T], each node read by the next alone. One HwcReshape from `to_nhwc`'s
// input to `image`. Nulls when the pattern does not hold.
struct HwcTokensView {
  const Node* to_nhwc = nullptr;  // the Transpose(0, 2, 3, 1) of the image
  std::vector<const Node*> views;  // the other three
  const Value* image = nullptr;    // [1, K, 1, T]
};
HwcTokensView hwc_tokens_view(const Graph& graph, const Node& to_nhwc);

// A gather of pixels as `tokens-as-image` writes moved pixels (docs/token_layout.md, "Moved
// pixels"): [Reshape [1, C, H, W] -> [1, C, 1, H W]] -> Gather(axis 3, constant 1-D indices)
// -> [Reshape [1, C, 1, P] -> [1, C, H', W']], each optional Reshape read by the next node
// alone. One PixelGather from `input` (an activation) to `output`; `pixels` are the source
// pixels h W + w, negative indices counted from the end. Nulls when the pattern does not hold.
struct PixelGatherView {
  const Node* flatten = nullptr;    // null when the source is [1, C, 1, N] itself
  const Node* unflatten = nullptr;  // null when the output is the gather's [1, C, 1, P]
  const Value* input = nullptr;
  const Value* output = nullptr;
  std::vector<std::int64_t> pixels;
};
PixelGatherView pixel_gather(const Graph& graph, const Node& gather);

// A network output in a token layout [1, T, C] read back from its image [1, C, 1, T], as
// `tokens-as-image` writes it: Transpose(0, 2, 3, 1) -> Reshape, the Transpose read by the
// Reshape alone. Stored HWC, the image has the output's bytes, so the QGraph's output is the
// image with the output's shape as its source_shape. Nulls when the pattern does not hold.
struct TokenOutputView {
  const Node* transpose = nullptr;
  const Node* reshape = nullptr;  // writes the output (the transpose does for a KV cache's [1, h, T, d])
  const Value* image = nullptr;
};
TokenOutputView token_output_view(const Graph& graph, const Value& output);

}  // namespace wb::quant
