#include "tests/support/pass_testing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/golden/reference_executor.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/passes/pass_registry.h"
#include "tests/support/tensor_compare.h"

namespace wb::test {

PassOutcome run_pass(const OnnxBuilder& builder, std::string_view pipeline) {
  PassOutcome outcome;
  outcome.before = import_onnx_model(builder.proto(), std::nullopt).graph;
  outcome.after = outcome.before.clone();
  for (const auto& record : PassManager::from_pipeline(pipeline).run(outcome.after)) {
    outcome.changed = outcome.changed || record.changed;
    for (const auto& [counter, count] : record.counters) outcome.stats.add(counter, count);
  }
  return outcome;
}

void expect_same_outputs(const Graph& a, const Graph& b, double tolerance) {
  const auto inputs = random_inputs(a, 7);
  const auto ya = ReferenceExecutor(a).run(inputs);
  const auto yb = ReferenceExecutor(b).run(inputs);
  ASSERT_EQ(ya.size(), yb.size());
  for (std::size_t i = 0; i < ya.size(); ++i) {
    ASSERT_EQ(ya[i].shape(), yb[i].shape()) << "output " << i;
    EXPECT_LE(max_error_relative_to_peak(yb[i], ya[i]), tolerance) << "output " << i;
  }
}

std::size_t count_op(const Graph& graph, OpKind op) {
  std::size_t n = 0;
  for (const Node* node : graph.nodes()) n += node->op == op ? 1 : 0;
  return n;
}

Tensor positive_tensor(const Shape& shape, std::uint32_t seed) {
  Tensor t = random_tensor(shape, seed);
  for (float& v : t.span<float>()) v = 0.5f + std::abs(v);
  return t;
}

void add_batchnorm(OnnxBuilder& builder, const std::string& in, const std::string& out, std::int64_t channels) {
  const Tensor var = positive_tensor({channels}, 6);
  builder.initializer("gamma", random_tensor({channels}, 3))
      .initializer("beta", random_tensor({channels}, 4))
      .initializer("mean", random_tensor({channels}, 5))
      .initializer("var", var);
  set_attr(builder.node("BatchNormalization", {in, "gamma", "beta", "mean", "var"}, {out}), "epsilon", 1e-3f);
}

}  // namespace wb::test
