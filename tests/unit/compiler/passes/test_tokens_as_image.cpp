#include "compiler/passes/tokens_as_image.h"

#include <cmath>

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_io.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/passes/pass_manager.h"
#include "tests/support/pass_testing.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;

Tensor ints_tensor(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

// torchvision's VisionTransformer as torch.onnx.export writes it, shrunk: 8x8 image, 4x4 patches
// (T = 4 + the class token), C = 6 features, 2 heads of 3, one encoder block, the head on the
// class token. MultiheadAttention works on [T, 1, C] and its out-projection on [T, C].
OnnxBuilder tiny_vit(bool token_output = false) {
  constexpr std::int64_t c = 6, t = 5, heads = 2, d = 3;
  OnnxBuilder b(17);
  b.input("x", {1, 3, 8, 8}).output("y");
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
  weight("in_w", {c, 3 * c});
  weight("in_b", {3 * c});
  weight("out_w", {c, c});  // Gemm with transB = 1: [C', C]
  weight("out_b", {c});
  weight("fc1_w", {c, 2 * c});
  weight("fc1_b", {2 * c});
  weight("fc2_w", {2 * c, c});
  weight("fc2_b", {c});
  weight("head_w", {10, c});
  weight("head_b", {10});
  b.initializer("flat_shape", ints_tensor({1, c, 4}));
  b.initializer("head_shape", ints_tensor({t, heads, d}));
  b.initializer("merged_shape", ints_tensor({t, c}));
  b.initializer("seq_shape", ints_tensor({t, 1, c}));
  b.initializer("sqrt_d", Tensor::scalar<float>(std::sqrt(3.0f)));
  b.initializer("zero", Tensor::scalar<std::int64_t>(0));
  for (int i = 0; i <= 3; ++i) b.initializer("at" + std::to_string(i), ints_tensor({i * c}));
  b.initializer("last_axis", ints_tensor({-1}));

  auto perm = [](auto& node, const Ints& p) { set_attr(node, "perm", p); };
  auto layernorm = [&](const std::string& in, const std::string& name, const std::string& out) {
    auto& n = b.node("LayerNormalization", {in, name + "_gamma", name + "_beta"}, {out}, "/" + name + "/LayerNormalization");
    set_attr(n, "axis", std::int64_t{-1});
    set_attr(n, "epsilon", 1e-6f);
  };
  auto& patch = b.node("Conv", {"x", "patch_w", "patch_b"}, {"patches"}, "/conv_proj/Conv");
  set_attr(patch, "kernel_shape", Ints{4, 4});
  set_attr(patch, "strides", Ints{4, 4});
  b.node("Reshape", {"patches", "flat_shape"}, {"flat"}, "/Reshape");
  perm(b.node("Transpose", {"flat"}, {"seq"}, "/Transpose"), {0, 2, 1});
  set_attr(b.node("Concat", {"cls", "seq"}, {"with_cls"}, "/Concat"), "axis", std::int64_t{1});
  b.node("Add", {"with_cls", "pos"}, {"embedded"}, "/encoder/Add");
  layernorm("embedded", "ln1", "n1");
  perm(b.node("Transpose", {"n1"}, {"tnc"}, "/attn/Transpose"), {1, 0, 2});
  b.node("MatMul", {"tnc", "in_w"}, {"qkv0"}, "/attn/MatMul");
  b.node("Add", {"in_b", "qkv0"}, {"qkv"}, "/attn/Add");
  const char* parts[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    const std::string p = parts[i];
    b.node("Slice", {"qkv", "at" + std::to_string(i), "at" + std::to_string(i + 1), "last_axis"}, {p + "_slice"},
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
  perm(b.node("Transpose", {"projected_seq"}, {"attn_out"}, "/attn/Transpose_1"), {1, 0, 2});
  b.node("Add", {"attn_out", "embedded"}, {"r1"}, "/encoder/Add_1");
  layernorm("r1", "ln2", "n2");
  b.node("MatMul", {"n2", "fc1_w"}, {"h1"}, "/mlp/MatMul");
  b.node("Add", {"h1", "fc1_b"}, {"h1b"}, "/mlp/Add");
  b.node("Gelu", {"h1b"}, {"g"}, "/mlp/Gelu");
  b.node("MatMul", {"g", "fc2_w"}, {"h2"}, "/mlp/MatMul_1");
  b.node("Add", {"h2", "fc2_b"}, {"h2b"}, "/mlp/Add_1");
  b.node("Add", {"r1", "h2b"}, {"encoded"}, "/encoder/Add_2");
  layernorm("encoded", "ln", "final");
  set_attr(b.node("Gather", {"final", "zero"}, {"class_token"}, "/Gather"), "axis", std::int64_t{1});
  set_attr(b.node("Gemm", {"class_token", "head_w", "head_b"}, {"y"}, "/heads/Gemm"), "transB", std::int64_t{1});
  return b;
}

std::size_t count_matmuls_of_activations(const Graph& g) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == OpKind::MatMul && node->constant_input(1) == nullptr;
  return n;
}

TEST(TokensAsImage, AVitBlockRunsOnTheImageOfItsTokens) {
  const auto out = test::run_pass(tiny_vit(), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  const auto& counters = out.stats.counters();
  EXPECT_EQ(counters.at("patch embeddings read as images"), 1);
  EXPECT_EQ(counters.at("token Linears as 1x1 convolutions"), 4);  // in- and out-projection, fc1, fc2
  EXPECT_EQ(counters.at("token LayerNorms over the channels"), 3);
  EXPECT_EQ(counters.at("attention heads split from images"), 3);
  EXPECT_EQ(counters.at("attention heads merged into images"), 1);
  EXPECT_EQ(counters.at("token gathers as pixel slices"), 1);
  EXPECT_EQ(counters.count("token values read back in their layout"), 0u);
  // What is left of the float attention: its two products and the softmax over keys.
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 5u);
  const Node* fc1 = out.after.find_node("/mlp/MatMul");
  ASSERT_NE(fc1, nullptr);
  EXPECT_EQ(fc1->op, OpKind::Conv);
  EXPECT_EQ(fc1->output(0)->shape, (Shape{1, 12, 1, 5}));
  const Node* ln = out.after.find_node("/ln2/LayerNormalization");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose);
  EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 5, 6}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, AfterTheDefaultPipelineOnlyTheHeadViewsAndLayerNormViewsTranspose) {
  const auto out = test::run_pass(tiny_vit(), "default");
  // Three LayerNorm views (two Transposes each); Q and V read the image transposed to
  // [h, T, d], K^T is the image itself; the heads' merge transposes back once.
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 9u);
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  for (const Node* node : out.after.nodes()) {
    if (node->op != OpKind::MatMul) continue;
    EXPECT_EQ(node->output(0)->shape.size(), 3u) << node->name;
  }
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, TokensReadByAnUnknownOpAreWrittenBackInTheirLayout) {
  // The encoder's output is also a graph output: it is written again as [1, T, C].
  const auto out = test::run_pass(tiny_vit(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("token values read back in their layout"), 1);
  const Value* encoded = out.after.find_value("encoded");
  ASSERT_NE(encoded, nullptr);
  EXPECT_EQ(encoded->shape, (Shape{1, 5, 6}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, ATransposeThatSwapsTokensAndFeaturesIsNotAView) {
  // T = C = 4: the Transpose(0, 2, 1) has a token layout's shape but moves the data.
  OnnxBuilder b(17);
  b.input("x", {1, 4, 2, 2}).output("y");
  b.initializer("flat_shape", ints_tensor({1, 4, 4}));
  b.initializer("w", test::random_tensor({4, 4}, 3));
  b.node("Reshape", {"x", "flat_shape"}, {"flat"});
  set_attr(b.node("Transpose", {"flat"}, {"seq"}), "perm", Ints{0, 2, 1});
  set_attr(b.node("Transpose", {"seq"}, {"swapped"}), "perm", Ints{0, 2, 1});
  b.node("MatMul", {"swapped", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  test::expect_same_outputs(out.before, out.after);
}

// torchvision's VisionTransformer as exported (workloads/tiny_vit, opset 13: LayerNorm as its
// arithmetic, the class token through Expand): after the default pipeline every Linear is a
// Conv, the output is torch's.
TEST(TokensAsImage, TorchvisionsVisionTransformerKeepsItsOutput) {
  Graph graph = import_onnx_file(test::workloads_dir() / "tiny_vit.onnx").graph;
  const Tensor input = read_tensor_file(test::workloads_dir() / "tiny_vit.input.npy");
  const Tensor expected = read_tensor_file(test::workloads_dir() / "tiny_vit.output.npy");
  PassManager::from_pipeline(kDefaultPipeline).run(graph);
  std::size_t convs = 0, matmuls = 0, layernorms = 0;
  for (const Node* node : graph.nodes()) {
    convs += node->op == OpKind::Conv;
    matmuls += node->op == OpKind::MatMul;
    if (node->op != OpKind::LayerNormalization) continue;
    ++layernorms;
    EXPECT_EQ(node->input(0)->shape, (Shape{1, 1, 17, 32})) << node->name;  // the NHWC view of 32 x 1 x 17
  }
  EXPECT_EQ(convs, 1u + 2u * 4u + 1u);  // patches, 4 Linears a block, the head (gemm-to-conv)
  EXPECT_EQ(matmuls, 2u * 2u);           // Q.K^T and A.V of each block
  EXPECT_EQ(layernorms, 5u);
  EXPECT_LT(test::max_error_relative_to_peak(ReferenceExecutor(graph).run({input})[0], expected), 1e-5);
}

TEST(TokensAsImage, AConvolutionalNetworkIsLeftAlone) {
  // Conv -> Flatten -> Gemm: a [1, C] row is not a token sequence.
  OnnxBuilder b(17);
  b.input("x", {1, 3, 4, 4}).output("y");
  b.initializer("w", test::random_tensor({8, 3, 3, 3}, 1)).initializer("fc", test::random_tensor({10, 128}, 2));
  set_attr(b.node("Conv", {"x", "w"}, {"c"}), "pads", Ints{1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"});
  set_attr(b.node("Flatten", {"r"}, {"f"}), "axis", std::int64_t{1});
  set_attr(b.node("Gemm", {"f", "fc"}, {"y"}), "transB", std::int64_t{1});
  EXPECT_FALSE(test::run_pass(b, "tokens-as-image").changed);
}

}  // namespace
}  // namespace wb
