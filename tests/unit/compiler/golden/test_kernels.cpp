// Kernels other than convolution: one small hand-checked case each, at the edges that matter.

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/kernel_testing.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

using test::run_one;
using test::values;

TEST(PoolKernels, MaxPoolIgnoresPaddingEvenForNegativeInputs) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2}).output("y");
  auto& pool = b.node("MaxPool", {"x"}, {"y"});
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  set_attr(pool, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  set_attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({1, 1, 2, 2}, {-1, -2, -3, -4})}));
  EXPECT_EQ(y, (std::vector<float>{-1, -2, -3, -4}));
}

TEST(PoolKernels, AveragePoolCountIncludePad) {
  for (std::int64_t include : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {1, 1, 2, 2}).output("y");
    auto& pool = b.node("AveragePool", {"x"}, {"y"});
    set_attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
    set_attr(pool, "pads", std::vector<std::int64_t>{1, 1, 0, 0});
    set_attr(pool, "count_include_pad", include);
    const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({1, 1, 2, 2}, {4, 8, 12, 16})}));
    // Top-left window covers 3 padding cells and the value 4.
    EXPECT_FLOAT_EQ(y[0], include ? 1.0f : 4.0f);
    EXPECT_FLOAT_EQ(y[3], 10.0f);
  }
}

TEST(PoolKernels, CeilModeAveragesOnlyTheValidPart) {
  OnnxBuilder b;
  b.input("x", {1, 1, 1, 3}).output("y");
  auto& pool = b.node("AveragePool", {"x"}, {"y"});
  set_attr(pool, "kernel_shape", std::vector<std::int64_t>{1, 2});
  set_attr(pool, "strides", std::vector<std::int64_t>{1, 2});
  set_attr(pool, "ceil_mode", std::int64_t{1});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({1, 1, 1, 3}, {2, 4, 9})}));
  EXPECT_EQ(y, (std::vector<float>{3, 9}));
}

TEST(ElementwiseKernels, BroadcastingAddOverChannels) {
  OnnxBuilder b;
  b.input("x", {1, 2, 1, 3}).initializer("c", Tensor::from_vector<float>({2, 1, 1}, {10, 20})).output("y");
  b.node("Add", {"x", "c"}, {"y"});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({1, 2, 1, 3}, {1, 2, 3, 4, 5, 6})}));
  EXPECT_EQ(y, (std::vector<float>{11, 12, 13, 24, 25, 26}));
}

TEST(ElementwiseKernels, IntegerDivisionByZeroIsAUserError) {
  OnnxBuilder b;
  b.input("x", {2}, onnx::TensorProto::INT32).input("d", {2}, onnx::TensorProto::INT32).output("y");
  b.node("Div", {"x", "d"}, {"y"}, "div");
  const auto model = import_onnx_model(b.proto(), std::nullopt);
  const ReferenceExecutor ex(model.graph);
  EXPECT_THROW(ex.run({Tensor::from_vector<std::int32_t>({2}, {4, 5}), Tensor::from_vector<std::int32_t>({2}, {2, 0})}),
               UserError);
  EXPECT_EQ(values<std::int32_t>(ex.run({Tensor::from_vector<std::int32_t>({2}, {-7, 7}),
                                         Tensor::from_vector<std::int32_t>({2}, {2, 2})})[0]),
            (std::vector<std::int32_t>{-3, 3}));  // truncation toward zero
}

TEST(ElementwiseKernels, ActivationsAtTheirKinks) {
  const Tensor x = Tensor::from_vector<float>({5}, {-6, -3, 0, 3, 6});
  OnnxBuilder relu;
  relu.input("x", {5}).output("y");
  relu.node("Relu", {"x"}, {"y"});
  EXPECT_EQ(values<float>(run_one(relu, {x})), (std::vector<float>{0, 0, 0, 3, 6}));
  OnnxBuilder leaky;
  leaky.input("x", {5}).output("y");
  set_attr(leaky.node("LeakyRelu", {"x"}, {"y"}), "alpha", 0.5f);
  EXPECT_EQ(values<float>(run_one(leaky, {x})), (std::vector<float>{-3, -1.5f, 0, 3, 6}));
  OnnxBuilder hswish(14);
  hswish.input("x", {5}).output("y");
  hswish.node("HardSwish", {"x"}, {"y"});
  EXPECT_EQ(values<float>(run_one(hswish, {x})), (std::vector<float>{0, 0, 0, 3, 6}));
  OnnxBuilder sig;
  sig.input("x", {5}).output("y");
  sig.node("Sigmoid", {"x"}, {"y"});
  EXPECT_FLOAT_EQ(values<float>(run_one(sig, {x}))[2], 0.5f);
}

TEST(NormalizationKernels, SoftmaxIsStableForLargeInputs) {
  OnnxBuilder b;
  b.input("x", {1, 3}).output("y");
  b.node("Softmax", {"x"}, {"y"});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({1, 3}, {1000, 1000, -1000})}));
  EXPECT_FLOAT_EQ(y[0], 0.5f);
  EXPECT_FLOAT_EQ(y[2], 0.0f);
}

