#pragma once
// The float/integer reference executor: runs a canonical Graph (as the frontend or the
// passes produce it) on host tensors, op by op in topological order. Float32 Conv runs on
// oneDNN; float64 Conv and Gemm use im2col + Eigen GEMM; the quantized ONNX ops follow the
// ONNX spec exactly.
//
// It drives calibration and is the foundation of the oracle, so correctness comes first;
// it is checked against ONNX's own conformance cases and against torch on real networks.

#include <functional>
#include <memory>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::golden {
class KernelCache;
}

namespace wb {

class ReferenceExecutor {
 public:
  // Throws UserError if the graph has Unsupported or untyped nodes.
  explicit ReferenceExecutor(const Graph& graph);

  // Called with each value as soon as it is computed (inputs and constants excluded).
  using Observer = std::function<void(const Value& value, const Tensor& tensor)>;

  // `inputs` in the order of graph.inputs(); each must match the declared dtype and shape
  // (UserError naming the input otherwise). Returns the graph outputs in order.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, const Observer& observer = {}) const;

  // Checks one input against the graph's declaration.
  void check_input(std::size_t index, const Tensor& tensor) const;

 private:
  const Graph& graph_;
  std::vector<const Node*> order_;
  // Steps whose output types depend on run-time data and are inferred from the actual tensors.
  std::vector<bool> dynamic_;
  // For each step, the values whose last reader it is (freed after the step).
  std::vector<std::vector<const Value*>> release_after_;
  // What kernels prepare once and reuse on later runs (oneDNN primitives, reordered weights).
  std::shared_ptr<golden::KernelCache> kernel_cache_;
};

// Worker threads of the executor's parallel loops and GEMMs (default: all cores).
void set_reference_threads(int threads);

// Seeded random inputs matching the graph's inputs: floats N(0, 1), token ids uniform over
// their embedding table's rows (compiler/ir/token_ids.h), other integers uniform over their
// range.
std::vector<Tensor> random_inputs(const Graph& graph, std::uint64_t seed);

}  // namespace wb
