#include "compiler/ir/op_counts.h"

#include <gtest/gtest.h>

#include "compiler/ir/shape_inference.h"

namespace wb {
namespace {

struct Built {
  Graph graph;
  Node* node = nullptr;
};

Value* typed(Graph& g, const std::string& name, Shape shape) {
  Value* v = g.add_value(name);
  v->dtype = DType::F32;
  v->shape = std::move(shape);
  return v;
}

TEST(OpCounts, ConvMacsFollowTheConvention) {
  // ResNet's first conv: 64 x 112 x 112 outputs, each 3 x 7 x 7 MACs = 118,013,952.
  Graph g;
  Value* w = g.add_constant("w", Tensor(DType::F32, {64, 3, 7, 7}));
  Node* n = g.add_node(OpKind::Conv, "conv1", {typed(g, "x", {1, 3, 224, 224}), w}, {g.add_value("y")});
  n->attrs.set("strides", std::vector<std::int64_t>{2, 2});
  n->attrs.set("pads", std::vector<std::int64_t>{3, 3, 3, 3});
  infer_shapes(g);
  const OpCounts c = count_node(*n);
  EXPECT_EQ(c.macs, 118013952);
  EXPECT_EQ(c.ops, 2 * 118013952);
  EXPECT_EQ(c.params, 64 * 3 * 7 * 7);
}

TEST(OpCounts, DepthwiseConvCountsOneInputChannelPerOutput) {
  Graph g;
  Value* w = g.add_constant("w", Tensor(DType::F32, {32, 1, 3, 3}));
  Value* b = g.add_constant("b", Tensor(DType::F32, {32}));
  Node* n = g.add_node(OpKind::Conv, "dw", {typed(g, "x", {1, 32, 10, 10}), w, b}, {g.add_value("y")});
  n->attrs.set("group", std::int64_t{32});
  infer_shapes(g);
  EXPECT_EQ(count_node(*n).macs, 32 * 8 * 8 * 9);
  EXPECT_EQ(count_node(*n).params, 32 * 9 + 32);
}

TEST(OpCounts, GemmAndMatMul) {
  Graph g;
  Value* w = g.add_constant("w", Tensor(DType::F32, {1000, 2048}));
  Node* n = g.add_node(OpKind::Gemm, "fc", {typed(g, "x", {1, 2048}), w}, {g.add_value("y")});
  n->attrs.set("transB", std::int64_t{1});
  Node* m = g.add_node(OpKind::MatMul, "mm", {typed(g, "a", {2, 3, 4}), typed(g, "b", {4, 5})}, {g.add_value("z")});
  infer_shapes(g);
  EXPECT_EQ(count_node(*n).macs, 2048000);
  EXPECT_EQ(count_node(*m).macs, 2 * 3 * 5 * 4);
  EXPECT_TRUE(is_matmul_op(OpKind::Gemm));
  EXPECT_TRUE(is_conv_op(OpKind::QLinearConv));
}

TEST(OpCounts, PoolingCountsWindowPerOutputAndEltwiseOnePerOutput) {
  Graph g;
  Node* pool = g.add_node(OpKind::MaxPool, "pool", {typed(g, "x", {1, 64, 112, 112})}, {g.add_value("p")});
  pool->attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  pool->attrs.set("strides", std::vector<std::int64_t>{2, 2});
  pool->attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  Node* gap = g.add_node(OpKind::GlobalAveragePool, "gap", {typed(g, "f", {1, 512, 7, 7})}, {g.add_value("q")});
  Node* add = g.add_node(OpKind::Add, "add", {typed(g, "a", {1, 8, 4, 4}), typed(g, "b", {1, 8, 4, 4})}, {g.add_value("s")});
  Node* relu = g.add_node(OpKind::Relu, "relu", {typed(g, "r", {1, 8})}, {g.add_value("t")});
  infer_shapes(g);
  EXPECT_EQ(count_node(*pool).ops, 64 * 56 * 56 * 9);
  EXPECT_EQ(count_node(*pool).macs, 0);
  EXPECT_EQ(count_node(*gap).ops, 512 * 49);
  EXPECT_EQ(count_node(*add).ops, 8 * 16);
  EXPECT_EQ(count_node(*relu).ops, 0);
}

TEST(OpCounts, UntypedNodesCountNothing) {
  Graph g;
  Node* n = g.add_node(OpKind::Conv, "c", {g.add_value("x"), g.add_value("w")}, {g.add_value("y")});
  EXPECT_EQ(count_node(*n).macs, 0);
}

}  // namespace
}  // namespace wb
