#include "compiler/ir/graph.h"

#include <gtest/gtest.h>

#include "compiler/ir/printer.h"
#include "support/error.h"

namespace wb {
namespace {

// x -> Relu(a) -> Relu(b) -> y, with node b inserted before a.
Graph two_relus_out_of_order() {
  Graph g;
  Value* x = g.add_value("x");
  x->dtype = DType::F32;
  x->shape = {1, 4};
  Value* mid = g.add_value("mid");
  Value* y = g.add_value("y");
  g.add_node(OpKind::Relu, "b", {mid}, {y});
  g.add_node(OpKind::Relu, "a", {x}, {mid});
  g.inputs().push_back(x);
  g.outputs().push_back(y);
  return g;
}

TEST(Graph, TopologicalOrderPutsProducersFirst) {
  const Graph g = two_relus_out_of_order();
  const auto order = g.topological_order();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0]->name, "a");
  EXPECT_EQ(order[1]->name, "b");
}

TEST(Graph, TopologicalOrderDetectsCycles) {
  Graph g;
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  g.add_node(OpKind::Relu, "n1", {a}, {b});
  g.add_node(OpKind::Relu, "n2", {b}, {a});
  EXPECT_THROW(g.topological_order(), UserError);
}

TEST(Graph, DuplicateNamesAndDoubleProducersAreRejected) {
  Graph g;
  Value* a = g.add_value("a");
  EXPECT_THROW(g.add_value("a"), UserError);
  Value* b = g.add_value("b");
  g.add_node(OpKind::Relu, "n1", {a}, {b});
  EXPECT_THROW(g.add_node(OpKind::Relu, "n2", {a}, {b}), UserError);
}

TEST(Graph, UsersAndReplaceAllUses) {
  Graph g = two_relus_out_of_order();
  Value* x = g.find_value("x");
  Value* mid = g.find_value("mid");
  ASSERT_EQ(g.users(mid).size(), 1u);
  g.replace_all_uses(mid, x);
  EXPECT_TRUE(g.users(mid).empty());
  EXPECT_EQ(g.users(x).size(), 2u);
}

TEST(Graph, EraseNodeClearsProducer) {
  Graph g = two_relus_out_of_order();
  Node* b = g.find_node("b");
  Value* y = g.find_value("y");
  g.erase_node(b);
  EXPECT_EQ(y->producer, nullptr);
  EXPECT_EQ(g.node_count(), 1u);
}

TEST(Graph, CloneIsDeepAndIndependent) {
  Graph g = two_relus_out_of_order();
  g.add_constant("w", Tensor::from_vector<float>({2}, {1, 2}));
  Graph copy = g.clone();
  EXPECT_EQ(to_string(copy), to_string(g));
  copy.find_node("a")->name = "renamed";
  EXPECT_NE(g.find_node("a"), nullptr);
  EXPECT_NE(copy.find_value("mid")->producer, g.find_value("mid")->producer);
  EXPECT_EQ(copy.find_value("w")->constant, g.find_value("w")->constant);  // immutable data is shared
}

TEST(Graph, UniqueValueNameAvoidsExistingNames) {
  Graph g;
  g.add_value("t");
  g.add_value("t_1");
  EXPECT_EQ(g.unique_value_name("t"), "t_2");
  EXPECT_EQ(g.unique_value_name("u"), "u");
}

TEST(Printer, PrintsTypesConstantsAndAttributes) {
  Graph g;
  g.name = "demo";
  g.opset = 13;
  Value* x = g.add_value("x");
  x->dtype = DType::F32;
  x->shape = {1, 2};
  Value* w = g.add_constant("w", Tensor::from_vector<float>({2, 2}, {1, 0, 0, 1}));
  Value* y = g.add_value("y");
  y->dtype = DType::F32;
  y->shape = {1, 2};
  Node* n = g.add_node(OpKind::Gemm, "fc", {x, w}, {y});
  n->attrs.set("transB", std::int64_t{1});
  g.inputs().push_back(x);
  g.outputs().push_back(y);
  const std::string text = to_string(g);
  EXPECT_NE(text.find("graph \"demo\" (opset 13)"), std::string::npos) << text;
  EXPECT_NE(text.find("%y : f32[1,2] = Gemm \"fc\" (%x, %w : const f32[2,2]) {transB=1}"), std::string::npos) << text;
  EXPECT_NE(text.find("output %y : f32[1,2]"), std::string::npos) << text;
}

}  // namespace
}  // namespace wb
