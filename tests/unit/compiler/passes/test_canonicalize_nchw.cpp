#include "compiler/passes/canonicalize_nchw.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

TEST(CanonicalizeNchw, InverseTransposesCancel) {
  // NCHW -> NHWC -> NCHW, as layout converters leave it around an op.
  OnnxBuilder b;
  b.input("x", {1, 2, 3, 4}).output("y");
  set_attr(b.node("Transpose", {"x"}, {"nhwc"}), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  set_attr(b.node("Transpose", {"nhwc"}, {"t"}), "perm", std::vector<std::int64_t>{0, 3, 1, 2});
  b.node("Relu", {"t"}, {"y"});
  const auto out = test::run_pass(b, "canonicalize-nchw");
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 0u);
  EXPECT_EQ(out.after.node_count(), 1u);
  test::expect_same_outputs(out.before, out.after, 0.0);
}

TEST(CanonicalizeNchw, ChainedTransposesMerge) {
  OnnxBuilder b;
  b.input("x", {1, 2, 3, 4}).output("y");
  set_attr(b.node("Transpose", {"x"}, {"a"}), "perm", std::vector<std::int64_t>{0, 2, 3, 1});
  set_attr(b.node("Transpose", {"a"}, {"y"}), "perm", std::vector<std::int64_t>{0, 2, 1, 3});
  const auto out = test::run_pass(b, "canonicalize-nchw");
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 1u);
  test::expect_same_outputs(out.before, out.after, 0.0);
}

TEST(CanonicalizeNchw, ReshapeChainsMergeAndNoOpsGo) {
  OnnxBuilder b;
  b.input("x", {1, 8, 1, 1})
      .initializer("s1", Tensor::from_vector<std::int64_t>({2}, {1, 8}))
      .initializer("s2", Tensor::from_vector<std::int64_t>({3}, {1, 2, 4}))
      .output("y");
  b.node("Flatten", {"x"}, {"f"});
  b.node("Reshape", {"f", "s1"}, {"same"});  // no-op
  b.node("Reshape", {"same", "s2"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  const auto out = test::run_pass(b, "canonicalize-nchw");
  EXPECT_EQ(test::count_op(out.after, OpKind::Flatten) + test::count_op(out.after, OpKind::Reshape), 1u);
  EXPECT_EQ(out.after.outputs()[0]->shape, (Shape{1, 2, 4}));
  test::expect_same_outputs(out.before, out.after, 0.0);
}

}  // namespace
}  // namespace wb
