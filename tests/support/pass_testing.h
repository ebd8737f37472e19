#pragma once
// Running one pass on a small model and checking it kept the graph's meaning.

#include <string_view>

#include "compiler/frontend/onnx_import.h"
#include "compiler/passes/pass.h"
#include "tests/support/onnx_builder.h"

namespace wb::test {

struct PassOutcome {
  Graph before;
  Graph after;
  PassStatistics stats;
  bool changed = false;
};

// Imports the model, runs the pass (or comma-separated pipeline) through a PassManager, so
// the graph is verified and shape-inferred afterwards, and keeps both graphs. `changed` and
// `stats` cover all passes run.
PassOutcome run_pass(const OnnxBuilder& builder, std::string_view pipeline);

// Both graphs on the same seeded random inputs: outputs equal within `tolerance`, relative
// to each output's peak.
void expect_same_outputs(const Graph& a, const Graph& b, double tolerance = 1e-5);

std::size_t count_op(const Graph& graph, OpKind op);

// Seeded values in [0.5, ...): a variance, a scale that never divides by zero.
Tensor positive_tensor(const Shape& shape, std::uint32_t seed);

// Adds seeded BatchNormalization parameters over `channels` ("gamma", "beta", "mean", "var",
// the variance positive) and the node in -> out, epsilon 1e-3.
void add_batchnorm(OnnxBuilder& builder, const std::string& in, const std::string& out, std::int64_t channels);

}  // namespace wb::test
