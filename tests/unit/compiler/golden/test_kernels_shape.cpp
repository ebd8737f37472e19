// Shape arithmetic, indexing and ReduceMean kernels, run through the reference executor on
// graph inputs (so nothing is folded away at import), one hand-checked case per edge.

#include <gtest/gtest.h>

#include <limits>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/kernel_testing.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;
using onnx::TensorProto;

using test::run_one;
using test::values;

Tensor iota_tensor(const Shape& shape) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::from_vector<float>(shape, v);
}

TEST(ShapeKernels, ShapeWithStartAndEnd) {
  OnnxBuilder b(15);
  b.input("x", {1, 3, 5, 7}).output("s");
  auto& shape = b.node("Shape", {"x"}, {"s"});
  set_attr(shape, "start", std::int64_t{-3});
  set_attr(shape, "end", std::int64_t{-1});
  const Tensor s = run_one(b, {iota_tensor({1, 3, 5, 7})});
  EXPECT_EQ(s.dtype(), DType::I64);
  EXPECT_EQ(values<std::int64_t>(s), (std::vector<std::int64_t>{3, 5}));
}

TEST(ShapeKernels, GatherTakesNegativeIndicesFromTheEnd) {
  OnnxBuilder b;
  b.input("x", {2, 3}).input("i", {2}, TensorProto::INT64).output("y");
  set_attr(b.node("Gather", {"x", "i"}, {"y"}), "axis", std::int64_t{1});
  const Tensor y = run_one(b, {iota_tensor({2, 3}), Tensor::from_vector<std::int64_t>({2}, {-1, 0})});
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{2, 0, 5, 3}));
}

TEST(ShapeKernels, GatherOutOfRangeIsAUserError) {
  OnnxBuilder b;
  b.input("x", {2, 3}).input("i", {1}, TensorProto::INT64).output("y");
  b.node("Gather", {"x", "i"}, {"y"});
  EXPECT_THROW(run_one(b, {iota_tensor({2, 3}), Tensor::from_vector<std::int64_t>({1}, {2})}), UserError);
}

TEST(ShapeKernels, SliceOnChannelsAndReversed) {
  OnnxBuilder b;
  b.input("x", {1, 4, 1, 2})
      .initializer("starts", Tensor::from_vector<std::int64_t>({2}, {-1, 1}))
      .initializer("ends", Tensor::from_vector<std::int64_t>({2}, {std::numeric_limits<std::int64_t>::min(), 2}))
      .initializer("axes", Tensor::from_vector<std::int64_t>({2}, {1, 3}))
      .initializer("steps", Tensor::from_vector<std::int64_t>({2}, {-2, 1}))
      .output("y");
  b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
  const Tensor y = run_one(b, {iota_tensor({1, 4, 1, 2})});
  EXPECT_EQ(y.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{7, 3}));  // channels 3 and 1, column 1
}

TEST(ShapeKernels, ExpandBroadcastsBothWays) {
  OnnxBuilder b;
  b.input("x", {3, 1}).initializer("shape", Tensor::from_vector<std::int64_t>({3}, {2, 1, 2})).output("y");
  b.node("Expand", {"x", "shape"}, {"y"});
  const Tensor y = run_one(b, {Tensor::from_vector<float>({3, 1}, {1, 2, 3})});
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
}

TEST(ShapeKernels, ConstantOfShapeUsesTheValueAttribute) {
  OnnxBuilder b;
  b.input("s", {2}, TensorProto::INT64).output("y");
  auto& node = b.node("ConstantOfShape", {"s"}, {"y"});
  auto* attr = node.add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(TensorProto::INT32);
  attr->mutable_t()->add_dims(1);
  attr->mutable_t()->add_int32_data(-7);
  const Tensor y = run_one(b, {Tensor::from_vector<std::int64_t>({2}, {2, 3})});
  EXPECT_EQ(y.dtype(), DType::I32);
  EXPECT_EQ(values<std::int32_t>(y), std::vector<std::int32_t>(6, -7));
}

