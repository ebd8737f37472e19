#include "tests/unit/compiler/passes/token_layout/token_layout_testing.h"

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/passes/pass_registry.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb::test {

PipelinedWorkload after_default_pipeline(const std::string& name) {
  PipelinedWorkload w;
  w.graph = import_onnx_file(workloads_dir() / (name + ".onnx")).graph;
  const Tensor input = read_tensor_file(workloads_dir() / (name + ".input.npy"));
  const Tensor expected = read_tensor_file(workloads_dir() / (name + ".output.npy"));
  PassManager::from_pipeline(kDefaultPipeline).run(w.graph);
  for (const Node* node : w.graph.nodes()) {
    w.convs += node->op == OpKind::Conv;
    w.matmuls += node->op == OpKind::MatMul;
    if (node->op == OpKind::LayerNormalization) w.layernorms.push_back(node);
  }
  w.error = max_error_relative_to_peak(ReferenceExecutor(w.graph).run({input})[0], expected);
  return w;
}

}  // namespace wb::test
