#include "compiler/passes/unroll_recurrence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/ir/op_counts.h"
#include "compiler/quant/quantizer.h"
#include "tests/support/pass_testing.h"
#include "tests/support/quant_testing.h"

namespace wb {
namespace {

using test::Recurrent;

std::size_t named(const Graph& g, const std::string& part) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->name.find(part) != std::string::npos ? 1 : 0;
  return n;
}

// Every cell, direction and GRU form: the unrolled steps compute Y and Y_h as the op does.
TEST(UnrollRecurrence, EveryCellAndDirectionKeepsTheOutputs) {
  for (const std::string op : {"LSTM", "GRU", "RNN"}) {
    for (const std::string direction : {"forward", "reverse", "bidirectional"}) {
      for (const std::int64_t lbr : {0, 1}) {
        if (op != "GRU" && lbr == 0) continue;
        SCOPED_TRACE(testing::Message() << op << " " << direction << " linear_before_reset " << lbr);
        const auto out = test::run_pass(
            test::recurrent_model({.op = op, .direction = direction, .linear_before_reset = lbr}), "unroll-recurrence");
        ASSERT_TRUE(out.changed);
        EXPECT_EQ(test::count_op(out.after, OpKind::LSTM) + test::count_op(out.after, OpKind::GRU) +
                      test::count_op(out.after, OpKind::RNN),
                  0u);
        test::expect_same_outputs(out.before, out.after, 1e-5);
      }
    }
  }
}

// A 5-step LSTM of 4 units: per step a pixel of the sequence, a 1x1 conv per gate of the input
// and (after the first step, from the zero state) of the state; the first step has no forget
// gate (the zero cell forgets nothing).
TEST(UnrollRecurrence, AnLstmIsItsStepsInImageForm) {
  const auto out = test::run_pass(test::recurrent_model(), "unroll-recurrence");
  EXPECT_EQ(named(out.after, "/x_gate"), 5u * 4 - 1);
  EXPECT_EQ(named(out.after, "/h_gate"), 4u * 4);  // steps 1..4
  EXPECT_EQ(named(out.after, "/f_c"), 4u);
  EXPECT_EQ(test::count_op(out.after, OpKind::Conv), 5u * 4 - 1 + 4u * 4);
  // The network input [1, 5, 3] is read as its token image [1, 3, 1, 5], torch's transpose gone.
  EXPECT_EQ(out.after.find_node("time_major"), nullptr);
  const Node* view = out.after.find_node("rnn/sequence");
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->output(0)->shape, (Shape{1, 3, 1, 5}));
}

// Stacked layers: the second reads the first's sequence image, a step's selection its image.
TEST(UnrollRecurrence, ASecondLayerReadsTheFirstsStepsAndALastStepIsItsImage) {
  test::OnnxBuilder b = test::recurrent_model({.direction = "bidirectional"});
  auto& graph = *b.model().mutable_graph();
  graph.mutable_output()->Clear();
  graph.add_output()->set_name("last");
  // torch's bidirectional hand-over: Y [T, 2, 1, H] -> Transpose(0, 2, 1, 3) -> Reshape [T, 1, 2H].
  test::set_attr(b.node("Transpose", {"y"}, {"yt"}, "y_t"), "perm", std::vector<std::int64_t>{0, 2, 1, 3});
  b.initializer("seq_shape", Tensor::from_vector<std::int64_t>({3}, {5, 1, 8}));
  b.node("Reshape", {"yt", "seq_shape"}, {"seq"}, "y_seq");
  b.initializer("w2", test::random_tensor({1, 16, 8}, 81)).initializer("r2", test::random_tensor({1, 16, 4}, 82));
  test::set_attr(b.node("LSTM", {"seq", "w2", "r2"}, {"y2"}, "rnn2"), "hidden_size", std::int64_t{4});
  b.initializer("last_index", Tensor::scalar<std::int64_t>(-1));
  test::set_attr(b.node("Gather", {"y2", "last_index"}, {"last"}, "last_step"), "axis", std::int64_t{0});
  const auto out = test::run_pass(b, "unroll-recurrence");
  EXPECT_EQ(test::count_op(out.after, OpKind::LSTM), 0u);
  EXPECT_EQ(out.after.find_node("y_t"), nullptr);  // the hand-over views no longer read
  EXPECT_EQ(test::count_op(out.after, OpKind::Gather), 5u * 2);  // the first layer's steps only
  test::expect_same_outputs(out.before, out.after, 1e-5);
}

// What the integer targets cannot take stays an op, for the quantizer to name.
TEST(UnrollRecurrence, GivenStatesPeepholesAndBatchesStay) {
  test::OnnxBuilder with_state = test::recurrent_model();
  with_state.initializer("h0", test::random_tensor({1, 1, 4}, 91));
  auto* node = with_state.model().mutable_graph()->mutable_node(1);
  node->add_input("");
  node->add_input("h0");
  const auto out = test::run_pass(with_state, "unroll-recurrence");
  EXPECT_FALSE(out.changed);
  const quant::QuantizeOptions options;
  const auto rejected = quant::unquantizable_nodes(out.after, options);
  EXPECT_THAT(rejected, testing::Contains(testing::HasSubstr(
                            "rnn (LSTM): a recurrent layer whose steps the targets cannot run: an initial state other than zeros")));
}

}  // namespace
}  // namespace wb
