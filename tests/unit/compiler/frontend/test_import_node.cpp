// Old operator signatures are rewritten into the opset-17 form; each case imports a model
// written for an old opset and checks the result numerically through the reference executor.

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

std::vector<float> run(const OnnxBuilder& b, const std::vector<Tensor>& inputs) {
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  const Tensor y = ReferenceExecutor(m.graph).run(inputs)[0];
  return {y.span<float>().begin(), y.span<float>().end()};
}

const Tensor kRamp = Tensor::from_vector<float>({1, 1, 2, 3}, {-3, -1, 0, 1, 2, 6});

TEST(ImportNode, ClipBeforeOpset11TakesAttributes) {
  OnnxBuilder b(6);
  b.input("x", {1, 1, 2, 3}).output("y");
  auto& clip = b.node("Clip", {"x"}, {"y"});
  set_attr(clip, "min", 0.0f);
  set_attr(clip, "max", 1.5f);
  EXPECT_EQ(run(b, {kRamp}), (std::vector<float>{0, 0, 0, 1, 1.5f, 1.5f}));
}

TEST(ImportNode, ClipFromOpset11TakesInputs) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 2, 3}).initializer("lo", Tensor::scalar<float>(-1.0f)).output("y");
  b.node("Clip", {"x", "lo", ""}, {"y"});
  EXPECT_EQ(run(b, {kRamp}), (std::vector<float>{-1, -1, 0, 1, 2, 6}));
}

TEST(ImportNode, PadBeforeOpset11TakesAttributes) {
  OnnxBuilder b(9);
  b.input("x", {1, 1, 2, 3}).output("y");
  auto& pad = b.node("Pad", {"x"}, {"y"});
  set_attr(pad, "pads", std::vector<std::int64_t>{0, 0, 0, 1, 0, 0, 0, 0});
  set_attr(pad, "value", 9.0f);
  EXPECT_EQ(run(b, {kRamp}), (std::vector<float>{9, -3, -1, 0, 9, 1, 2, 6}));
}

TEST(ImportNode, PadOpset1UsesPaddings) {
  OnnxBuilder b(1);
  b.input("x", {1, 1, 2, 3}).output("y");
  set_attr(b.node("Pad", {"x"}, {"y"}), "paddings", std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 0, 0});
  EXPECT_EQ(run(b, {kRamp}).size(), 9u);
}

TEST(ImportNode, BatchNormOpset6WithSpatialAndIsTest) {
  OnnxBuilder b(6);
  b.input("x", {1, 2, 1, 2})
      .initializer("s", Tensor::from_vector<float>({2}, {2, 1}))
      .initializer("bias", Tensor::from_vector<float>({2}, {0, 1}))
      .initializer("mean", Tensor::from_vector<float>({2}, {1, 0}))
      .initializer("var", Tensor::from_vector<float>({2}, {4, 1}))
      .output("y");
  auto& bn = b.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"});
  set_attr(bn, "is_test", std::int64_t{1});
  set_attr(bn, "epsilon", 0.0f);
  const auto y = run(b, {Tensor::from_vector<float>({1, 2, 1, 2}, {3, 5, 2, -2})});
  EXPECT_FLOAT_EQ(y[0], 2.0f * (3 - 1) / 2);
  EXPECT_FLOAT_EQ(y[3], -2.0f + 1);
}

