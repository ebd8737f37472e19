// The rewriter's walk and its rewiring (compiler/passes/token_layout/rewriter.cpp): a token value
// no rule knows is written back in its layout, a network without tokens is left alone, and whole
// exported transformers keep their outputs after the default pipeline.
#include "compiler/passes/tokens_as_image.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"
#include "tests/support/swin_models.h"
#include "tests/support/transformer_models.h"
#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

namespace wb {
namespace {

using test::count_matmuls_of_activations;
using test::after_default_pipeline;
using test::PipelinedWorkload;
using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;
using test::tiny_vit;

TEST(TokenRewriter, AfterTheDefaultPipelineOnlyTheHeadViewsAndLayerNormViewsTranspose) {
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

TEST(TokenRewriter, TokensReadByAnUnknownOpAreWrittenBackInTheirLayout) {
  // The encoder's output is also a graph output: it is written again as [1, T, C].
  const auto out = test::run_pass(tiny_vit(true), "tokens-as-image");
  ASSERT_TRUE(out.changed);
  EXPECT_EQ(out.stats.counters().at("token values read back in their layout"), 1);
  const Value* encoded = out.after.find_value("encoded");
  ASSERT_NE(encoded, nullptr);
  EXPECT_EQ(encoded->shape, (Shape{1, 5, 8}));
  test::expect_same_outputs(out.before, out.after);
}

// torchvision's VisionTransformer as exported (workloads/tiny_vit, opset 13: LayerNorm as its
// arithmetic, the class token through Expand): after the default pipeline every Linear is a
// Conv, the output is torch's.
TEST(TokenRewriter, TorchvisionsVisionTransformerKeepsItsOutput) {
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
TEST(TokenRewriter, TorchsEncoderOnFloatEmbeddingsKeepsItsOutput) {
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

TEST(TokenRewriter, AConvolutionalNetworkIsLeftAlone) {
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

// torchvision's SwinTransformer as exported (workloads/tiny_swin, opset 13): after the default
// pipeline each stage runs on its image: every Linear is a Conv, every LayerNorm the NHWC view,
// each block's roll and window partition one gather of pixels, its window reverse and roll back
// another, and each of patch merging's four strided picks one; the output is torch's.
TEST(TokenRewriter, TorchvisionsSwinTransformerRunsItsStagesOnImages) {
  const PipelinedWorkload swin = after_default_pipeline("tiny_swin");
  for (const Node* ln : swin.layernorms) EXPECT_EQ(ln->input(0)->producer->op, OpKind::Transpose) << ln->name;
  EXPECT_EQ(swin.convs, 1u + 4u * 4u + 1u + 1u);  // patches, 4 Linears a block, patch merging, the head
  EXPECT_EQ(swin.matmuls, 4u * 2u);               // Q.K^T and A.V of each block
  EXPECT_EQ(swin.layernorms.size(), 1u + 4u * 2u + 1u + 1u);
  EXPECT_EQ(count_pixel_gathers(swin.graph), 4u * 2u + 4u);
  EXPECT_LT(swin.error, 1e-5);
}

}  // namespace
}  // namespace wb
