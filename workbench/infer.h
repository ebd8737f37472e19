#pragma once
// `workbench infer`: float reference inference of a model on given or seeded random inputs.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "compiler/ir/tensor.h"
#include "workbench/run_inputs.h"

namespace wb {

struct InferOptions {
  std::filesystem::path model;
  InputFiles inputs;                           // by name or in graph-input order; empty: random
  std::vector<GivenShape> shapes;              // --shape: sizes of symbolic input dimensions
  std::vector<std::filesystem::path> outputs;  // i-th file receives the i-th graph output
  std::uint64_t seed = 0;
  int top_k = 5;
};

struct InferResult {
  std::vector<std::string> output_names;
  std::vector<Tensor> outputs;
  double milliseconds = 0;
};

InferResult run_infer(const InferOptions& options, std::ostream& log);

// The k largest entries of a float tensor's last axis (first row), best first.
std::vector<std::pair<std::int64_t, double>> top_k(const Tensor& tensor, int k);

}  // namespace wb
