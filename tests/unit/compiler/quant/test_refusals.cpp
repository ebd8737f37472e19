// A refusal names its root cause once: what a root cause strands around it is named in its line,
// root causes joined by data moves are one line, and a node a pass made is named by the model's
// node it was made from.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/quant/refusals.h"

namespace wb::quant {
namespace {

using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

constexpr const char* kNoForm = "no integer form";
constexpr const char* kNotHere = "only in attention";

// x -> Unsqueeze "root" -> Slice "part" -> Expand "root2" -> Reshape "view" -> Transpose "t" ->
// MatMul "mm" (of t and x); y -> Relu -> Softmax "lonely"; x -> Sqrt "sqrt" -> Sqrt "sqrt2".
struct Refused {
  Graph graph;
  std::vector<Refusal> refusals;
  Node* t = nullptr;
};

Refused refused_graph() {
  Refused r;
  Graph& g = r.graph;
  Value* x = g.add_value("x");
  Value* y = g.add_value("y");
  g.inputs() = {x, y};
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  Value* c = g.add_value("c");
  Value* d = g.add_value("d");
  Value* e = g.add_value("e");
  Value* f = g.add_value("f");
  Value* h = g.add_value("h");
  Value* s = g.add_value("s");
  Node* root = g.add_node(OpKind::Unsqueeze, "root", {x}, {a});
  g.add_node(OpKind::Slice, "part", {a}, {b});
  Node* root2 = g.add_node(OpKind::Expand, "root2", {b}, {c});
  g.add_node(OpKind::Reshape, "view", {c}, {d});
  r.t = g.add_node(OpKind::Transpose, "t", {d}, {e});
  Node* mm = g.add_node(OpKind::MatMul, "mm", {e, x}, {f});
  g.add_node(OpKind::Relu, "relu", {y}, {h});
  Node* lonely = g.add_node(OpKind::Softmax, "lonely", {h}, {s});
  Value* q = g.add_value("q");
  Value* q2 = g.add_value("q2");
  Node* sqrt = g.add_node(OpKind::Sqrt, "sqrt", {x}, {q});
  Node* sqrt2 = g.add_node(OpKind::Sqrt, "sqrt2", {q}, {q2});
  g.outputs() = {f, s, q2};
  r.refusals = {{root, kNoForm, false},
                {root2, "its own reason", false},
                {r.t, kNotHere, true},
                {mm, kNotHere, true},
                {lonely, "not over the channels", true},
                {sqrt, kNoForm, false},
                {sqrt2, kNoForm, false}};
  return r;
}

TEST(Refusals, ARootCauseNamesWhatItStrandsAndWhatJoinsItOnce) {
  const Refused r = refused_graph();
  const std::vector<std::string> lines = refusal_lines(r.graph, r.refusals);
  ASSERT_EQ(lines.size(), 4u) << testing::PrintToString(lines);
  EXPECT_THAT(lines[0], AllOf(HasSubstr("root (Unsqueeze) and 1 more joined to it by data moves (root2 (Expand))"),
                              HasSubstr(std::string(": ") + kNoForm), HasSubstr("root2 (Expand): its own reason"),
                              HasSubstr("with them 2 nodes around fail"), HasSubstr("t (Transpose), mm (MatMul)")));
  // Reached through arithmetic (the Relu) only: a refusal of its own.
  EXPECT_EQ(lines[1], "lonely (Softmax): not over the channels");
  // Arithmetic without an integer form is a cause each time, joined or not.
  EXPECT_EQ(lines[2], std::string("sqrt (Sqrt): ") + kNoForm);
  EXPECT_EQ(lines[3], std::string("sqrt2 (Sqrt): ") + kNoForm);
}

TEST(Refusals, RefusalsOfWhereWithNoRootCauseAreEachTold) {
  Refused r = refused_graph();
  r.refusals.erase(r.refusals.begin(), r.refusals.begin() + 2);
  r.refusals.resize(3);
  const std::vector<std::string> lines = refusal_lines(r.graph, r.refusals);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], std::string("t (Transpose): ") + kNotHere);
  EXPECT_EQ(lines[1], std::string("mm (MatMul): ") + kNotHere);
}

TEST(Refusals, ANodeAPassMadeIsNamedByTheModelsNode) {
  Refused r = refused_graph();
  r.t->made_from = "/attn/Reshape_7";
  const std::vector<std::string> lines = refusal_lines(r.graph, r.refusals);
  EXPECT_THAT(lines[0], AllOf(HasSubstr("/attn/Reshape_7 (as a pass rewrote it: a Transpose)"),
                              Not(HasSubstr("t (Transpose)"))));
}

}  // namespace
}  // namespace wb::quant
