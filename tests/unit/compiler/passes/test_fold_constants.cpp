#include "compiler/passes/fold_constants.h"

#include <gtest/gtest.h>

#include <limits>

#include "compiler/golden/reference_executor.h"
#include "support/error.h"
#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using onnx::TensorProto;
using test::OnnxBuilder;
using test::set_attr;

Tensor i64(std::vector<std::int64_t> v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

void set_int64_value(onnx::NodeProto& node, std::int64_t value) {
  auto* attr = node.add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(TensorProto::INT64);
  attr->mutable_t()->add_dims(1);
  attr->mutable_t()->add_int64_data(value);
}

// What torch emits for F.pad(x, [0, 1, 0, 1]) without constant folding: the `pads` input
// computed at run time from the input's shape.
OnnxBuilder pad_computed_from_shape() {
  OnnxBuilder b;
  b.input("x", {1, 2, 5, 5})
      .initializer("two", Tensor::scalar<std::int64_t>(2))
      .initializer("four", Tensor::scalar<std::int64_t>(4))
      .initializer("axis0", i64({0}))
      .initializer("six", i64({6}))
      .initializer("w", test::random_tensor({3, 2, 3, 3}, 1))
      .output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "two"}, {"h"});
  b.node("Sub", {"h", "four"}, {"one"});
  b.node("Unsqueeze", {"one", "axis0"}, {"u"});
  set_int64_value(b.node("ConstantOfShape", {"six"}, {"zeros"}), 0);
  set_attr(b.node("Concat", {"zeros", "u", "u"}, {"pads_raw"}), "axis", std::int64_t{0});
  set_attr(b.node("Cast", {"pads_raw"}, {"pads"}), "to", std::int64_t{TensorProto::INT64});
  b.node("Pad", {"x", "pads"}, {"p"});
  b.node("Conv", {"p", "w"}, {"y"}, "conv");
  return b;
}

