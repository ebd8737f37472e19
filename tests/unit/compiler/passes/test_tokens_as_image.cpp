#include "compiler/passes/tokens_as_image.h"

#include <cmath>

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/frontend/tensor_proto.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/ir/printer.h"
#include "compiler/passes/pass_manager.h"
#include "tests/support/detection_models.h"
#include "tests/support/pass_testing.h"
#include "tests/support/swin_models.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"
#include "tests/support/transformer_models.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;
using test::tiny_vit;

Tensor ints_tensor(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }


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
  EXPECT_EQ(counters.at("token gathers as one pixel"), 1);
  EXPECT_EQ(counters.count("token values read back in their layout"), 0u);
  // What is left of the float attention: its two products and the softmax over keys.
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 5u);
  const Node* fc1 = out.after.find_node("/mlp/MatMul");
  ASSERT_NE(fc1, nullptr);
  EXPECT_EQ(fc1->op, OpKind::Conv);
  EXPECT_EQ(fc1->output(0)->shape, (Shape{1, 16, 1, 5}));
  const Node* ln = out.after.find_node("/ln2/LayerNormalization");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose);
  EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 5, 8}));
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
  EXPECT_EQ(encoded->shape, (Shape{1, 5, 8}));
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

// A checked-in workload after the default pipeline: its graph, its node counts, and its float
// output's error against torch's (relative to the peak) on the workload's input.
struct PipelinedWorkload {
  Graph graph;
  std::size_t convs = 0, matmuls = 0;
  std::vector<const Node*> layernorms;
  double error = 0;
};

PipelinedWorkload after_default_pipeline(const std::string& name) {
  PipelinedWorkload w;
  w.graph = import_onnx_file(test::workloads_dir() / (name + ".onnx")).graph;
  const Tensor input = read_tensor_file(test::workloads_dir() / (name + ".input.npy"));
  const Tensor expected = read_tensor_file(test::workloads_dir() / (name + ".output.npy"));
  PassManager::from_pipeline(kDefaultPipeline).run(w.graph);
  for (const Node* node : w.graph.nodes()) {
    w.convs += node->op == OpKind::Conv;
    w.matmuls += node->op == OpKind::MatMul;
    if (node->op == OpKind::LayerNormalization) w.layernorms.push_back(node);
  }
  w.error = test::max_error_relative_to_peak(ReferenceExecutor(w.graph).run({input})[0], expected);
  return w;
}

// torchvision's VisionTransformer as exported (workloads/tiny_vit, opset 13: LayerNorm as its
// arithmetic, the class token through Expand): after the default pipeline every Linear is a
// Conv, the output is torch's.
TEST(TokensAsImage, TorchvisionsVisionTransformerKeepsItsOutput) {
  const PipelinedWorkload vit = after_default_pipeline("tiny_vit");
  for (const Node* ln : vit.layernorms) {
    EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 17, 32})) << ln->name;  // the NHWC view of 32 x 1 x 17
  }
  EXPECT_EQ(vit.convs, 1u + 2u * 4u + 1u);  // patches, 4 Linears a block, the head (gemm-to-conv)
  EXPECT_EQ(vit.matmuls, 2u * 2u);           // Q.K^T and A.V of each block
  EXPECT_EQ(vit.layernorms.size(), 5u);
  EXPECT_LT(vit.error, 1e-5);
}

// torch's TransformerEncoder on float embeddings (workloads/tiny_bert, opset 13, post-LN): after
// the default pipeline the input [1, 16, 32] is read once, as its image; every Linear is a Conv
// on that image, no token value is written back, and the output is torch's.
TEST(TokensAsImage, TorchsEncoderOnFloatEmbeddingsKeepsItsOutput) {
  const PipelinedWorkload bert = after_default_pipeline("tiny_bert");
  const Graph& graph = bert.graph;
  ASSERT_EQ(graph.inputs().size(), 1u);
  EXPECT_EQ(graph.inputs()[0]->shape, (Shape{1, 16, 32}));
  const auto readers = graph.users(graph.inputs()[0]);
  ASSERT_EQ(readers.size(), 1u);
  EXPECT_EQ(readers[0]->op, OpKind::Transpose);
  for (const Node* ln : bert.layernorms) {
    EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 16, 32})) << ln->name;  // the NHWC view of 32 x 1 x 16
  }
  EXPECT_EQ(bert.convs, 2u * 4u + 1u);  // 4 Linears a layer, the head (gemm-to-conv)
  EXPECT_EQ(bert.matmuls, 2u * 2u);     // Q.K^T and A.V of each layer
  EXPECT_EQ(bert.layernorms.size(), 5u);
  EXPECT_LT(bert.error, 1e-5);
}

