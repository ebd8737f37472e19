#include "tests/support/transformer_models.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace wb::test {
namespace {

using Ints = std::vector<std::int64_t>;

Tensor ints_tensor(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

void perm(onnx::NodeProto& node, const Ints& p) { set_attr(node, "perm", p); }

// One encoder block's weights after its LayerNorms' (in this order: the models' random seeds
// follow it) and the constants of MultiheadAttention's export over T tokens of c features in
// `heads` heads of d.
template <typename Weight>
void block_constants(OnnxBuilder& b, Weight&& weight, std::int64_t t, std::int64_t c, std::int64_t heads,
                     std::int64_t d) {
  weight("in_w", Shape{c, 3 * c});
  weight("in_b", Shape{3 * c});
  weight("out_w", Shape{c, c});  // Gemm with transB = 1: [C', C]
  weight("out_b", Shape{c});
  weight("fc1_w", Shape{c, 2 * c});
  weight("fc1_b", Shape{2 * c});
  weight("fc2_w", Shape{2 * c, c});
  weight("fc2_b", Shape{c});
  weight("head_w", Shape{10, c});
  weight("head_b", Shape{10});
  b.initializer("head_shape", ints_tensor({t, heads, d}));
  b.initializer("merged_shape", ints_tensor({t, c}));
  b.initializer("seq_shape", ints_tensor({t, 1, c}));
  b.initializer("sqrt_d", Tensor::scalar<float>(std::sqrt(static_cast<float>(d))));
  b.initializer("zero", Tensor::scalar<std::int64_t>(0));
  for (std::int64_t i = 0; i <= 3; ++i) b.initializer(fmt::format("at{}", i), ints_tensor({i * c}));
  b.initializer("last_axis", ints_tensor({-1}));
}

// torch's MultiheadAttention on [1, T, C] as it exports it: to [T, 1, C], the in-projection, the
// heads split from Q, K and V, Q divided by sqrt(d), the two products and the softmax, the heads
// merged, the out-projection on [T, C] and back: `in` -> `out` ("/attn/...").
void multihead_attention(OnnxBuilder& b, const std::string& in, const std::string& out) {
  perm(b.node("Transpose", {in}, {"tnc"}, "/attn/Transpose"), {1, 0, 2});
  b.node("MatMul", {"tnc", "in_w"}, {"qkv0"}, "/attn/MatMul");
  b.node("Add", {"in_b", "qkv0"}, {"qkv"}, "/attn/Add");
  for (int i = 0; i < 3; ++i) {
    const std::string p = std::string(1, "qkv"[i]);
    b.node("Slice", {"qkv", fmt::format("at{}", i), fmt::format("at{}", i + 1), "last_axis"}, {p + "_slice"},
           "/attn/Slice_" + p);
    b.node("Reshape", {p + "_slice", "head_shape"}, {p + "_split"}, "/attn/Reshape_" + p);
  }
  perm(b.node("Transpose", {"q_split"}, {"q_heads"}, "/attn/Transpose_q"), {1, 0, 2});
  b.node("Div", {"q_heads", "sqrt_d"}, {"q_scaled"}, "/attn/Div");
  perm(b.node("Transpose", {"k_split"}, {"k_t"}, "/attn/Transpose_k"), {1, 2, 0});
  perm(b.node("Transpose", {"v_split"}, {"v_heads"}, "/attn/Transpose_v"), {1, 0, 2});
  b.node("MatMul", {"q_scaled", "k_t"}, {"scores"}, "/attn/MatMul_1");
  set_attr(b.node("Softmax", {"scores"}, {"probs"}, "/attn/Softmax"), "axis", std::int64_t{-1});
  b.node("MatMul", {"probs", "v_heads"}, {"attended"}, "/attn/MatMul_2");
  perm(b.node("Transpose", {"attended"}, {"tokens_heads"}, "/attn/Transpose_o"), {1, 0, 2});
  b.node("Reshape", {"tokens_heads", "merged_shape"}, {"merged"}, "/attn/Reshape_o");
  set_attr(b.node("Gemm", {"merged", "out_w", "out_b"}, {"projected"}, "/attn/Gemm"), "transB", std::int64_t{1});
  b.node("Reshape", {"projected", "seq_shape"}, {"projected_seq"}, "/attn/Reshape_1");
  perm(b.node("Transpose", {"projected_seq"}, {out}, "/attn/Transpose_1"), {1, 0, 2});
}

// A LayerNormalization over the last axis with the weights NAME_gamma and NAME_beta.
void layer_norm(OnnxBuilder& b, const std::string& in, const std::string& name, const std::string& out, float epsilon) {
  auto& n = b.node("LayerNormalization", {in, name + "_gamma", name + "_beta"}, {out}, "/" + name + "/LayerNormalization");
  set_attr(n, "axis", std::int64_t{-1});
  set_attr(n, "epsilon", epsilon);
}

// The block's MLP: C -> 2C, GELU, 2C -> C ("/mlp/...").
void gelu_mlp(OnnxBuilder& b, const std::string& in, const std::string& out) {
  b.node("MatMul", {in, "fc1_w"}, {"h1"}, "/mlp/MatMul");
  b.node("Add", {"h1", "fc1_b"}, {"h1b"}, "/mlp/Add");
  b.node("Gelu", {"h1b"}, {"g"}, "/mlp/Gelu");
  b.node("MatMul", {"g", "fc2_w"}, {"h2"}, "/mlp/MatMul_1");
  b.node("Add", {"h2", "fc2_b"}, {out}, "/mlp/Add_1");
}

}  // namespace

OnnxBuilder tiny_vit(bool token_output, std::int64_t patches_per_side) {
  constexpr std::int64_t c = 8, heads = 2, d = 4;
  const std::int64_t patches = patches_per_side * patches_per_side, t = patches + 1;
  OnnxBuilder b(17);
  b.input("x", {1, 3, 4 * patches_per_side, 4 * patches_per_side}).output("y");
  if (token_output) b.output("encoded");
  std::uint32_t seed = 1;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  weight("patch_w", {c, 3, 4, 4});
  weight("patch_b", {c});
  weight("cls", {1, 1, c});
  weight("pos", {1, t, c});
  for (const std::string ln : {"ln1", "ln2", "ln"}) {
    weight(ln + "_gamma", {c});
    weight(ln + "_beta", {c});
  }
  block_constants(b, weight, t, c, heads, d);
  b.initializer("flat_shape", ints_tensor({1, c, patches}));

  // torchvision's ViT normalises with epsilon 1e-6.
  const auto layernorm = [&](const std::string& in, const std::string& name, const std::string& out) {
    layer_norm(b, in, name, out, 1e-6f);
  };
  auto& patch = b.node("Conv", {"x", "patch_w", "patch_b"}, {"patches"}, "/conv_proj/Conv");
  set_attr(patch, "kernel_shape", Ints{4, 4});
  set_attr(patch, "strides", Ints{4, 4});
  b.node("Reshape", {"patches", "flat_shape"}, {"flat"}, "/Reshape");
  perm(b.node("Transpose", {"flat"}, {"seq"}, "/Transpose"), {0, 2, 1});
  set_attr(b.node("Concat", {"cls", "seq"}, {"with_cls"}, "/Concat"), "axis", std::int64_t{1});
  b.node("Add", {"with_cls", "pos"}, {"embedded"}, "/encoder/Add");
  layernorm("embedded", "ln1", "n1");
  multihead_attention(b, "n1", "attn_out");
  b.node("Add", {"attn_out", "embedded"}, {"r1"}, "/encoder/Add_1");
  layernorm("r1", "ln2", "n2");
  gelu_mlp(b, "n2", "h2b");
  b.node("Add", {"r1", "h2b"}, {"encoded"}, "/encoder/Add_2");
  layernorm("encoded", "ln", "final");
  set_attr(b.node("Gather", {"final", "zero"}, {"class_token"}, "/Gather"), "axis", std::int64_t{1});
  set_attr(b.node("Gemm", {"class_token", "head_w", "head_b"}, {"y"}, "/heads/Gemm"), "transB", std::int64_t{1});
  return b;
}

OnnxBuilder tiny_bert(std::int64_t vocabulary) {
  constexpr std::int64_t c = 8, heads = 2, d = 4, t = 5;
  OnnxBuilder b(17);
  std::uint32_t seed = 101;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  if (vocabulary > 0) {
    b.input("ids", {1, t}, onnx::TensorProto::INT64).output("y");
    weight("table", {vocabulary, c});
    b.node("Gather", {"table", "ids"}, {"emb"}, "/embed/Gather");
  } else {
    b.input("emb", {1, t, c}).output("y");
  }
  weight("pos", {1, t, c});
  for (const std::string ln : {"ln0", "ln1", "ln2"}) {
    weight(ln + "_gamma", {c});
    weight(ln + "_beta", {c});
  }
  block_constants(b, weight, t, c, heads, d);

  // torch's TransformerEncoderLayer normalises with epsilon 1e-5.
  const auto layernorm = [&](const std::string& in, const std::string& name, const std::string& out) {
    layer_norm(b, in, name, out, 1e-5f);
  };
  b.node("Add", {"emb", "pos"}, {"embedded"}, "/Add");
  layernorm("embedded", "ln0", "n0");
  multihead_attention(b, "n0", "attn_out");
  b.node("Add", {"n0", "attn_out"}, {"r1"}, "/encoder/Add_1");  // post-LN: the residual is the normed input
  layernorm("r1", "ln1", "n1");
  gelu_mlp(b, "n1", "h2b");
  b.node("Add", {"n1", "h2b"}, {"r2"}, "/encoder/Add_2");
  layernorm("r2", "ln2", "final");
  set_attr(b.node("Gather", {"final", "zero"}, {"first_token"}, "/Gather"), "axis", std::int64_t{1});
  set_attr(b.node("Gemm", {"first_token", "head_w", "head_b"}, {"y"}, "/head/Gemm"), "transB", std::int64_t{1});
  return b;
}

namespace {

constexpr std::int64_t kDecoderWidth = 8, kDecoderHeads = 2, kDecoderHeadWidth = 4, kDecoderTokens = 6,
                       kDecoderLogits = 12;

// nanoGPT's causal self-attention on the tokens `in` [1, T, C] into `out`: one Linear for q, k
// and v (with or without its bias), split, heads by view and transpose, the scores scaled after
// the product, the mask in the form `mask`, the heads merged, the output Linear. Its weights
// come from `weight`.
// Llama's apply_rotary_pos_emb on the head view `x` [1, h, T, d] into `out`: x * cos +
// rotate_half(x) * sin, rotate_half(x) = Concat(Neg(x[..., d/2:]), x[..., :d/2]); `cos`, `sin`
// the tables [T, d] (added once by the caller).
void rotary(OnnxBuilder& b, const std::string& x, const std::string& out) {
  const std::string at = "/attn/rotary_" + x + "/";
  const std::int64_t half = kDecoderHeadWidth / 2;
  b.node("Mul", {x, "cos"}, {out + "_cos"}, at + "Mul");
  b.initializer(x + "_upper_starts", ints_tensor({half})).initializer(x + "_upper_ends", ints_tensor({kDecoderHeadWidth}));
  b.initializer(x + "_lower_starts", ints_tensor({0})).initializer(x + "_lower_ends", ints_tensor({half}));
  b.initializer(x + "_axes", ints_tensor({3}));
  b.node("Slice", {x, x + "_upper_starts", x + "_upper_ends", x + "_axes"}, {out + "_upper"}, at + "Slice");
  b.node("Neg", {out + "_upper"}, {out + "_negated"}, at + "Neg");
  b.node("Slice", {x, x + "_lower_starts", x + "_lower_ends", x + "_axes"}, {out + "_lower"}, at + "Slice_1");
  set_attr(b.node("Concat", {out + "_negated", out + "_lower"}, {out + "_rotated"}, at + "Concat"), "axis",
           std::int64_t{-1});
  b.node("Mul", {out + "_rotated", "sin"}, {out + "_sin"}, at + "Mul_1");
  b.node("Add", {out + "_cos", out + "_sin"}, {out}, at + "Add");
}

template <typename Weight>
void causal_attention(OnnxBuilder& b, Weight& weight, const std::string& in, const std::string& out, DecoderMask mask,
                      bool biases, bool rotary_embeddings = false) {
  constexpr std::int64_t c = kDecoderWidth, heads = kDecoderHeads, d = kDecoderHeadWidth, t = kDecoderTokens;
  weight("qkv_w", {c, 3 * c});
  weight("o_w", {c, c});
  if (biases) {
    weight("qkv_b", {3 * c});
    weight("o_b", {c});
  }
  b.initializer("split", ints_tensor({c, c, c}));
  b.initializer("heads_shape", ints_tensor({1, t, heads, d}));
  b.initializer("merged_shape", ints_tensor({1, t, c}));
  b.initializer("scale", Tensor::scalar<float>(0.5f));  // 1 / sqrt(d)
  const float minus_inf = -std::numeric_limits<float>::infinity();
  b.initializer("fill", Tensor::scalar<float>(minus_inf));
  Tensor condition(DType::Bool, {1, 1, t, t});
  Tensor triangle(DType::F32, {t, t});
  for (std::int64_t i = 0; i < t; ++i) {
    for (std::int64_t j = 0; j < t; ++j) {
      const bool future = j > i;
      condition.data<bool>()[i * t + j] = mask == DecoderMask::WhereKeep ? !future
                                          : mask == DecoderMask::NotCausal ? i == j
                                                                           : future;
      triangle.data<float>()[i * t + j] = future ? -1e4f : 0.0f;
    }
  }
  b.initializer("mask", condition);
  b.initializer("triangle", triangle);

  b.node("MatMul", {in, "qkv_w"}, {biases ? "qkv0" : "qkv"}, "/attn/c_attn/MatMul");
  if (biases) b.node("Add", {"qkv_b", "qkv0"}, {"qkv"}, "/attn/c_attn/Add");
  set_attr(b.node("Split", {"qkv", "split"}, {"q0", "k0", "v0"}, "/attn/Split"), "axis", std::int64_t{2});
  for (const std::string x : {"q", "k", "v"}) b.node("Reshape", {x + "0", "heads_shape"}, {x + "1"}, "/attn/Reshape_" + x);
  perm(b.node("Transpose", {"v1"}, {"v"}, "/attn/Transpose_v"), {0, 2, 1, 3});
  if (rotary_embeddings) {
    Tensor cos(DType::F32, {t, d}), sin(DType::F32, {t, d});
    for (std::int64_t p = 0; p < t; ++p) {
      for (std::int64_t f = 0; f < d; ++f) {
        const double angle = static_cast<double>(p) / std::pow(10000.0, static_cast<double>(2 * (f % (d / 2))) / d);
        cos.data<float>()[p * d + f] = static_cast<float>(std::cos(angle));
        sin.data<float>()[p * d + f] = static_cast<float>(std::sin(angle));
      }
    }
    b.initializer("cos", cos).initializer("sin", sin);
    perm(b.node("Transpose", {"q1"}, {"q0h"}, "/attn/Transpose_q"), {0, 2, 1, 3});
    perm(b.node("Transpose", {"k1"}, {"k0h"}, "/attn/Transpose_k"), {0, 2, 1, 3});
    rotary(b, "q0h", "q");
    rotary(b, "k0h", "k");
    perm(b.node("Transpose", {"k"}, {"kt"}, "/attn/Transpose_kt"), {0, 1, 3, 2});
  } else {
    perm(b.node("Transpose", {"q1"}, {"q"}, "/attn/Transpose_q"), {0, 2, 1, 3});
    perm(b.node("Transpose", {"k1"}, {"kt"}, "/attn/Transpose_k"), {0, 2, 3, 1});
  }
  b.node("MatMul", {"q", "kt"}, {"scores0"}, "/attn/MatMul");
  b.node("Mul", {"scores0", "scale"}, {"scores"}, "/attn/Mul");
  switch (mask) {
    case DecoderMask::MaskedFill:
    case DecoderMask::NotCausal: b.node("Where", {"mask", "fill", "scores"}, {"masked"}, "/attn/Where"); break;
    case DecoderMask::SharedMaskedFill:
      b.node("Identity", {"mask"}, {"shared_mask"}, "/attn/Identity");
      b.node("Where", {"shared_mask", "fill", "scores"}, {"masked"}, "/attn/Where");
      break;
    case DecoderMask::WhereKeep: b.node("Where", {"mask", "scores", "fill"}, {"masked"}, "/attn/Where"); break;
    case DecoderMask::AddTriangle: b.node("Add", {"scores", "triangle"}, {"masked"}, "/attn/Add"); break;
  }
  set_attr(b.node("Softmax", {"masked"}, {"probs"}, "/attn/Softmax"), "axis", std::int64_t{-1});
  b.node("MatMul", {"probs", "v"}, {"context"}, "/attn/MatMul_1");
  perm(b.node("Transpose", {"context"}, {"context_t"}, "/attn/Transpose_out"), {0, 2, 1, 3});
  b.node("Reshape", {"context_t", "merged_shape"}, {"merged"}, "/attn/Reshape_out");
  b.node("MatMul", {"merged", "o_w"}, {biases ? "o0" : out}, "/attn/c_proj/MatMul");
  if (biases) b.node("Add", {"o_b", "o0"}, {out}, "/attn/c_proj/Add");
}

// Llama's RMSNorm as torch 1.13 exports x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
// * weight: Pow, ReduceMean, Add, Sqrt, Div(1, .), Mul, Mul.
void rms_norm(OnnxBuilder& b, const std::string& in, const std::string& name, const std::string& out) {
  const std::string at = "/" + name + "/";
  b.node("Pow", {in, "two"}, {name + "_squared"}, at + "Pow");
  set_attr(b.node("ReduceMean", {name + "_squared"}, {name + "_ms"}, at + "ReduceMean"), "axes", std::vector<std::int64_t>{-1});
  b.node("Add", {name + "_ms", "rms_eps"}, {name + "_shifted"}, at + "Add");
  b.node("Sqrt", {name + "_shifted"}, {name + "_root"}, at + "Sqrt");
  b.node("Div", {"one", name + "_root"}, {name + "_inverse"}, at + "Div");
  b.node("Mul", {in, name + "_inverse"}, {name + "_normalized"}, at + "Mul");
  b.node("Mul", {name + "_normalized", name + "_weight"}, {out}, at + "Mul_1");
}

// A decoder block's end from the attention's probabilities [1, h, T, S] and values [1, h, S, d]:
// the context, its heads merged by transpose and view ("merged_shape"), the out-projection
// (`projection`, weights "o_w") to "attn", the residual Add to "h1" and a Linear to "logits".
void attention_to_logits(OnnxBuilder& b, const std::string& probs, const std::string& values,
                         const std::string& projection) {
  b.node("MatMul", {probs, values}, {"context"}, "/attn/MatMul_1");
  perm(b.node("Transpose", {"context"}, {"context_t"}, "/attn/Transpose_out"), {0, 2, 1, 3});
  b.node("Reshape", {"context_t", "merged_shape"}, {"merged"}, "/attn/Reshape_out");
  b.node("MatMul", {"merged", "o_w"}, {"attn"}, projection);
  b.node("Add", {"h", "attn"}, {"h1"}, "/Add");
  b.node("MatMul", {"h1", "output_w"}, {"logits"}, "/output/MatMul");
}

}  // namespace

OnnxBuilder tiny_gpt(std::int64_t vocabulary, DecoderMask mask) {
  constexpr std::int64_t c = kDecoderWidth, t = kDecoderTokens, logits = kDecoderLogits;
  OnnxBuilder b(14);
  std::uint32_t seed = 301;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  b.input("ids", {1, t}, onnx::TensorProto::INT64).output("logits");
  weight("table", {vocabulary, c});
  weight("ln_gamma", {c});
  weight("ln_beta", {c});
  weight("head_w", {c, logits});
  weight("head_b", {logits});
  b.node("Gather", {"table", "ids"}, {"x"}, "/wte/Gather");
  layer_norm(b, "x", "ln", "n", 1e-5f);
  causal_attention(b, weight, "n", "o", mask, true);
  b.node("Add", {"x", "o"}, {"r"}, "/Add");
  b.node("MatMul", {"r", "head_w"}, {"h0"}, "/lm_head/MatMul");
  b.node("Add", {"head_b", "h0"}, {"logits"}, "/lm_head/Add");
  return b;
}

OnnxBuilder tiny_llama(std::int64_t vocabulary, bool rotary_embeddings) {
  constexpr std::int64_t c = kDecoderWidth, t = kDecoderTokens, logits = kDecoderLogits, hidden = 16;
  OnnxBuilder b(14);
  std::uint32_t seed = 401;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  b.input("ids", {1, t}, onnx::TensorProto::INT64).output("logits");
  weight("table", {vocabulary, c});
  for (const std::string norm : {"attention_norm", "ffn_norm", "norm"}) {
    Tensor gains = test::random_tensor({c}, seed++);  // Llama's norm weights: gains near 1
    for (std::int64_t i = 0; i < c; ++i) gains.data<float>()[i] = 1.0f + 0.25f * gains.data<float>()[i];
    b.initializer(norm + "_weight", gains);
  }
  weight("w1", {c, hidden});
  weight("w3", {c, hidden});
  weight("w2", {hidden, c});
  weight("output_w", {c, logits});
  b.initializer("two", Tensor::scalar<float>(2.0f));
  b.initializer("one", Tensor::scalar<float>(1.0f));
  b.initializer("rms_eps", Tensor::scalar<float>(1e-5f));

  b.node("Gather", {"table", "ids"}, {"h"}, "/tok_embeddings/Gather");
  rms_norm(b, "h", "attention_norm", "n1");
  causal_attention(b, weight, "n1", "attn", DecoderMask::MaskedFill, false, rotary_embeddings);
  b.node("Add", {"h", "attn"}, {"h1"}, "/Add");
  rms_norm(b, "h1", "ffn_norm", "n2");
  // SwiGLU: w2(silu(w1(x)) * w3(x)), silu as torch exports F.silu: x * Sigmoid(x).
  b.node("MatMul", {"n2", "w1"}, {"gate"}, "/feed_forward/w1/MatMul");
  b.node("Sigmoid", {"gate"}, {"gate_sigmoid"}, "/feed_forward/Sigmoid");
  b.node("Mul", {"gate", "gate_sigmoid"}, {"gate_silu"}, "/feed_forward/Mul");
  b.node("MatMul", {"n2", "w3"}, {"up"}, "/feed_forward/w3/MatMul");
  b.node("Mul", {"gate_silu", "up"}, {"gated"}, "/feed_forward/Mul_1");
  b.node("MatMul", {"gated", "w2"}, {"down"}, "/feed_forward/w2/MatMul");
  b.node("Add", {"h1", "down"}, {"h2"}, "/Add_1");
  rms_norm(b, "h2", "norm", "final");
  b.node("MatMul", {"final", "output_w"}, {"logits"}, "/output/MatMul");
  return b;
}

OnnxBuilder tiny_llama_decode(std::int64_t vocabulary, std::int64_t past, bool heads_cache) {
  constexpr std::int64_t c = kDecoderWidth, heads = kDecoderHeads, d = kDecoderHeadWidth, logits = kDecoderLogits;
  const std::int64_t keys = past + 1;
  OnnxBuilder b(14);
  std::uint32_t seed = 501;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  const Shape cache = heads_cache ? Shape{1, heads, past, d} : Shape{1, past, c};
  b.input("ids", {1, 1}, onnx::TensorProto::INT64).input("past_k", cache).input("past_v", cache);
  b.output("logits").output("present_k").output("present_v");
  weight("table", {vocabulary, c});
  Tensor gains = test::random_tensor({c}, seed++);
  for (std::int64_t i = 0; i < c; ++i) gains.data<float>()[i] = 1.0f + 0.25f * gains.data<float>()[i];
  b.initializer("attention_norm_weight", gains);
  weight("qkv_w", {c, 3 * c});
  weight("o_w", {c, c});
  weight("output_w", {c, logits});
  b.initializer("two", Tensor::scalar<float>(2.0f));
  b.initializer("one", Tensor::scalar<float>(1.0f));
  b.initializer("rms_eps", Tensor::scalar<float>(1e-5f));
  b.initializer("split", ints_tensor({c, c, c}));
  b.initializer("query_heads", ints_tensor({1, 1, heads, d}));
  b.initializer("key_heads", ints_tensor({1, keys, heads, d}));
  b.initializer("merged_shape", ints_tensor({1, 1, c}));
  b.initializer("scale", Tensor::scalar<float>(0.5f));  // 1 / sqrt(d)

  b.node("Gather", {"table", "ids"}, {"h"}, "/tok_embeddings/Gather");
  rms_norm(b, "h", "attention_norm", "n1");
  b.node("MatMul", {"n1", "qkv_w"}, {"qkv"}, "/attn/c_attn/MatMul");
  set_attr(b.node("Split", {"qkv", "split"}, {"q0", "k0", "v0"}, "/attn/Split"), "axis", std::int64_t{2});
  b.node("Reshape", {"q0", "query_heads"}, {"q1"}, "/attn/Reshape_q");
  perm(b.node("Transpose", {"q1"}, {"q"}, "/attn/Transpose_q"), {0, 2, 1, 3});
  if (heads_cache) {
    // Hugging Face's cache [1, h, P, d]: the new token's heads [1, h, 1, d] appended along the
    // tokens after the split, torch.cat([past_k, k], dim=2).
    b.node("Reshape", {"k0", "query_heads"}, {"k1"}, "/attn/Reshape_k");
    b.node("Reshape", {"v0", "query_heads"}, {"v1"}, "/attn/Reshape_v");
    perm(b.node("Transpose", {"k1"}, {"k_heads"}, "/attn/Transpose_k"), {0, 2, 1, 3});
    perm(b.node("Transpose", {"v1"}, {"v_heads"}, "/attn/Transpose_v"), {0, 2, 1, 3});
    set_attr(b.node("Concat", {"past_k", "k_heads"}, {"present_k"}, "/attn/Concat"), "axis", std::int64_t{2});
    set_attr(b.node("Concat", {"past_v", "v_heads"}, {"present_v"}, "/attn/Concat_1"), "axis", std::int64_t{2});
    perm(b.node("Transpose", {"present_k"}, {"kt"}, "/attn/Transpose_kt"), {0, 1, 3, 2});
    b.node("Identity", {"present_v"}, {"v"}, "/attn/Identity_v");
  } else {
    // The cache in the tokens' layout, before the heads are split: torch.cat([past_k, k], dim=1).
    set_attr(b.node("Concat", {"past_k", "k0"}, {"present_k"}, "/attn/Concat"), "axis", std::int64_t{1});
    set_attr(b.node("Concat", {"past_v", "v0"}, {"present_v"}, "/attn/Concat_1"), "axis", std::int64_t{1});
    b.node("Reshape", {"present_k", "key_heads"}, {"k1"}, "/attn/Reshape_k");
    b.node("Reshape", {"present_v", "key_heads"}, {"v1"}, "/attn/Reshape_v");
    perm(b.node("Transpose", {"k1"}, {"kt"}, "/attn/Transpose_k"), {0, 2, 3, 1});
    perm(b.node("Transpose", {"v1"}, {"v"}, "/attn/Transpose_v"), {0, 2, 1, 3});
  }
  b.node("MatMul", {"q", "kt"}, {"scores0"}, "/attn/MatMul");
  b.node("Mul", {"scores0", "scale"}, {"scores"}, "/attn/Mul");
  // One query sees every key: a decode step has no mask.
  set_attr(b.node("Softmax", {"scores"}, {"probs"}, "/attn/Softmax"), "axis", std::int64_t{-1});
  attention_to_logits(b, "probs", "v", "/attn/c_proj/MatMul");
  return b;
}

OnnxBuilder tiny_gqa(std::int64_t vocabulary, bool repeat_kv) {
  constexpr std::int64_t c = kDecoderWidth, heads = kDecoderHeads, d = kDecoderHeadWidth, t = kDecoderTokens,
                         logits = kDecoderLogits;
  OnnxBuilder b(14);
  std::uint32_t seed = 601;
  auto weight = [&](const std::string& name, const Shape& shape) { b.initializer(name, test::random_tensor(shape, seed++)); };
  b.input("ids", {1, t}, onnx::TensorProto::INT64).output("logits");
  weight("table", {vocabulary, c});
  weight("q_w", {c, c});
  weight("k_w", {c, d});
  weight("v_w", {c, d});
  weight("o_w", {c, c});
  weight("output_w", {c, logits});
  b.initializer("query_heads", ints_tensor({1, t, heads, d}));
  b.initializer("key_heads", ints_tensor({1, t, 1, d}));
  b.initializer("group_axis", ints_tensor({2}));
  b.initializer("expanded", ints_tensor({1, 1, heads, t, d}));
  b.initializer("repeated", ints_tensor({1, heads, t, d}));
  b.initializer("merged_shape", ints_tensor({1, t, c}));
  b.initializer("scale", Tensor::scalar<float>(0.5f));  // 1 / sqrt(d)
  Tensor triangle(DType::F32, {t, t});
  for (std::int64_t i = 0; i < t; ++i) {
    for (std::int64_t j = 0; j < t; ++j) {
      triangle.data<float>()[i * t + j] = j > i ? -std::numeric_limits<float>::infinity() : 0.0f;
    }
  }
  b.initializer("triangle", triangle);

  b.node("Gather", {"table", "ids"}, {"h"}, "/tok_embeddings/Gather");
  b.node("MatMul", {"h", "q_w"}, {"q0"}, "/attn/q_proj/MatMul");
  b.node("Reshape", {"q0", "query_heads"}, {"q1"}, "/attn/Reshape_q");
  perm(b.node("Transpose", {"q1"}, {"q"}, "/attn/Transpose_q"), {0, 2, 1, 3});
  for (const std::string x : {"k", "v"}) {
    // repeat_kv: x[:, :, None].expand(1, 1, 2, T, d).reshape(1, 2, T, d).
    b.node("MatMul", {"h", x + "_w"}, {x + "0"}, "/attn/" + x + "_proj/MatMul");
    b.node("Reshape", {x + "0", "key_heads"}, {x + "1"}, "/attn/Reshape_" + x);
    perm(b.node("Transpose", {x + "1"}, {x + "_group"}, "/attn/Transpose_" + x), {0, 2, 1, 3});
    if (repeat_kv) {
      b.node("Unsqueeze", {x + "_group", "group_axis"}, {x + "_unsqueezed"}, "/attn/repeat_" + x + "/Unsqueeze");
      b.node("Expand", {x + "_unsqueezed", "expanded"}, {x + "_expanded"}, "/attn/repeat_" + x + "/Expand");
      b.node("Reshape", {x + "_expanded", "repeated"}, {x + "_heads"}, "/attn/repeat_" + x + "/Reshape");
    } else {
      b.node("Expand", {x + "_group", "repeated"}, {x + "_heads"}, "/attn/repeat_" + x + "/Expand");
    }
  }
  perm(b.node("Transpose", {"k_heads"}, {"kt"}, "/attn/Transpose_kt"), {0, 1, 3, 2});
  b.node("MatMul", {"q", "kt"}, {"scores0"}, "/attn/MatMul");
  b.node("Mul", {"scores0", "scale"}, {"scores1"}, "/attn/Mul");
  // The scores' shape read off themselves, as exports with dynamic axes write views: unknown
  // until fold-constants folds the Shape.
  b.node("Shape", {"scores1"}, {"scores_shape"}, "/attn/Shape");
  b.node("Reshape", {"scores1", "scores_shape"}, {"scores"}, "/attn/Reshape_scores");
  b.node("Add", {"scores", "triangle"}, {"masked"}, "/attn/Add");
  set_attr(b.node("Softmax", {"masked"}, {"probs"}, "/attn/Softmax"), "axis", std::int64_t{-1});
  attention_to_logits(b, "probs", "v_heads", "/attn/o_proj/MatMul");
  return b;
}

OnnxBuilder heads_cache_tokens() {
  constexpr std::int64_t c = kDecoderWidth, heads = kDecoderHeads, d = kDecoderHeadWidth, logits = kDecoderLogits;
  constexpr std::int64_t past = 5, fresh = 2;
  OnnxBuilder b(14);
  b.input("emb", {1, fresh, c}).input("past_k", {1, heads, past, d});
  b.output("logits").output("present_k");
  b.initializer("k_w", test::random_tensor({c, c}, 471));
  b.initializer("output_w", test::random_tensor({c, logits}, 472));
  b.initializer("key_heads", ints_tensor({1, fresh, heads, d}));
  b.node("MatMul", {"emb", "k_w"}, {"k0"}, "/attn/k_proj/MatMul");
  b.node("Reshape", {"k0", "key_heads"}, {"k1"}, "/attn/Reshape_k");
  perm(b.node("Transpose", {"k1"}, {"k"}, "/attn/Transpose_k"), {0, 2, 1, 3});
  set_attr(b.node("Concat", {"past_k", "k"}, {"present_k"}, "/attn/Concat"), "axis", std::int64_t{2});
  b.node("MatMul", {"emb", "output_w"}, {"logits"}, "/output/MatMul");
  return b;
}

OnnxBuilder rms_tokens() {
  constexpr std::int64_t c = kDecoderWidth, t = kDecoderTokens, logits = kDecoderLogits;
  OnnxBuilder b(14);
  b.input("emb", {1, t, c}).output("y");
  Tensor gains = test::random_tensor({c}, 451);
  for (std::int64_t i = 0; i < c; ++i) gains.data<float>()[i] = 1.0f + 0.25f * gains.data<float>()[i];
  b.initializer("norm_weight", gains);
  b.initializer("w", test::random_tensor({c, logits}, 452));
  b.initializer("two", Tensor::scalar<float>(2.0f));
  b.initializer("one", Tensor::scalar<float>(1.0f));
  b.initializer("rms_eps", Tensor::scalar<float>(1e-5f));
  rms_norm(b, "emb", "norm", "normed");
  b.node("MatMul", {"normed", "w"}, {"y"}, "/output/MatMul");
  return b;
}

std::size_t lines_containing(const std::vector<std::string>& lines, const std::string& what) {
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(what) != std::string::npos; }));
}

}  // namespace wb::test
