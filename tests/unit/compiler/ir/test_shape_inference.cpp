#include "compiler/ir/shape_inference.h"

#include <gtest/gtest.h>

#include "support/error.h"

namespace wb {
namespace {

// Builds one node over typed inputs and infers it.
class OneNode {
 public:
  Value* input(const std::string& name, DType dtype, Shape shape) {
    Value* v = graph.add_value(name);
    v->dtype = dtype;
    v->shape = std::move(shape);
    return v;
  }
  Value* constant(const std::string& name, Tensor t) { return graph.add_constant(name, std::move(t)); }
  Node* node(OpKind op, std::vector<Value*> inputs, std::size_t outputs = 1) {
    std::vector<Value*> outs;
    for (std::size_t i = 0; i < outputs; ++i) outs.push_back(graph.add_value("out" + std::to_string(i)));
    return graph.add_node(op, "n", std::move(inputs), std::move(outs));
  }
  Graph graph;
};

TEST(ShapeInference, ConvWithGroupsAndPadding) {
  OneNode t;
  Node* n = t.node(OpKind::Conv, {t.input("x", DType::F32, {1, 32, 56, 56}), t.input("w", DType::F32, {32, 1, 3, 3})});
  n->attrs.set("group", std::int64_t{32});
  n->attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  n->attrs.set("strides", std::vector<std::int64_t>{2, 2});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{1, 32, 28, 28}));
  EXPECT_EQ(n->output()->dtype, DType::F32);
}

TEST(ShapeInference, ConvChannelMismatchNamesBothShapes) {
  OneNode t;
  Node* n = t.node(OpKind::Conv, {t.input("x", DType::F32, {1, 3, 8, 8}), t.input("w", DType::F32, {8, 4, 3, 3})});
  try {
    infer_node(*n);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("[8,4,3,3]"), std::string::npos) << e.what();
  }
}

TEST(ShapeInference, IntegerConvsProduceInt32OrTheOutputZeroPointType) {
  OneNode t;
  Node* n = t.node(OpKind::ConvInteger, {t.input("x", DType::U8, {1, 1, 4, 4}), t.input("w", DType::U8, {1, 1, 2, 2})});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->dtype, DType::I32);
  EXPECT_EQ(n->output()->shape, (Shape{1, 1, 3, 3}));
}

TEST(ShapeInference, GemmWithTransposes) {
  OneNode t;
  Node* n = t.node(OpKind::Gemm, {t.input("a", DType::F32, {1, 2048}), t.input("b", DType::F32, {1000, 2048}),
                                  t.input("c", DType::F32, {1000})});
  n->attrs.set("transB", std::int64_t{1});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{1, 1000}));
}

TEST(ShapeInference, MatMulBatchesAndVectors) {
  OneNode t;
  Node* n = t.node(OpKind::MatMul, {t.input("a", DType::F32, {2, 1, 3, 4}), t.input("b", DType::F32, {5, 4, 6})});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{2, 5, 3, 6}));
  OneNode v;
  Node* m = v.node(OpKind::MatMul, {v.input("a", DType::F32, {4}), v.input("b", DType::F32, {4, 6})});
  ASSERT_TRUE(infer_node(*m));
  EXPECT_EQ(m->output()->shape, (Shape{6}));
}

TEST(ShapeInference, ReshapeWithZeroAndMinusOne) {
  OneNode t;
  Node* n = t.node(OpKind::Reshape, {t.input("x", DType::F32, {2, 3, 4}),
                                     t.constant("s", Tensor::from_vector<std::int64_t>({2}, {0, -1}))});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{2, 12}));
}

TEST(ShapeInference, ReshapeOfWrongSizeIsAnError) {
  OneNode t;
  Node* n = t.node(OpKind::Reshape, {t.input("x", DType::F32, {2, 3}),
                                     t.constant("s", Tensor::from_vector<std::int64_t>({1}, {5}))});
  EXPECT_THROW(infer_node(*n), UserError);
}

TEST(ShapeInference, DataDependentShapeIsLeftForRunTime) {
  OneNode t;
  Node* n = t.node(OpKind::Reshape, {t.input("x", DType::F32, {2, 3}), t.input("s", DType::I64, {1})});
  EXPECT_FALSE(infer_node(*n));
  EXPECT_FALSE(n->output()->has_type());
}