TEST(FoldConstants, PadsComputedFromTheShapeBecomeConstantAndFoldIntoTheConv) {
  const auto out = test::run_pass(pad_computed_from_shape(), "fold-constants,fold-pad");
  EXPECT_EQ(out.after.node_count(), 1u);  // only the Conv is left
  EXPECT_EQ(out.after.find_node("conv")->attrs.get_ints("pads"), (std::vector<std::int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(out.stats.counters().at("Shape folded"), 1);
  EXPECT_EQ(out.stats.counters().at("ConstantOfShape folded"), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldConstants, AReshapeTargetComputedFromTheShapeGetsTheOutputTyped) {
  OnnxBuilder b;
  b.input("x", {2, 3, 4})
      .initializer("starts", i64({0}))
      .initializer("ends", i64({1}))
      .initializer("minus_one", i64({-1}))
      .output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Slice", {"s", "starts", "ends"}, {"n"});
  set_attr(b.node("Concat", {"n", "minus_one"}, {"target"}), "axis", std::int64_t{0});
  b.node("Reshape", {"x", "target"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_FALSE(out.before.find_value("r")->has_type());  // the target was data at import
  EXPECT_EQ(out.after.find_value("r")->shape, (Shape{2, 12}));
  EXPECT_EQ(out.after.node_count(), 2u);  // Reshape and Relu
  test::expect_same_outputs(out.before, out.after);
}

// torch's opset-11 export of attention: Softmax(axis 2) of scores reshaped by shape arithmetic,
// so the importer cannot tell whether the axis is the last (opset < 13 flattens from the axis
// on). It keeps that meaning (flatten_at_axis) until the shape is known: over the last axis it is
// opset 13's Softmax; over axis 1 of [2, 3, 4] it stays one softmax of 12 values per batch.
OnnxBuilder legacy_softmax_of_computed_shape(std::int64_t axis) {
  OnnxBuilder b(11);
  b.input("x", {2, 3, 4}).initializer("starts", i64({0})).initializer("ends", i64({2})).initializer("last", i64({4}));
  b.output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Slice", {"s", "starts", "ends"}, {"n"});
  set_attr(b.node("Concat", {"n", "last"}, {"target"}), "axis", std::int64_t{0});
  b.node("Reshape", {"x", "target"}, {"scores"});
  set_attr(b.node("Softmax", {"scores"}, {"y"}, "softmax"), "axis", axis);
  return b;
}

TEST(FoldConstants, ALegacySoftmaxOverTheLastAxisOfAComputedShapeBecomesOpset13s) {
  const auto out = test::run_pass(legacy_softmax_of_computed_shape(2), "fold-constants");
  EXPECT_FALSE(out.before.find_value("scores")->has_type());
  EXPECT_EQ(out.before.find_node("softmax")->attrs.get_int("flatten_at_axis", 0), 1);
  EXPECT_FALSE(out.after.find_node("softmax")->attrs.has("flatten_at_axis"));
  EXPECT_EQ(out.stats.counters().at("legacy Softmax over the last axis made opset 13's"), 1);
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldConstants, ALegacySoftmaxOverSeveralAxesKeepsItsMeaning) {
  const auto out = test::run_pass(legacy_softmax_of_computed_shape(1), "fold-constants");
  EXPECT_EQ(out.after.find_node("softmax")->attrs.get_int("flatten_at_axis", 0), 1);
  // Equal inputs: 12 equal probabilities per batch, not 3 or 4.
  const Tensor y = ReferenceExecutor(out.after).run({Tensor::from_vector<float>({2, 3, 4}, std::vector<float>(24, 0.5f))})[0];
  for (const float v : y.span<float>()) EXPECT_FLOAT_EQ(v, 1.0f / 12);
}

TEST(FoldConstants, QuantizedWeightsStayQuantized) {
  OnnxBuilder b;
  Tensor w(DType::I8, {2, 1, 1, 1});
  w.data<std::int8_t>()[0] = 3;
  w.data<std::int8_t>()[1] = -5;
  b.input("x", {1, 1, 2, 2})
      .initializer("wq", w)
      .initializer("scale", Tensor::scalar<float>(0.5f))
      .initializer("zero", Tensor::scalar<std::int8_t>(0))
      .output("y");
  b.node("DequantizeLinear", {"wq", "scale", "zero"}, {"w"});
  b.node("Conv", {"x", "w"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(test::count_op(out.after, OpKind::DequantizeLinear), 1u);
}

TEST(FoldConstants, AGraphOutputKeepsItsNode) {
  OnnxBuilder b;
  b.input("x", {1, 3}).output("s").output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Relu", {"x"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_EQ(test::count_op(out.after, OpKind::ShapeOf), 1u);
}

TEST(FoldConstants, AHugeExpandStaysANode) {
  OnnxBuilder b;
  b.input("x", {1}).initializer("one", Tensor::scalar<float>(1.0f)).initializer("shape", i64({8192, 4096})).output("y");
  b.node("Expand", {"one", "shape"}, {"big"});
  b.node("Add", {"x", "big"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_EQ(test::count_op(out.after, OpKind::Expand), 1u);
  EXPECT_EQ(out.after.find_value("y")->shape, (Shape{8192, 4096}));
}

// Swin's shifted-window mask as torch exports it: region ids written into a zero image by
// ScatterND, compared pairwise (Equal, Not) and turned into -100 / 0 (Where), the window
// index from a Mod of the shape; every node folds, and the attention logits get a constant
// bias.
TEST(FoldConstants, ASwinStyleWindowMaskFoldsToAConstant) {
  OnnxBuilder b;
  b.input("logits", {1, 4, 4}).output("y");
  b.initializer("zeros", Tensor::from_vector<float>({4}, {0, 0, 0, 0}));
  b.initializer("where", Tensor::from_vector<std::int64_t>({2, 1}, {2, 3}));
  b.initializer("ids", Tensor::from_vector<float>({2}, {1, 1}));
  b.initializer("shape_of_a", i64({4, 1})).initializer("minus_hundred", Tensor::scalar<float>(-100.0f));
  b.initializer("zero", Tensor::scalar<float>(0.0f)).initializer("two", Tensor::scalar<std::int64_t>(2));
  b.initializer("axes0", i64({0}));
  b.node("ScatterND", {"zeros", "where", "ids"}, {"regions"});     // [0, 0, 1, 1]
  b.node("Reshape", {"regions", "shape_of_a"}, {"column"});         // [4, 1]
  b.node("Equal", {"column", "regions"}, {"same"});                 // [4, 4]
  b.node("Not", {"same"}, {"different"});
  b.node("Where", {"different", "minus_hundred", "zero"}, {"mask"});
  b.node("Shape", {"logits"}, {"s"});
  b.node("Gather", {"s", "two"}, {"tokens"});
  b.node("Mod", {"tokens", "two"}, {"odd"});                        // 4 % 2 = 0
  b.node("Unsqueeze", {"odd", "axes0"}, {"odd1"});
  b.node("Add", {"logits", "mask"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_EQ(out.after.node_count(), 1u) << "only the Add of the logits is left";
  for (const char* folded : {"ScatterND folded", "Equal folded", "Not folded", "Where folded", "Mod folded"}) {
    EXPECT_EQ(out.stats.counters().count(folded), 1u) << folded;
  }
  const Value* mask = out.after.find_value("mask");
  ASSERT_NE(mask, nullptr);
  ASSERT_TRUE(mask->is_constant());
  const std::vector<float> expected{0, 0, -100, -100, 0, 0, -100, -100, -100, -100, 0, 0, -100, -100, 0, 0};
  EXPECT_EQ(std::vector<float>(mask->constant->span<float>().begin(), mask->constant->span<float>().end()), expected);
  test::expect_same_outputs(out.before, out.after);
}

// A decoder's causal mask as torch writes it: a triangle of ones (Trilu), a Where choosing -inf
// above the diagonal; RMSNorm's 1 / sqrt(d) and rotary embedding's negated half of constants.
TEST(FoldConstants, ACausalMaskAndConstantNegationsAndReciprocalsFold) {
  OnnxBuilder b;
  b.input("scores", {1, 3, 3}).output("y");
  b.initializer("ones", Tensor::from_vector<float>({3, 3}, std::vector<float>(9, 1.0f)));
  b.initializer("one", Tensor::scalar<std::int64_t>(1));
  b.initializer("zero", Tensor::scalar<float>(0.0f));
  b.initializer("minus_inf", Tensor::scalar<float>(-std::numeric_limits<float>::infinity()));
  b.initializer("d", Tensor::scalar<float>(4.0f));
  b.node("Trilu", {"ones", "one"}, {"above"});  // upper from diagonal 1: the future tokens
  set_attr(b.node("Cast", {"above"}, {"future"}), "to", std::int64_t{TensorProto::BOOL});
  b.node("Where", {"future", "minus_inf", "zero"}, {"mask"});
  b.node("Sqrt", {"d"}, {"root"});
  b.node("Reciprocal", {"root"}, {"half"});
  b.node("Neg", {"half"}, {"minus_half"});
  b.node("Add", {"scores", "mask"}, {"masked"});
  b.node("Mul", {"masked", "minus_half"}, {"y"});
  const auto out = test::run_pass(b, "fold-constants");
  EXPECT_EQ(out.after.node_count(), 2u) << "the Add and the Mul of the scores are left";
  for (const char* folded : {"Trilu folded", "Where folded", "Reciprocal folded", "Neg folded"}) {
    EXPECT_EQ(out.stats.counters().count(folded), 1u) << folded;
  }
  const Value* mask = out.after.find_value("mask");
  ASSERT_NE(mask, nullptr);
  ASSERT_TRUE(mask->is_constant());
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> expected{0, -inf, -inf, 0, 0, -inf, 0, 0, 0};
  EXPECT_EQ(std::vector<float>(mask->constant->span<float>().begin(), mask->constant->span<float>().end()), expected);
  const Value* minus_half = out.after.find_value("minus_half");
  ASSERT_NE(minus_half, nullptr);
  ASSERT_TRUE(minus_half->is_constant());
  EXPECT_EQ(minus_half->constant->span<float>()[0], -0.5f);
}

TEST(FoldConstants, AnOutOfRangeIndexInShapeArithmeticNamesTheNode) {
  OnnxBuilder b;
  b.input("x", {1, 3}).initializer("nine", Tensor::scalar<std::int64_t>(9)).output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "nine"}, {"g"}, "bad_gather");
  b.node("Reshape", {"x", "g"}, {"y"});
  try {
    test::run_pass(b, "fold-constants");
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("bad_gather"), std::string::npos) << e.what();
  }
}


// torch >= 2.1's scaled_dot_product_attention(is_causal=True): the mask built from the shapes of
// q and of a view of the keys that nothing else reads (Shape -> Slice -> Concat -> Expand of 1 ->
// Trilu -> Equal 0 -> Where(-inf, 0)), and a Split after it whose input's shape the importer
// could not know. Everything folds; the keys' view read by the Shape alone goes with it; the
// Split's parts get their shapes; the graph computes what it did.
OnnxBuilder sdpa_mask_from_shapes(const std::vector<std::int64_t>& split_sizes) {
  OnnxBuilder b;
  b.input("q", {1, 2, 4, 8}).input("k", {1, 4, 2, 8}).output("a").output("b");
  b.initializer("minus1", i64({-1})).initializer("minus2", i64({-2}));
  b.initializer("one", Tensor::from_vector<float>({1}, {1.0f})).initializer("zero", Tensor::from_vector<float>({1}, {0.0f}));
  b.initializer("minus_inf", Tensor::from_vector<float>({1}, {-std::numeric_limits<float>::infinity()}));
  b.initializer("sizes", i64(split_sizes));
  set_attr(b.node("Transpose", {"k"}, {"k_heads"}, "keys_view"), "perm", std::vector<std::int64_t>{0, 2, 1, 3});
  b.node("Shape", {"q"}, {"q_shape"});
  b.node("Shape", {"k_heads"}, {"k_shape"});
  b.node("Slice", {"q_shape", "minus2", "minus1"}, {"rows"});
  b.node("Slice", {"k_shape", "minus2", "minus1"}, {"columns"});
  set_attr(b.node("Concat", {"rows", "columns"}, {"size"}), "axis", std::int64_t{0});
  b.node("Expand", {"one", "size"}, {"ones"});
  set_attr(b.node("Trilu", {"ones"}, {"lower"}), "upper", std::int64_t{0});
  b.node("Equal", {"lower", "zero"}, {"future"});
  b.node("Where", {"future", "minus_inf", "zero"}, {"mask"});
  set_attr(b.node("Transpose", {"q"}, {"q_t"}), "perm", std::vector<std::int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"q", "q_t"}, {"scores"});
  b.node("Add", {"scores", "mask"}, {"masked"});
  set_attr(b.node("Split", {"masked", "sizes"}, {"a", "b"}, "split"), "axis", std::int64_t{3});
  return b;
}

TEST(FoldConstants, AMaskBuiltFromShapesFoldsAndAViewReadByItsShapeAloneGoes) {
  const auto out = test::run_pass(sdpa_mask_from_shapes({1, 3}), "fold-constants");
  EXPECT_EQ(out.after.find_node("keys_view"), nullptr);
  EXPECT_EQ(out.stats.counters().at("nodes read by a folded Shape alone removed"), 1);
  const Value* mask = out.after.find_value("mask");
  ASSERT_NE(mask, nullptr);
  ASSERT_TRUE(mask->is_constant());
  EXPECT_EQ(mask->shape, (Shape{4, 4}));
  EXPECT_EQ(out.after.find_value("b")->shape, (Shape{1, 2, 4, 3}));
  test::expect_same_outputs(out.before, out.after);
}

TEST(FoldConstants, ASplitWhoseSizesMissItsAxisOnceKnownIsNamed) {
  try {
    test::run_pass(sdpa_mask_from_shapes({1, 2}), "fold-constants");
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("Split 'split': its sizes add up to 3 along axis 3, but its input 'masked' is [1,2,4,4]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wb