TEST(ImportNode, BatchNormPerActivationIsUnsupported) {
  OnnxBuilder b(7);
  b.input("x", {1, 2}).output("y");
  for (const char* n : {"s", "bias", "mean", "var"}) b.initializer(n, Tensor::from_vector<float>({2}, {1, 1}));
  set_attr(b.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"}, "bn"), "spatial", std::int64_t{0});
  EXPECT_THROW(import_onnx_model(b.proto(), std::nullopt), UserError);
}

TEST(ImportNode, LegacySoftmaxFlattensAtAxis) {
  // Opset < 13 with axis=1 on [1,2,2]: softmax over all 4 values, not per row.
  OnnxBuilder b(11);
  b.input("x", {1, 2, 2}).output("y");
  set_attr(b.node("Softmax", {"x"}, {"y"}), "axis", std::int64_t{1});
  const auto y = run(b, {Tensor::from_vector<float>({1, 2, 2}, {0, 0, 0, 0})});
  for (float v : y) EXPECT_FLOAT_EQ(v, 0.25f);
  OnnxBuilder c(13);
  c.input("x", {1, 2, 2}).output("y");
  set_attr(c.node("Softmax", {"x"}, {"y"}), "axis", std::int64_t{1});
  for (float v : run(c, {Tensor::from_vector<float>({1, 2, 2}, {0, 0, 0, 0})})) EXPECT_FLOAT_EQ(v, 0.5f);
}

TEST(ImportNode, LegacyBroadcastAlignsAtAxis) {
  OnnxBuilder b(6);
  b.input("x", {1, 2, 1, 2}).initializer("c", Tensor::from_vector<float>({2}, {10, 20})).output("y");
  auto& add = b.node("Add", {"x", "c"}, {"y"});
  set_attr(add, "broadcast", std::int64_t{1});
  set_attr(add, "axis", std::int64_t{1});
  EXPECT_EQ(run(b, {Tensor::from_vector<float>({1, 2, 1, 2}, {1, 2, 3, 4})}), (std::vector<float>{11, 12, 23, 24}));
}

TEST(ImportNode, UpsampleOpset7TakesScalesAttribute) {
  OnnxBuilder b(7);
  b.input("x", {1, 1, 1, 2}).output("y");
  set_attr(b.node("Upsample", {"x"}, {"y"}), "scales", std::vector<float>{1, 1, 2, 2});
  EXPECT_EQ(run(b, {Tensor::from_vector<float>({1, 1, 1, 2}, {1, 2})}), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(ImportNode, Resize10IsNearestWithAsymmetricCoordinates) {
  OnnxBuilder b(10);
  b.input("x", {1, 1, 1, 2}).initializer("scales", Tensor::from_vector<float>({4}, {1, 1, 1, 3})).output("y");
  b.node("Resize", {"x", "scales"}, {"y"});
  EXPECT_EQ(run(b, {Tensor::from_vector<float>({1, 1, 1, 2}, {1, 2})}), (std::vector<float>{1, 1, 1, 2, 2, 2}));
}

TEST(ImportNode, ReshapeOpset1TakesShapeAttribute) {
  OnnxBuilder b(1);
  b.input("x", {2, 3}).output("y");
  set_attr(b.node("Reshape", {"x"}, {"y"}), "shape", std::vector<std::int64_t>{3, 2});
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{3, 2}));
}

TEST(ImportNode, DropoutKeepsOnlyWhatIsUsed) {
  OnnxBuilder b(7);
  b.input("x", {1, 4}).output("y");
  auto& d = b.node("Dropout", {"x"}, {"y", "mask"});
  set_attr(d, "ratio", 0.5f);
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_EQ(m.graph.find_node("Dropout_0")->outputs.size(), 1u);
  EXPECT_FALSE(m.graph.find_node("Dropout_0")->attrs.has("ratio"));
}

TEST(ImportNode, MaxPoolIndicesInUseAreUnsupported) {
  OnnxBuilder b(12);
  b.input("x", {1, 1, 4, 4}).output("y").output("idx");
  set_attr(b.node("MaxPool", {"x"}, {"y", "idx"}, "pool"), "kernel_shape", std::vector<std::int64_t>{2, 2});
  try {
    import_onnx_model(b.proto(), std::nullopt);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("Indices"), std::string::npos) << e.what();
  }
}

TEST(ImportNode, VolumetricConvIsUnsupported) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 4, 4, 4}).initializer("w", test::random_tensor({1, 1, 2, 2, 2}, 3)).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "conv3d");
  try {
    import_onnx_model(b.proto(), std::nullopt);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("3-D spatial"), std::string::npos) << e.what();
  }
}