TEST(ShapeKernels, CastFloatToIntTruncatesTowardZero) {
  OnnxBuilder b;
  b.input("x", {4}).output("y");
  set_attr(b.node("Cast", {"x"}, {"y"}), "to", std::int64_t{TensorProto::INT64});
  const Tensor y = run_one(b, {Tensor::from_vector<float>({4}, {-2.7f, -0.5f, 0.5f, 2.7f})});
  EXPECT_EQ(values<std::int64_t>(y), (std::vector<std::int64_t>{-2, 0, 0, 2}));
}

TEST(ShapeKernels, RangeCountsDownWithANegativeDelta) {
  OnnxBuilder b;
  b.input("start", {}, TensorProto::INT64).input("limit", {}, TensorProto::INT64).input("delta", {}, TensorProto::INT64);
  b.output("y");
  b.node("Range", {"start", "limit", "delta"}, {"y"});
  const Tensor y = run_one(b, {Tensor::scalar<std::int64_t>(10), Tensor::scalar<std::int64_t>(3),
                               Tensor::scalar<std::int64_t>(-3)});
  EXPECT_EQ(values<std::int64_t>(y), (std::vector<std::int64_t>{10, 7, 4}));
}

TEST(ShapeKernels, RangeNearTheInt64LimitsHasNoOverflow) {
  // i * delta overflows int64 from i = 1025 on while start + i * delta stays in range (the
  // fuzzer's input: undefined behaviour before the kernel computed modulo 2^64).
  OnnxBuilder b;
  b.input("start", {}, TensorProto::INT64).input("limit", {}, TensorProto::INT64).input("delta", {}, TensorProto::INT64);
  b.output("y");
  b.node("Range", {"start", "limit", "delta"}, {"y"});
  const std::int64_t start = std::numeric_limits<std::int64_t>::min() + 7;
  const std::int64_t delta = std::int64_t{9'000'000'000'000'000};
  const Tensor y = run_one(b, {Tensor::scalar<std::int64_t>(start),
                               Tensor::scalar<std::int64_t>(std::numeric_limits<std::int64_t>::max()),
                               Tensor::scalar<std::int64_t>(delta)});
  const std::vector<std::int64_t> v = values<std::int64_t>(y);
  ASSERT_EQ(v.size(), 2050u);  // ceil((2^64 - 8) / 9e15)
  // The first element and every step exact make every element exact.
  EXPECT_EQ(v.front(), start);
  for (std::size_t i = 1; i < v.size(); ++i) EXPECT_EQ(v[i] - v[i - 1], delta) << i;
  EXPECT_GT(v.back(), std::numeric_limits<std::int64_t>::max() - delta);  // the last one below the limit
}

TEST(ShapeKernels, SqueezeAndUnsqueezeOnlyRelabelTheShape) {
  OnnxBuilder b;
  b.input("x", {1, 3, 1}).initializer("axes", Tensor::from_vector<std::int64_t>({1}, {2})).output("y");
  b.node("Squeeze", {"x", "axes"}, {"s"});
  b.node("Unsqueeze", {"s", "axes"}, {"y"});
  const Tensor y = run_one(b, {iota_tensor({1, 3, 1})});
  EXPECT_EQ(y.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 1, 2}));
}

TEST(ShapeKernels, ReduceMeanKeepdimsOrNot) {
  for (std::int64_t keep : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {1, 2, 2, 2}).output("y");
    auto& mean = b.node("ReduceMean", {"x"}, {"y"});
    set_attr(mean, "axes", std::vector<std::int64_t>{2, 3});
    set_attr(mean, "keepdims", keep);
    const Tensor y = run_one(b, {iota_tensor({1, 2, 2, 2})});
    EXPECT_EQ(y.shape(), keep ? (Shape{1, 2, 1, 1}) : (Shape{1, 2}));
    EXPECT_EQ(values<float>(y), (std::vector<float>{1.5f, 5.5f}));
  }
}

}  // namespace
}  // namespace wb
