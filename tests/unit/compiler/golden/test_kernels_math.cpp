// Equal, Where, Not, Mod, ScatterND, Pow, Sqrt, Erf, Gelu, LayerNormalization and linear
// Resize, through the reference executor on graph inputs, each against values worked by hand
// or ONNX's own examples.

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/kernel_testing.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using onnx::TensorProto;
using test::OnnxBuilder;
using test::run_one;
using test::set_attr;
using test::values;

Tensor math_f32(const Shape& shape, std::vector<float> v) { return Tensor::from_vector<float>(shape, v); }
Tensor math_i64(const Shape& shape, std::vector<std::int64_t> v) { return Tensor::from_vector<std::int64_t>(shape, v); }

TEST(MathKernels, EqualAndWhereBroadcastAsTheSwinMaskDoes) {
  OnnxBuilder b;
  b.input("a", {2, 1}, TensorProto::INT64).input("b", {3}, TensorProto::INT64);
  b.initializer("yes", math_f32({}, {-100})).initializer("no", math_f32({1}, {0})).output("y");
  b.node("Equal", {"a", "b"}, {"same"});
  b.node("Not", {"same"}, {"different"});
  b.node("Where", {"different", "yes", "no"}, {"y"});
  const Tensor y = run_one(b, {math_i64({2, 1}, {1, 2}), math_i64({3}, {1, 2, 2})});
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, -100, -100, -100, 0, 0}));
}

TEST(MathKernels, ModTakesTheDivisorsSignUnlessFmod) {
  for (const std::int64_t fmod : {0, 1}) {
    OnnxBuilder b;
    b.input("a", {4}, TensorProto::INT64).input("d", {4}, TensorProto::INT64).output("r");
    set_attr(b.node("Mod", {"a", "d"}, {"r"}), "fmod", fmod);
    const auto r = values<std::int64_t>(run_one(b, {math_i64({4}, {-7, 7, -7, 7}), math_i64({4}, {3, -3, -3, 3})}));
    const std::vector<std::int64_t> expected = fmod ? std::vector<std::int64_t>{-1, 1, -1, 1} : std::vector<std::int64_t>{2, -2, -1, 1};
    EXPECT_EQ(r, expected);
  }
}

TEST(MathKernels, ModByZeroIsAUserError) {
  OnnxBuilder b;
  b.input("a", {1}, TensorProto::INT64).input("d", {1}, TensorProto::INT64).output("r");
  b.node("Mod", {"a", "d"}, {"r"}, "mod");
  const auto model = import_onnx_model(b.proto(), std::nullopt);
  EXPECT_THROW(ReferenceExecutor(model.graph).run({math_i64({1}, {5}), math_i64({1}, {0})}), UserError);
}

TEST(MathKernels, ScatterNDAsInTheOnnxExample) {
  OnnxBuilder b;
  b.input("data", {8}).input("indices", {4, 1}, TensorProto::INT64).input("updates", {4}).output("y");
  b.node("ScatterND", {"data", "indices", "updates"}, {"y"});
  const Tensor y = run_one(b, {math_f32({8}, {1, 2, 3, 4, 5, 6, 7, 8}), math_i64({4, 1}, {4, 3, 1, 7}), math_f32({4}, {9, 10, 11, 12})});
  EXPECT_EQ(values<float>(y), (std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12}));
}

TEST(MathKernels, ScatterNDOfRowsWithANegativeIndex) {
  OnnxBuilder b;
  b.input("data", {3, 2}).input("indices", {1, 1}, TensorProto::INT64).input("updates", {1, 2}).output("y");
  b.node("ScatterND", {"data", "indices", "updates"}, {"y"});
  const Tensor y = run_one(b, {math_f32({3, 2}, {0, 0, 0, 0, 0, 0}), math_i64({1, 1}, {-1}), math_f32({1, 2}, {5, 6})});
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 0, 0, 0, 5, 6}));
}

TEST(MathKernels, PowSqrtAndErf) {
  OnnxBuilder b;
  b.input("x", {3}).initializer("two", math_f32({}, {2})).output("p").output("s").output("e");
  b.node("Pow", {"x", "two"}, {"p"});
  b.node("Sqrt", {"x"}, {"s"});
  b.node("Erf", {"x"}, {"e"});
  const auto model = import_onnx_model(b.proto(), std::nullopt);
  const auto out = ReferenceExecutor(model.graph).run({math_f32({3}, {0.25f, 1, 4})});
  EXPECT_EQ(values<float>(out[0]), (std::vector<float>{0.0625f, 1, 16}));
  EXPECT_EQ(values<float>(out[1]), (std::vector<float>{0.5f, 1, 2}));
  EXPECT_NEAR(values<float>(out[2])[1], 0.8427008f, 1e-6);  // erf(1)
}