TEST(MatMulKernels, GemmAlphaBetaAndTransposes) {
  OnnxBuilder b;
  b.input("a", {2, 1}).initializer("b", Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}))
      .initializer("c", Tensor::from_vector<float>({2}, {100, 200})).output("y");
  auto& gemm = b.node("Gemm", {"a", "b", "c"}, {"y"});
  set_attr(gemm, "transA", std::int64_t{1});
  set_attr(gemm, "transB", std::int64_t{1});
  set_attr(gemm, "alpha", 2.0f);
  set_attr(gemm, "beta", 0.5f);
  // A^T = [1 10]; B^T = [[1 3],[2 4]] -> [21 43] * 2 + [50 100]
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({2, 1}, {1, 10})}));
  EXPECT_EQ(y, (std::vector<float>{92, 186}));
}

TEST(MatMulKernels, BatchedMatMulBroadcastsTheBatch) {
  OnnxBuilder b;
  b.input("a", {2, 1, 2}).initializer("b", Tensor::from_vector<float>({2, 1}, {1, 1})).output("y");
  b.node("MatMul", {"a", "b"}, {"y"});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4})}));
  EXPECT_EQ(y, (std::vector<float>{3, 7}));
}

TEST(QuantizedKernels, QuantizeRoundsHalfToEvenAndSaturates) {
  OnnxBuilder b;
  b.input("x", {6}).initializer("s", Tensor::scalar<float>(1.0f)).initializer("z", Tensor::scalar<std::int8_t>(0)).output("y");
  b.node("QuantizeLinear", {"x", "s", "z"}, {"y"});
  const auto y = values<std::int8_t>(run_one(b, {Tensor::from_vector<float>({6}, {0.5f, 1.5f, -0.5f, -2.5f, 300, -300})}));
  EXPECT_EQ(y, (std::vector<std::int8_t>{0, 2, 0, -2, 127, -128}));
}

TEST(QuantizedKernels, DequantizePerAxis) {
  OnnxBuilder b;
  b.input("x", {1, 2, 2}, onnx::TensorProto::UINT8)
      .initializer("s", Tensor::from_vector<float>({2}, {0.5f, 2.0f}))
      .initializer("z", Tensor::from_vector<std::uint8_t>({2}, {10, 0}))
      .output("y");
  b.node("DequantizeLinear", {"x", "s", "z"}, {"y"});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<std::uint8_t>({1, 2, 2}, {10, 12, 1, 3})}));
  EXPECT_EQ(y, (std::vector<float>{0, 1, 2, 6}));
}

TEST(QuantizedKernels, ConvIntegerPadsWithTheZeroPoint) {
  OnnxBuilder b(10);
  b.input("x", {1, 1, 1, 1}, onnx::TensorProto::UINT8)
      .initializer("w", Tensor::from_vector<std::uint8_t>({1, 1, 1, 3}, {1, 1, 1}))
      .initializer("xz", Tensor::scalar<std::uint8_t>(100))
      .output("y");
  set_attr(b.node("ConvInteger", {"x", "w", "xz"}, {"y"}), "pads", std::vector<std::int64_t>{0, 1, 0, 1});
  // Only the centre tap sees data: (105 - 100) * 1; the padding contributes nothing.
  EXPECT_EQ(values<std::int32_t>(run_one(b, {Tensor::from_vector<std::uint8_t>({1, 1, 1, 1}, {105})})),
            (std::vector<std::int32_t>{5}));
}

TEST(TensorKernels, ReflectAndEdgePadding) {
  const Tensor x = Tensor::from_vector<float>({1, 3}, {1, 2, 3});
  for (const auto& [mode, expected] : {std::pair<std::string, std::vector<float>>{"reflect", {3, 2, 1, 2, 3, 2, 1}},
                                       std::pair<std::string, std::vector<float>>{"edge", {1, 1, 1, 2, 3, 3, 3}}}) {
    OnnxBuilder b;
    b.input("x", {1, 3}).initializer("p", Tensor::from_vector<std::int64_t>({4}, {0, 2, 0, 2})).output("y");
    set_attr(b.node("Pad", {"x", "p"}, {"y"}), "mode", mode);
    EXPECT_EQ(values<float>(run_one(b, {x})), expected) << mode;
  }
}

TEST(TensorKernels, ResizeNearestModes) {
  // 4 -> 2 with half_pixel: sources 0.5 and 2.5; round_prefer_floor picks 0 and 2, ceil picks 1 and 3.
  const Tensor x = Tensor::from_vector<float>({1, 1, 1, 4}, {10, 11, 12, 13});
  for (const auto& [mode, expected] : {std::pair<std::string, std::vector<float>>{"round_prefer_floor", {10, 12}},
                                       std::pair<std::string, std::vector<float>>{"round_prefer_ceil", {11, 13}}}) {
    OnnxBuilder b;
    b.input("x", {1, 1, 1, 4}).initializer("s", Tensor::from_vector<float>({4}, {1, 1, 1, 0.5f})).output("y");
    set_attr(b.node("Resize", {"x", "", "s"}, {"y"}), "nearest_mode", mode);
    EXPECT_EQ(values<float>(run_one(b, {x})), expected) << mode;
  }
}

TEST(TensorKernels, TransposeAndConcat) {
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  set_attr(b.node("Transpose", {"x"}, {"t"}), "perm", std::vector<std::int64_t>{1, 0});
  set_attr(b.node("Concat", {"t", "t"}, {"y"}), "axis", std::int64_t{1});
  const auto y = values<float>(run_one(b, {Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6})}));
  EXPECT_EQ(y, (std::vector<float>{1, 4, 1, 4, 2, 5, 2, 5, 3, 6, 3, 6}));
}

}  // namespace
}  // namespace wb
