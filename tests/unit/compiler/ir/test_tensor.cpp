#include "compiler/ir/tensor.h"

#include <gtest/gtest.h>

#include <limits>

#include "support/error.h"

namespace wb {
namespace {

TEST(Tensor, ZeroFilledWithShapeAndSize) {
  Tensor t(DType::I16, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 12u);
  for (auto v : t.span<std::int16_t>()) EXPECT_EQ(v, 0);
}

TEST(Tensor, ScalarHasRankZeroAndOneElement) {
  const Tensor t = Tensor::scalar<float>(2.5f);
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_DOUBLE_EQ(t.as_double(0), 2.5);
}

TEST(Tensor, TypedAccessChecksTheElementType) {
  Tensor t(DType::F32, {4});
  EXPECT_THROW(t.data<std::int32_t>(), std::logic_error);
  EXPECT_NO_THROW(t.data<float>());
}

TEST(Tensor, FromVectorRejectsWrongCount) {
  EXPECT_THROW(Tensor::from_vector<float>({2, 2}, {1, 2, 3}), std::logic_error);
}

TEST(Tensor, ReshapeKeepsBytesAndChecksCount) {
  const Tensor t = Tensor::from_vector<std::int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor r = t.reshaped({3, 2});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.data<std::int32_t>()[5], 6);
  EXPECT_THROW((void)t.reshaped({4}), std::logic_error);
}

TEST(Tensor, CastConvertsEveryElement) {
  const Tensor t = Tensor::from_vector<float>({3}, {-1.7f, 0.2f, 300.0f});
  const Tensor i = t.cast(DType::I32);
  EXPECT_EQ(i.to_int64_vector(), (std::vector<std::int64_t>{-1, 0, 300}));
}

TEST(Tensor, FloatsOutsideAnIntegerTypeSaturateAndNanIsZeroInCastsAndReads) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor t = Tensor::from_vector<float>(
      {6}, {-3.4e38f, 3.4e38f, 127.9f, -128.5f, std::numeric_limits<float>::quiet_NaN(), -inf});
  EXPECT_EQ(t.cast(DType::I8).to_int64_vector(), (std::vector<std::int64_t>{-128, 127, 127, -128, 0, -128}));
  EXPECT_EQ(t.as_int64(4), 0);  // NaN read as an integer
  EXPECT_EQ(t.as_int64(1), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(t.cast(DType::I64).to_int64_vector(),
            (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                                       127, -128, 0, std::numeric_limits<std::int64_t>::min()}));
}

TEST(Tensor, NegativeDimensionIsAUserError) { EXPECT_THROW(Tensor(DType::F32, {2, -1}), UserError); }

TEST(Tensor, HugeShapeIsAUserErrorNotACrash) {
  EXPECT_THROW(Tensor(DType::F32, {1 << 30, 1 << 30, 1 << 20}), UserError);
}

TEST(Shape, StridesAreRowMajor) {
  EXPECT_EQ(row_major_strides({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(format_shape({1, 3, 224, 224}), "[1,3,224,224]");
  EXPECT_EQ(format_shape({}), "[]");
}

TEST(Shape, StridesOfAnEmptyShapeWithHugeDimensionsSaturate) {
  // No elements, so the strides index nothing; their product must not overflow int64 (fuzzing).
  constexpr std::int64_t kLargest = std::numeric_limits<std::int64_t>::max();
  const std::int64_t huge = std::int64_t{1} << 40;
  EXPECT_EQ(row_major_strides({0, huge, huge, 2}), (Shape{kLargest, 2 * huge, 2, 1}));
}

TEST(DTypes, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::F64), 8u);
  EXPECT_EQ(dtype_size(DType::U8), 1u);
  EXPECT_EQ(dtype_name(DType::I8), "i8");
  EXPECT_TRUE(is_signed(DType::I32));
  EXPECT_FALSE(is_signed(DType::U16));
  EXPECT_FALSE(is_integer(DType::Bool));
}

}  // namespace
}  // namespace wb
