#include "compiler/passes/rewrite/pixel_moves.h"

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;
using Ints = std::vector<std::int64_t>;

Tensor pixel_ints(const Ints& v) { return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v); }

// x: a stage's [1, H 2, W 3, C 2], its rows the pixels 0..5 in HW order; `op` builds one node
// "move" reading it (and constants), writing "y".
template <typename Build>
std::optional<PixelRows> rows_after(Build op) {
  OnnxBuilder b(17);
  b.input("x", {1, 2, 3, 2}).output("y");
  op(b);
  const Graph graph = import_onnx_model(b.proto(), std::nullopt).graph;
  const Node* move = graph.find_node("move");
  EXPECT_NE(move, nullptr);
  if (move == nullptr) return std::nullopt;
  const PixelRows x = identity_rows(6);
  std::vector<const PixelRows*> rows(move->inputs.size(), nullptr);
  rows[0] = &x;
  if (move->op == OpKind::Concat) rows.assign(move->inputs.size(), &x);
  return move_pixels(*move, rows, 2);
}

TEST(PixelMoves, ASliceAlongWPicksColumns) {
  const auto rows = rows_after([](OnnxBuilder& b) {
    b.initializer("s", pixel_ints({1})).initializer("e", pixel_ints({3})).initializer("a", pixel_ints({2}));
    b.node("Slice", {"x", "s", "e", "a"}, {"y"}, "move");
  });
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(*rows, (PixelRows{1, 2, 4, 5}));
}

TEST(PixelMoves, AStridedSliceAndARollAreMovesToo) {
  const auto strided = rows_after([](OnnxBuilder& b) {
    b.initializer("s", pixel_ints({0})).initializer("e", pixel_ints({3})).initializer("a", pixel_ints({2}));
    b.initializer("st", pixel_ints({2}));
    b.node("Slice", {"x", "s", "e", "a", "st"}, {"y"}, "move");
  });
  ASSERT_TRUE(strided.has_value());
  EXPECT_EQ(*strided, (PixelRows{0, 2, 3, 5}));
  // Concat(x, x) along H: every pixel twice.
  const auto twice = rows_after([](OnnxBuilder& b) { set_attr(b.node("Concat", {"x", "x"}, {"y"}, "move"), "axis", std::int64_t{1}); });
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(*twice, (PixelRows{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}));
}

TEST(PixelMoves, ATransposeOfHAndWReordersPixels) {
  const auto rows = rows_after([](OnnxBuilder& b) { set_attr(b.node("Transpose", {"x"}, {"y"}, "move"), "perm", Ints{0, 2, 1, 3}); });
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(*rows, (PixelRows{0, 3, 1, 4, 2, 5}));
}

TEST(PixelMoves, MovesThatSplitAPixelAreNone) {
  // Channels moved to another axis, a concat of channels, a pad's new pixels: no row is a
  // whole pixel of the image (or the channels are no longer the last axis).
  EXPECT_FALSE(rows_after([](OnnxBuilder& b) { set_attr(b.node("Transpose", {"x"}, {"y"}, "move"), "perm", Ints{0, 3, 1, 2}); }));
  EXPECT_FALSE(rows_after([](OnnxBuilder& b) { set_attr(b.node("Concat", {"x", "x"}, {"y"}, "move"), "axis", std::int64_t{3}); }));
  EXPECT_FALSE(rows_after([](OnnxBuilder& b) {
    b.initializer("s", pixel_ints({0})).initializer("e", pixel_ints({1})).initializer("a", pixel_ints({3}));
    b.node("Slice", {"x", "s", "e", "a"}, {"y"}, "move");
  }));
  EXPECT_FALSE(rows_after([](OnnxBuilder& b) {
    b.initializer("pads", pixel_ints({0, 0, 0, 0, 0, 1, 0, 0}));
    b.node("Pad", {"x", "pads"}, {"y"}, "move");
  }));
}

TEST(PixelMoves, APadOfZerosMovesNothing) {
  const auto rows = rows_after([](OnnxBuilder& b) {
    b.initializer("pads", pixel_ints({0, 0, 0, 0, 0, 0, 0, 0}));
    b.node("Pad", {"x", "pads"}, {"y"}, "move");
  });
  ASSERT_TRUE(rows.has_value());
  EXPECT_TRUE(is_identity(*rows));
}

TEST(PixelMoves, OnlyDataMovesAreFollowed) {
  EXPECT_TRUE(moves_data(OpKind::Reshape));
  EXPECT_FALSE(moves_data(OpKind::Relu));
  EXPECT_FALSE(rows_after([](OnnxBuilder& b) { b.node("Relu", {"x"}, {"y"}, "move"); }));
}

}  // namespace
}  // namespace wb
