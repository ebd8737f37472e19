#include "compiler/passes/channel_moves_to_gather.h"

#include <gtest/gtest.h>

#include "tests/support/pass_testing.h"

namespace wb {
namespace {

using test::OnnxBuilder;
using test::set_attr;

Tensor ints(const std::vector<std::int64_t>& values) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}

// x[1, 8, 3, 5] -> Reshape [1, g, 8 / g, 3, 5] -> Transpose `perm` -> Reshape [1, 8, 3, 5].
OnnxBuilder shuffle(std::int64_t groups, std::vector<std::int64_t> perm = {0, 2, 1, 3, 4}) {
  OnnxBuilder b;
  b.input("x", {1, 8, 3, 5}).output("y");
  b.initializer("grouped_shape", ints({1, groups, 8 / groups, 3, 5})).initializer("flat_shape", ints({1, -1, 3, 5}));
  b.node("Reshape", {"x", "grouped_shape"}, {"grouped"}, "reshape");
  set_attr(b.node("Transpose", {"grouped"}, {"transposed"}, "transpose"), "perm", std::move(perm));
  b.node("Reshape", {"transposed", "flat_shape"}, {"y"}, "shuffle");
  return b;
}

std::vector<std::int64_t> gathered(const Graph& graph, const std::string& node) {
  const Node* gather = graph.find_node(node);
  EXPECT_NE(gather, nullptr) << node;
  if (gather == nullptr) return {};
  EXPECT_EQ(gather->op, OpKind::Gather);
  EXPECT_EQ(gather->attrs.get_int("axis", 0), 1);
  return gather->constant_input(1)->to_int64_vector();
}

TEST(ChannelMovesToGather, AShuffleOfTwoGroupsInterleavesTheHalves) {
  const auto out = test::run_pass(shuffle(2), "channel-moves-to-gather");
  EXPECT_EQ(out.after.node_count(), 1u);
  EXPECT_EQ(gathered(out.after, "shuffle"), (std::vector<std::int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(out.after.outputs()[0]->name, "y");
  test::expect_same_outputs(out.before, out.after);
}

TEST(ChannelMovesToGather, AShuffleOfFourGroupsGivesTheSameTensor) {
  const auto out = test::run_pass(shuffle(4), "channel-moves-to-gather");
  EXPECT_EQ(test::count_op(out.after, OpKind::Gather), 1u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Transpose), 0u);
  test::expect_same_outputs(out.before, out.after);
}

TEST(ChannelMovesToGather, AnotherTransposeOrASharedIntermediateStays) {
  EXPECT_FALSE(test::run_pass(shuffle(2, {0, 1, 2, 4, 3}), "channel-moves-to-gather").changed);
  OnnxBuilder shared = shuffle(2);
  shared.output("grouped");
  EXPECT_FALSE(test::run_pass(shared, "channel-moves-to-gather").changed);
}

// x[1, 8, 4, 4] -> Slice (starts, ends, axes[, steps]) -> y.
OnnxBuilder slice(std::vector<std::int64_t> starts, std::vector<std::int64_t> ends, std::vector<std::int64_t> axes,
                  std::vector<std::int64_t> steps = {}) {
  OnnxBuilder b;
  b.input("x", {1, 8, 4, 4}).output("y");
  b.initializer("starts", ints(starts)).initializer("ends", ints(ends)).initializer("axes", ints(axes));
  std::vector<std::string> inputs{"x", "starts", "ends", "axes"};
  if (!steps.empty()) {
    b.initializer("steps", ints(steps));
    inputs.push_back("steps");
  }
  b.node("Slice", inputs, {"y"}, "slice");
  return b;
}

TEST(ChannelMovesToGather, ChannelSlicesBecomeGathersOfTheirRange) {
  const auto first = test::run_pass(slice({0}, {4}, {1}), "channel-moves-to-gather");
  EXPECT_EQ(gathered(first.after, "slice"), (std::vector<std::int64_t>{0, 1, 2, 3}));
  test::expect_same_outputs(first.before, first.after);
  // torch's chunk: the second half up to INT64_MAX, written with a negative axis.
  const auto second = test::run_pass(slice({4}, {INT64_MAX}, {-3}), "channel-moves-to-gather");
  EXPECT_EQ(gathered(second.after, "slice"), (std::vector<std::int64_t>{4, 5, 6, 7}));
  test::expect_same_outputs(second.before, second.after);
  // A whole-axis slice of H beside the channels is still a channel move.
  const auto with_rows = test::run_pass(slice({2, 0}, {5, 4}, {1, 2}), "channel-moves-to-gather");
  EXPECT_EQ(gathered(with_rows.after, "slice"), (std::vector<std::int64_t>{2, 3, 4}));
}

TEST(ChannelMovesToGather, SlicesOfRowsOrWithStepsStay) {
  EXPECT_FALSE(test::run_pass(slice({0}, {2}, {2}), "channel-moves-to-gather").changed);
  EXPECT_FALSE(test::run_pass(slice({0}, {8}, {1}, {2}), "channel-moves-to-gather").changed);
  EXPECT_FALSE(test::run_pass(slice({0, 1}, {4, 3}, {1, 3}), "channel-moves-to-gather").changed);
}

}  // namespace
}  // namespace wb