// Other token reads: a Gather of token 2 (a pixel Slice, not the class token's pool), a Slice of
// tokens 1..3 and of features 2..5, a Concat of features, a Linear after each.
TEST(TokensAsImage, SlicesGathersAndFeatureConcatsStayViewsOfTheImage) {
  OnnxBuilder b(17);
  b.input("x", {1, 4, 2, 2}).output("token2").output("y");
  b.initializer("flat_shape", ints_tensor({1, 4, 4}));
  b.initializer("two", Tensor::scalar<std::int64_t>(2));
  b.initializer("t_start", ints_tensor({1})).initializer("t_end", ints_tensor({3})).initializer("t_axis", ints_tensor({1}));
  b.initializer("f_start", ints_tensor({2})).initializer("f_end", ints_tensor({5})).initializer("f_axis", ints_tensor({-1}));
  b.initializer("w", test::random_tensor({7, 5}, 4));
  b.node("Reshape", {"x", "flat_shape"}, {"flat"});
  set_attr(b.node("Transpose", {"flat"}, {"seq"}), "perm", Ints{0, 2, 1});  // [1, 4 tokens, 4 features]
  set_attr(b.node("Gather", {"seq", "two"}, {"token2"}), "axis", std::int64_t{1});
  b.node("Slice", {"seq", "t_start", "t_end", "t_axis"}, {"middle"});  // [1, 2, 4]
  set_attr(b.node("Concat", {"middle", "middle"}, {"wide"}), "axis", std::int64_t{2});  // [1, 2, 8]
  b.node("Slice", {"wide", "f_start", "f_end", "f_axis"}, {"some"});  // [1, 2, 3]... features 2..4
  b.node("Relu", {"some"}, {"r"});
  set_attr(b.node("Concat", {"r", "some"}, {"six"}), "axis", std::int64_t{-1});  // [1, 2, 6]
  set_attr(b.node("Concat", {"six", "r"}, {"nine"}), "axis", std::int64_t{2});   // [1, 2, 9]
  b.initializer("w9", test::random_tensor({9, 5}, 5));
  b.node("MatMul", {"nine", "w9"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::MaxPool), 0u);  // token 2 is no class token
  // Only the graph output y is written back as [1, 2, 5].
  EXPECT_EQ(out.stats.counters().at("token values read back in their layout"), 1) << to_string(out.after);
  test::expect_same_outputs(out.before, out.after);
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

// A BERT-like encoder's float embeddings: the graph input [1, T, C] read by token ops is a token
// image from the start; every reader runs on the image, nothing is written back.
TEST(TokensAsImage, AGraphInputOfTokensIsReadAsItsImage) {
  OnnxBuilder b(17);
  b.input("emb", {1, 5, 4}).output("y");
  b.initializer("pos", test::random_tensor({1, 5, 4}, 1));
  b.initializer("gamma", test::random_tensor({4}, 2)).initializer("beta", test::random_tensor({4}, 3));
  b.initializer("w", test::random_tensor({4, 6}, 4));
  b.node("Add", {"emb", "pos"}, {"positioned"}, "add");
  set_attr(b.node("LayerNormalization", {"positioned", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  b.node("MatMul", {"normed", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("graph inputs read as images of tokens"), 1);
  EXPECT_EQ(out.stats.counters().at("token Linears as 1x1 convolutions"), 1);
  EXPECT_EQ(out.stats.counters().at("token LayerNorms over the channels"), 1);
  // The graph keeps its input [1, T, C]; its only reader is the view into [1, C, 1, T].
  const Value* emb = out.after.find_value("emb");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (Shape{1, 5, 4}));
  const auto readers = out.after.users(emb);
  ASSERT_EQ(readers.size(), 1u);
  EXPECT_EQ(readers[0]->op, OpKind::Transpose);
  EXPECT_EQ(readers[0]->attrs.get_ints("perm"), (Ints{0, 2, 1}));
  const auto view = out.after.users(readers[0]->output(0));
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0]->op, OpKind::Reshape);
  EXPECT_EQ(view[0]->output(0)->shape, (Shape{1, 4, 1, 5}));
  const Node* add = out.after.find_node("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->output(0)->shape, (Shape{1, 4, 1, 5}));
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// Each token reader alone seeds the image: a MatMul by a constant [C, C'], an Add of a constant
// over the features; torch's [T, 1, C] is the same image.
TEST(TokensAsImage, AnyTokenReaderOfAGraphInputSeedsItsImage) {
  for (const Shape& input : {Shape{1, 6, 4}, Shape{6, 1, 4}}) {
    OnnxBuilder matmul(17);
    matmul.input("emb", input).output("y");
    matmul.initializer("w", test::random_tensor({4, 3}, 5));
    matmul.node("MatMul", {"emb", "w"}, {"y"});
    const auto linear = test::run_pass(matmul, "tokens-as-image");
    EXPECT_EQ(linear.stats.counters().count("graph inputs read as images of tokens"), 1u) << format_shape(input);
    EXPECT_EQ(test::count_op(linear.after, OpKind::Conv), 1u) << format_shape(input);
    test::expect_same_outputs(linear.before, linear.after);

    OnnxBuilder add(17);
    add.input("emb", input).output("y");
    add.initializer("bias", test::random_tensor({4}, 6)).initializer("w", test::random_tensor({4, 3}, 7));
    add.node("Add", {"bias", "emb"}, {"shifted"}, "add");
    add.node("Relu", {"shifted"}, {"r"});
    add.node("MatMul", {"r", "w"}, {"y"});
    const auto shifted = test::run_pass(add, "tokens-as-image");
    EXPECT_EQ(shifted.stats.counters().count("graph inputs read as images of tokens"), 1u) << format_shape(input);
    ASSERT_NE(shifted.after.find_node("add"), nullptr);
    EXPECT_EQ(shifted.after.find_node("add")->output(0)->shape, (Shape{1, 4, 1, 6})) << format_shape(input);
    test::expect_same_outputs(shifted.before, shifted.after);
  }
}

// A Conv1d's input [N, C, L] is read by a Conv (over L, channels C): no token layout. Nor is an
// input whose readers the pass does not know (a Softmax over the last axis): no view is left.
TEST(TokensAsImage, AGraphInputReadByNoTokenOpIsLeftAlone) {
  OnnxBuilder conv1d(17);
  conv1d.input("signal", {1, 4, 10}).output("y");
  conv1d.initializer("w", test::random_tensor({8, 4, 3}, 8)).initializer("b", test::random_tensor({8}, 9));
  conv1d.node("Conv", {"signal", "w", "b"}, {"c"});
  conv1d.node("Relu", {"c"}, {"y"});
  const auto conv = test::run_pass(conv1d, "tokens-as-image");
  EXPECT_FALSE(conv.changed);
  EXPECT_EQ(test::count_op(conv.after, OpKind::Transpose), 0u);
  EXPECT_EQ(conv.after.users(conv.after.find_value("signal")).front()->op, OpKind::Conv);

  OnnxBuilder softmax(17);
  softmax.input("scores", {1, 5, 4}).output("y");
  set_attr(softmax.node("Softmax", {"scores"}, {"y"}), "axis", std::int64_t{-1});
  const auto rows = test::run_pass(softmax, "tokens-as-image");
  EXPECT_FALSE(rows.changed);
  EXPECT_EQ(rows.after.node_count(), 1u);
}

}  // namespace
}  // namespace wb

namespace wb {
namespace {

// SSD's and RetinaNet's heads: each level's conv [1, A K, H, W] read as H W A tokens of K
// features (stored HWC, the conv's own bytes), the levels concatenated along the tokens; the
// output [1, T, K] read back from the concat's image.
TEST(TokensAsImage, DetectionHeadsReadTheirConvsPixelsAsTokens) {
  for (const auto layout : {test::HeadLayout::Ssd, test::HeadLayout::Flattened}) {
    const auto out = test::run_pass(test::detection_heads(layout), "tokens-as-image");
    ASSERT_TRUE(out.changed);
    EXPECT_EQ(out.stats.counters().at("image pixels read as tokens"), 2);
    const Node* concat = out.after.find_node("/boxes/Concat");
    ASSERT_NE(concat, nullptr);
    EXPECT_EQ(concat->attrs.get_int("axis", 0), 3);
    EXPECT_EQ(concat->output(0)->shape, (Shape{1, 3, 1, 160}));
    EXPECT_EQ(concat->input(0)->shape, (Shape{1, 3, 1, 128}));
    const Value* boxes = out.after.find_value("boxes");
    ASSERT_NE(boxes, nullptr);
    EXPECT_EQ(boxes->shape, (Shape{1, 160, 3}));
    EXPECT_EQ(boxes->producer->op, OpKind::Reshape);
    EXPECT_EQ(boxes->producer->input(0)->producer->attrs.get_ints("perm"), (Ints{0, 2, 3, 1}));
    EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 5u) << "two views of two, the output's";
    test::expect_same_outputs(out.before, out.after);
  }
}

// A chain that does not read the conv in HWC order (the anchors innermost: K, A swapped) is
// not its bytes: the pass leaves it.
TEST(TokensAsImage, AHeadReadInAnotherOrderIsLeftAlone) {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 3, 3}).output("y");
  b.initializer("w", test::random_tensor({6, 4, 1, 1}, 3));
  b.node("Conv", {"x", "w"}, {"c"});
  b.initializer("split", ints_tensor({1, 2, 3, 3, 3})).initializer("tokens", ints_tensor({1, 18, 3}));
  b.node("Reshape", {"c", "split"}, {"s"});
  set_attr(b.node("Transpose", {"s"}, {"t"}), "perm", Ints{0, 3, 4, 2, 1});
  b.node("Reshape", {"t", "tokens"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("image pixels read as tokens"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// ---- channels-last stages and moved pixels (Swin) ------------------------------------------

std::size_t count_pixel_gathers(const Graph& g) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == OpKind::Gather && node->attrs.get_int("axis", 0) == 3;
  return n;
}

// tests/support/swin_models: a roll by (-1, -1) as Slices and Concats along H and W, the
// window partition into 2x2 windows [4, 4, C], a Linear on the windows (and the way back).
TEST(TokensAsImage, ARollAndAWindowPartitionAreOneGatherOfPixels) {
  const auto out = test::run_pass(test::shifted_window_block(false), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("channels-last stages computed on images"), 1);
  EXPECT_EQ(out.stats.counters().at("pixel moves as one gather"), 1);
  EXPECT_EQ(count_pixel_gathers(out.after), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Slice), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Concat), 0u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 3u);  // the LayerNorm's NHWC view, the output's layout
  EXPECT_EQ(test::count_op(out.after, OpKind::MatMul), 0u);  // the Linear is a 1x1 Conv on the windows
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, AWindowReverseAndRollBackEndInTheStagesImage) {
  const auto out = test::run_pass(test::shifted_window_block(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  // Into the windows, and back into the stage's pixels: two gathers; the residual Add and the
  // stage's end (Transpose(0, 3, 1, 2)) are the image itself, only the LayerNorm's view transposes.
  EXPECT_EQ(count_pixel_gathers(out.after), 2u) << to_string(out.after);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 2u) << to_string(out.after);
  EXPECT_EQ(out.stats.counters().count("token values read back in their layout"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// q, k and v of Swin's windows (tests/support/swin_models window_attention): each a channel
// slice of the qkv image read as [h, d, nW, L] and transposed to [nW, h, L, d]; the attention
// products read them, the heads' merge writes the windows' tokens back into an image.
TEST(TokensAsImage, WindowHeadsAreChannelSlicesOfTheImage) {
  const auto out = test::run_pass(test::window_attention(), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("window heads split from images"), 3);
  EXPECT_EQ(out.stats.counters().at("attention heads merged into images"), 1);
  EXPECT_EQ(out.stats.counters().count("token values read back in their layout"), 0u);
  std::size_t token_gathers = 0;
  for (const Node* node : out.after.nodes()) token_gathers += node->op == OpKind::Gather && node->attrs.get_int("axis", 0) == 0;
  EXPECT_EQ(token_gathers, 0u) << to_string(out.after);
  EXPECT_EQ(count_matmuls_of_activations(out.after), 2u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, APaddedPixelIsNoMovedPixel) {
  // The padded pixels hold no pixel of the image: the Pad stays, read from the stage in its layout.
  OnnxBuilder b(17);
  b.input("x", {1, 2, 3, 3}).output("y");
  b.initializer("pads", ints_tensor({0, 0, 0, 0, 0, 1, 1, 0}));
  b.initializer("w", test::random_tensor({2, 2}, 5));
  b.initializer("gamma", test::random_tensor({2}, 2)).initializer("beta", test::random_tensor({2}, 3));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"normed"}), "axis", std::int64_t{-1});
  b.node("Relu", {"normed"}, {"r"});
  b.node("Pad", {"r", "pads"}, {"padded"});  // [1, 4, 4, 2]
  b.node("MatMul", {"padded", "w"}, {"y"});
  const auto out = test::run_pass(b, "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::Pad), 1u);
  EXPECT_EQ(count_pixel_gathers(out.after), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, AConvNeXtLayerNorm2dIsLeftInItsForm) {
  // Transpose -> LayerNorm -> Transpose is the quantizer's LayerNorm over the channels already.
  OnnxBuilder b(17);
  b.input("x", {1, 4, 3, 3}).output("y");
  b.initializer("gamma", test::random_tensor({4}, 2)).initializer("beta", test::random_tensor({4}, 3));
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", Ints{0, 2, 3, 1});
  set_attr(b.node("LayerNormalization", {"nhwc", "gamma", "beta"}, {"n"}), "axis", std::int64_t{-1});
  set_attr(b.node("Transpose", {"n"}, {"y"}), "perm", Ints{0, 3, 1, 2});
  const auto out = test::run_pass(b, "tokens-as-image");
  EXPECT_FALSE(out.changed);
}

// torchvision's SwinTransformer as exported (workloads/tiny_swin, opset 13): after the default
// pipeline each stage runs on its image: every Linear is a Conv, every LayerNorm the NHWC view,
// each block's roll and window partition one gather of pixels, its window reverse and roll back
// another, and each of patch merging's four strided picks one; the output is torch's.
TEST(TokensAsImage, TorchvisionsSwinTransformerRunsItsStagesOnImages) {
  const PipelinedWorkload swin = after_default_pipeline("tiny_swin");
  for (const Node* ln : swin.layernorms) EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose) << ln->name;
  EXPECT_EQ(swin.convs, 1u + 4u * 4u + 1u + 1u);  // patches, 4 Linears a block, patch merging, the head
  EXPECT_EQ(swin.matmuls, 4u * 2u);               // Q.K^T and A.V of each block
  EXPECT_EQ(swin.layernorms.size(), 1u + 4u * 2u + 1u + 1u);
  EXPECT_EQ(count_pixel_gathers(swin.graph), 4u * 2u + 4u);
  EXPECT_LT(swin.error, 1e-5);
}

// ml-cvnets' unfold of a [1, 4, 4, 4] map into its 2x2 patches' 4 sets of 4 tokens, a LayerNorm
// over each token's features, and the fold back: one gather of the conv's pixels into the
// sets' image and one back, the same outputs.
OnnxBuilder unfold_layernorm_fold(bool rows_of_pixels) {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 4, 4}).output("y");
  b.initializer("w", test::random_tensor({4, 4, 1, 1}, 5));
  b.node("Conv", {"x", "w"}, {"c"});
  if (rows_of_pixels) {
    b.initializer("s1", ints_tensor({8, 2, 2, 2})).initializer("s2", ints_tensor({1, 4, 4, 4}));
    b.initializer("s3", ints_tensor({4, 4, 4}));
    b.node("Reshape", {"c", "s1"}, {"u1"});
    set_attr(b.node("Transpose", {"u1"}, {"u2"}), "perm", Ints{0, 2, 1, 3});
    b.node("Reshape", {"u2", "s2"}, {"u3"});
    set_attr(b.node("Transpose", {"u3"}, {"u4"}), "perm", Ints{0, 3, 2, 1});
    b.node("Reshape", {"u4", "s3"}, {"sets"});
  } else {
    b.initializer("s3", ints_tensor({4, 4, 4}));
    b.node("Reshape", {"c", "s3"}, {"sets"});  // rows of one channel's pixels: not tokens
  }
  b.initializer("gamma", test::positive_tensor({4}, 6));
  set_attr(b.node("LayerNormalization", {"sets", "gamma"}, {"normed"}), "axis", std::int64_t{-1});
  if (rows_of_pixels) {
    b.initializer("f1", ints_tensor({1, 4, 4, 4})).initializer("f2", ints_tensor({8, 2, 2, 2}));
    b.node("Reshape", {"normed", "f1"}, {"v1"});
    set_attr(b.node("Transpose", {"v1"}, {"v2"}), "perm", Ints{0, 3, 2, 1});
    b.node("Reshape", {"v2", "f2"}, {"v3"});
    set_attr(b.node("Transpose", {"v3"}, {"v4"}), "perm", Ints{0, 2, 1, 3});
    b.node("Reshape", {"v4", "s2"}, {"y"});
  } else {
    b.initializer("back", ints_tensor({1, 4, 4, 4}));
    b.node("Reshape", {"normed", "back"}, {"y"});
  }
  return b;
}

TEST(TokensAsImage, AnUnfoldIntoSetsOfTokensAndTheFoldBackAreGathersOfPixels) {
  const auto out = test::run_pass(unfold_layernorm_fold(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("image pixels regrouped into sets of tokens"), 1);
  EXPECT_EQ(out.stats.counters().at("sets of tokens put back into images"), 1);
  EXPECT_EQ(count_pixel_gathers(out.after), 2u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 2u) << "the LayerNorm's NHWC view alone";
  test::expect_same_outputs(out.before, out.after);
}

TEST(TokensAsImage, SetsWhoseRowsAreNotPixelsAreLeftAlone) {
  const auto out = test::run_pass(unfold_layernorm_fold(false), "tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("image pixels regrouped into sets of tokens"), 0u);
  EXPECT_EQ(count_pixel_gathers(out.after), 0u);
  test::expect_same_outputs(out.before, out.after);
}

// MobileViT's block as exported (workloads/tiny_mobilevit: torch's nn.MultiheadAttention over 4
// sets of 64 tokens, ml-cvnets' unfold and fold): after the default pipeline the unfold is one
// gather of the conv's pixels into the sets' image [1, 24, 1, 256], the fold another back into
// the [1, 24, 16, 16] map; the attention's products are Swin's windowed ones; every Linear is a
// Conv; the output is torch's.
TEST(TokensAsImage, AMobileVitBlockRunsItsSetsOfTokensAsWindowsOfOneImage) {
  const PipelinedWorkload mobilevit = after_default_pipeline("tiny_mobilevit");
  EXPECT_EQ(count_pixel_gathers(mobilevit.graph), 2u);
  EXPECT_EQ(mobilevit.matmuls, 2u);  // Q.K^T and A.V
  EXPECT_EQ(mobilevit.layernorms.size(), 3u);
  for (const Node* ln : mobilevit.layernorms) EXPECT_EQ(ln->input(0)->shape, (Shape{1, 1, 256, 24})) << ln->name;
  // stem, local 3x3 and 1x1, in- and out-projection, two FFN Linears, projection, fusion, head
  EXPECT_EQ(mobilevit.convs, 10u);
  for (const Node* node : mobilevit.graph.nodes()) {
    if (node->op == OpKind::Softmax) {
      EXPECT_EQ(node->input(0)->shape, (Shape{4, 2, 64, 64}));
    }
  }
  EXPECT_LT(mobilevit.error, 1e-5);
}

}  // namespace
}  // namespace wb

namespace wb {
namespace {

// Llama's rotary position embeddings on q and k (tiny_llama with apply_rotary_pos_emb's Slice,
// Neg, Concat, Mul by cos and sin, Add): each becomes a channel Gather of the heads' image and
// two products by constant images, and the model computes what it did.
TEST(TokensAsImageRotary, QAndKRotateOnTheirImagesAndTheOutputIsKept) {
  const auto out = test::run_pass(test::tiny_llama(20, true), "fold-constants,remove-identity,fuse-rmsnorm,tokens-as-image");
  EXPECT_EQ(out.stats.counters().at("rotary embeddings on images"), 2);
  EXPECT_EQ(test::count_op(out.after, OpKind::Neg), 0u) << "the Neg folds into the sine image's signs";
  test::expect_same_outputs(out.before, out.after);
}

// A table that is not the same for every head is no rotary embedding of this form: left as it
// was (the quantizer then names its nodes).
TEST(TokensAsImageRotary, ATablePerHeadIsLeftAlone) {
  test::OnnxBuilder b = test::tiny_llama(20, true);
  for (auto& init : *b.model().mutable_graph()->mutable_initializer()) {
    if (init.name() == "cos") init = tensor_to_proto(test::random_tensor({1, 2, 6, 4}, 9), "cos");
  }
  const auto out = test::run_pass(b, "fold-constants,remove-identity,fuse-rmsnorm,tokens-as-image");
  EXPECT_EQ(out.stats.counters().count("rotary embeddings on images"), 0u);
  test::expect_same_outputs(out.before, out.after);
}

}  // namespace
}  // namespace wb