TEST(MathKernels, GeluExactAndTanhForms) {
  for (const std::string form : {"none", "tanh"}) {
    OnnxBuilder b(17);  // Gelu is opset 20; the importer takes it by name
    b.input("x", {3}).output("y");
    set_attr(b.node("Gelu", {"x"}, {"y"}), "approximate", form);
    const auto y = values<float>(run_one(b, {math_f32({3}, {-1, 0, 1})}));
    // Phi(1) = 0.8413447; the tanh form is within 2e-4 of it at 1.
    EXPECT_NEAR(y[2], 0.8413447f, form == "none" ? 1e-6 : 2e-4);
    EXPECT_NEAR(y[0], -0.1586553f, form == "none" ? 1e-6 : 2e-4);
    EXPECT_EQ(y[1], 0.0f);
  }
}

TEST(MathKernels, LayerNormalizationOverTheLastAxisWithScaleAndBias) {
  OnnxBuilder b(17);
  b.input("x", {2, 4}).initializer("scale", math_f32({4}, {2, 2, 2, 2})).initializer("bias", math_f32({4}, {1, 1, 1, 0}));
  b.output("y");
  set_attr(b.node("LayerNormalization", {"x", "scale", "bias"}, {"y"}), "epsilon", 0.0f);
  const auto y = values<float>(run_one(b, {math_f32({2, 4}, {1, 2, 3, 4, 5, 5, 5, 5})}));
  // Row 1: mean 2.5, variance 1.25; row 2 is constant (0 / sqrt(0 + 0) would be NaN, so
  // epsilon 0 is only used on row 1 here).
  const float inv = 1.0f / std::sqrt(1.25f);
  EXPECT_NEAR(y[0], -1.5f * inv * 2 + 1, 1e-6);
  EXPECT_NEAR(y[3], 1.5f * inv * 2 + 0, 1e-6);
  EXPECT_TRUE(std::isnan(y[4]));
}

TEST(MathKernels, LayerNormalizationOverTwoAxesFromAxisOne) {
  OnnxBuilder b(17);
  b.input("x", {1, 2, 2}).initializer("scale", math_f32({1}, {1})).output("y");
  set_attr(b.node("LayerNormalization", {"x", "scale"}, {"y"}), "axis", std::int64_t{1});
  const auto y = values<float>(run_one(b, {math_f32({1, 2, 2}, {0, 0, 2, 2})}));
  // Mean 1, variance 1 over all four.
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(y[i], i < 2 ? -1.0f : 1.0f, 1e-5);
}

TEST(MathKernels, LayerNormalizationWhoseStatisticsAreUsedDoesNotImport) {
  OnnxBuilder b(17);
  b.input("x", {1, 4}).initializer("scale", math_f32({4}, {1, 1, 1, 1})).output("y").output("mean");
  b.node("LayerNormalization", {"x", "scale"}, {"y", "mean"}, "ln");
  EXPECT_THROW(import_onnx_model(b.proto(), std::nullopt), UserError);
}

Tensor resize_linear(const std::string& coordinates, const Tensor& x) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 2, 2}).initializer("scales", math_f32({4}, {1, 1, 2, 2})).output("y");
  auto& resize = b.node("Resize", {"x", "", "scales"}, {"y"});
  set_attr(resize, "mode", std::string("linear"));
  set_attr(resize, "coordinate_transformation_mode", coordinates);
  return run_one(b, {x});
}

// ONNX's test_resize_upsample_scales_linear and ..._align_corners expectations.
TEST(MathKernels, LinearResizeHalfPixelAndAlignCorners) {
  const Tensor x = math_f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const auto half = values<float>(resize_linear("half_pixel", x));
  const std::vector<float> half_expected{1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                                         2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
  for (std::size_t i = 0; i < half.size(); ++i) EXPECT_NEAR(half[i], half_expected[i], 1e-6) << i;
  const auto corners = values<float>(resize_linear("align_corners", x));
  const std::vector<float> corners_expected{1, 4.f / 3, 5.f / 3, 2, 5.f / 3, 2, 7.f / 3, 8.f / 3,
                                            7.f / 3, 8.f / 3, 3, 10.f / 3, 3, 10.f / 3, 11.f / 3, 4};
  for (std::size_t i = 0; i < corners.size(); ++i) EXPECT_NEAR(corners[i], corners_expected[i], 1e-6) << i;
  const auto torch = values<float>(resize_linear("pytorch_half_pixel", x));
  for (std::size_t i = 0; i < torch.size(); ++i) EXPECT_NEAR(torch[i], half_expected[i], 1e-6) << i;
}

// An empty axis has nothing to interpolate from: refused when the shapes are inferred, before
// any kernel could read past the input.
TEST(MathKernels, ResizingAnEmptyAxisToANonEmptyOneIsRefused) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 0, 2}).initializer("sizes", Tensor::from_vector<std::int64_t>({4}, {1, 1, 2, 2})).output("y");
  set_attr(b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "up"), "mode", std::string("linear"));
  EXPECT_THROW(import_onnx_model(b.proto(), std::nullopt), UserError);
}

}  // namespace
}  // namespace wb