TEST(ShapeInference, FlattenConcatTransposePad) {
  {
    OneNode t;
    Node* n = t.node(OpKind::Flatten, {t.input("x", DType::F32, {1, 2048, 1, 1})});
    ASSERT_TRUE(infer_node(*n));
    EXPECT_EQ(n->output()->shape, (Shape{1, 2048}));
  }
  {
    OneNode t;
    Node* n = t.node(OpKind::Concat, {t.input("a", DType::F32, {1, 64, 28, 28}), t.input("b", DType::F32, {1, 32, 28, 28})});
    n->attrs.set("axis", std::int64_t{-3});
    ASSERT_TRUE(infer_node(*n));
    EXPECT_EQ(n->output()->shape, (Shape{1, 96, 28, 28}));
  }
  {
    OneNode t;
    Node* n = t.node(OpKind::Transpose, {t.input("x", DType::F32, {1, 2, 3})});
    ASSERT_TRUE(infer_node(*n));
    EXPECT_EQ(n->output()->shape, (Shape{3, 2, 1}));  // default: reversed axes
  }
  {
    OneNode t;
    Node* n = t.node(OpKind::Pad, {t.input("x", DType::F32, {1, 3, 4, 4}),
                                   t.constant("p", Tensor::from_vector<std::int64_t>({8}, {0, 0, 1, 0, 0, 0, 1, 2}))});
    ASSERT_TRUE(infer_node(*n));
    EXPECT_EQ(n->output()->shape, (Shape{1, 3, 6, 6}));
  }
}

TEST(ShapeInference, PoolsAndGlobalPools) {
  OneNode t;
  Node* n = t.node(OpKind::MaxPool, {t.input("x", DType::F32, {1, 64, 112, 112})});
  n->attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  n->attrs.set("strides", std::vector<std::int64_t>{2, 2});
  n->attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{1, 64, 56, 56}));
  OneNode g;
  Node* m = g.node(OpKind::GlobalAveragePool, {g.input("x", DType::F32, {1, 512, 7, 7})});
  ASSERT_TRUE(infer_node(*m));
  EXPECT_EQ(m->output()->shape, (Shape{1, 512, 1, 1}));
}

TEST(ShapeInference, MissingPoolKernelIsAnError) {
  OneNode t;
  Node* n = t.node(OpKind::MaxPool, {t.input("x", DType::F32, {1, 1, 4, 4})});
  EXPECT_THROW(infer_node(*n), UserError);
}

TEST(ShapeInference, BroadcastingElementwiseAndTypeMismatch) {
  OneNode t;
  Node* n = t.node(OpKind::Add, {t.input("a", DType::F32, {1, 64, 8, 8}), t.input("b", DType::F32, {64, 1, 1})});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->shape, (Shape{1, 64, 8, 8}));
  OneNode u;
  Node* m = u.node(OpKind::Add, {u.input("a", DType::F32, {4}), u.input("b", DType::I32, {4})});
  EXPECT_THROW(infer_node(*m), UserError);
}

TEST(ShapeInference, QuantizeTakesTheZeroPointType) {
  OneNode t;
  Node* n = t.node(OpKind::QuantizeLinear, {t.input("x", DType::F32, {4}), t.constant("s", Tensor::scalar<float>(0.1f)),
                                            t.constant("z", Tensor::scalar<std::int8_t>(0))});
  ASSERT_TRUE(infer_node(*n));
  EXPECT_EQ(n->output()->dtype, DType::I8);
  OneNode u;
  Node* m = u.node(OpKind::QuantizeLinear, {u.input("x", DType::F32, {4}), u.constant("s", Tensor::scalar<float>(0.1f))});
  ASSERT_TRUE(infer_node(*m));
  EXPECT_EQ(m->output()->dtype, DType::U8);  // default zero point type
}

TEST(ShapeInference, GraphPassNamesTheFailingNode) {
  Graph g;
  Value* x = g.add_value("x");
  x->dtype = DType::F32;
  x->shape = {1, 3, 8, 8};
  Value* w = g.add_constant("w", Tensor(DType::F32, {8, 5, 3, 3}));
  g.add_node(OpKind::Conv, "conv_bad", {x, w}, {g.add_value("y")});
  try {
    infer_shapes(g);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("conv_bad"), std::string::npos) << e.what();
  }
}

TEST(ShapeInference, NormalizeAxis) {
  EXPECT_EQ(normalize_axis(-1, 4), 3);
  EXPECT_EQ(normalize_axis(4, 4, true), 4);
  EXPECT_EQ(normalize_axis(-4, 4, true), 0);
  EXPECT_THROW(normalize_axis(4, 4), UserError);
  EXPECT_THROW(normalize_axis(-5, 4), UserError);
}

}  // namespace
}  // namespace wb