// Split becomes one Slice per output: sizes from the attribute (before 13), the input (13+) or
// equal parts.
TEST(ImportNode, SplitIsOneSlicePerOutput) {
  for (const std::int64_t opset : {9, 11, 13}) {
    OnnxBuilder b(opset);
    b.input("x", {1, 1, 2, 3}).output("a").output("b");
    std::vector<std::string> inputs{"x"};
    if (opset >= 13) {
      b.initializer("sizes", Tensor::from_vector<std::int64_t>({2}, {1, 2}));
      inputs.push_back("sizes");
    }
    auto& split = b.node("Split", inputs, {"a", "b"}, "split");
    set_attr(split, "axis", std::int64_t{-1});
    if (opset < 13) set_attr(split, "split", std::vector<std::int64_t>{1, 2});
    const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
    const auto outputs = ReferenceExecutor(m.graph).run({kRamp});
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(outputs[0].shape(), (Shape{1, 1, 2, 1})) << opset;
    EXPECT_EQ(std::vector<float>(outputs[0].span<float>().begin(), outputs[0].span<float>().end()),
              (std::vector<float>{-3, 1}));
    EXPECT_EQ(std::vector<float>(outputs[1].span<float>().begin(), outputs[1].span<float>().end()),
              (std::vector<float>{-1, 0, 2, 6}));
  }
  OnnxBuilder equal(11);
  equal.input("x", {1, 1, 2, 3}).output("a").output("b");
  set_attr(equal.node("Split", {"x"}, {"a", "b"}, "halves"), "axis", std::int64_t{2});
  const auto halves = ReferenceExecutor(import_onnx_model(equal.proto(), std::nullopt).graph).run({kRamp});
  EXPECT_EQ(std::vector<float>(halves[1].span<float>().begin(), halves[1].span<float>().end()),
            (std::vector<float>{1, 2, 6}));
}

TEST(ImportNode, SplitSizesThatDoNotCoverTheAxisAreNamed) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 2, 3}).output("a").output("b");
  auto& split = b.node("Split", {"x"}, {"a", "b"}, "bad_split");
  set_attr(split, "axis", std::int64_t{3});
  set_attr(split, "split", std::vector<std::int64_t>{1, 1});
  try {
    import_onnx_model(b.proto(), std::nullopt);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("split sizes that do not add up to the axis's 3"), std::string::npos)
        << e.what();
  }
}

TEST(ImportNode, SliceBeforeOpset10TakesAttributes) {
  OnnxBuilder b(9);
  b.input("x", {1, 1, 2, 3}).output("y");
  auto& slice = b.node("Slice", {"x"}, {"y"});
  set_attr(slice, "starts", std::vector<std::int64_t>{1, -2});
  set_attr(slice, "ends", std::vector<std::int64_t>{2, 1000});
  set_attr(slice, "axes", std::vector<std::int64_t>{2, 3});
  EXPECT_EQ(run(b, {kRamp}), (std::vector<float>{2, 6}));
}

TEST(ImportNode, SqueezeAndUnsqueezeBeforeOpset13TakeAxesAttributes) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 2, 3}).output("y");
  set_attr(b.node("Squeeze", {"x"}, {"s"}), "axes", std::vector<std::int64_t>{0, 1});
  set_attr(b.node("Unsqueeze", {"s"}, {"y"}), "axes", std::vector<std::int64_t>{1});
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_EQ(m.graph.find_value("s")->shape, (Shape{2, 3}));
  EXPECT_EQ(m.graph.outputs()[0]->shape, (Shape{2, 1, 3}));
  EXPECT_EQ(run(b, {kRamp}), (std::vector<float>{-3, -1, 0, 1, 2, 6}));
}

TEST(ImportNode, CastNamesItsTargetTypeBeforeOpset6) {
  OnnxBuilder b(5);
  b.input("x", {1, 1, 2, 3}).output("y");
  set_attr(b.node("Cast", {"x"}, {"y"}), "to", std::string("INT32"));
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_EQ(m.graph.outputs()[0]->dtype, DType::I32);
  EXPECT_EQ(m.graph.nodes()[0]->attrs.get_string("to", ""), "i32");
}

TEST(ImportNode, CastToAnUnsupportedTypeIsNamed) {
  OnnxBuilder b(13);
  b.input("x", {2}).output("y");
  set_attr(b.node("Cast", {"x"}, {"y"}), "to", std::int64_t{onnx::TensorProto::FLOAT16});
  try {
    import_onnx_model(b.proto(), std::nullopt);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("FLOAT16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wb
