// Every pass of the float pipeline, applied one after the other to the exported torchvision
// workloads, keeps the graph's output within 1e-4 (relative to the peak) of the unfused graph.

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/passes/pass_registry.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

class PassesOnModel : public ::testing::TestWithParam<std::string> {};

TEST_P(PassesOnModel, EveryPassKeepsTheOutput) {
  const auto dir = test::workload_cache_dir() / GetParam();
  ASSERT_TRUE(std::filesystem::exists(dir / "meta.json")) << "not exported: " << dir;
  const Graph original = import_onnx_file(dir / "model.onnx").graph;
  const std::vector<Tensor> input{read_tensor_file(dir / "input.npy")};
  const Tensor reference = ReferenceExecutor(original).run(input)[0];

  Graph graph = original.clone();
  for (const auto& info : registered_passes()) {
    PassManager manager;
    manager.add(create_pass(info.name));
    manager.run(graph);
    const Tensor output = ReferenceExecutor(graph).run(input)[0];
    const double error = test::max_error_relative_to_peak(output, reference);
    EXPECT_LT(error, 1e-4) << GetParam() << " after " << info.name;
  }
  EXPECT_LT(graph.node_count(), original.node_count());
}

INSTANTIATE_TEST_SUITE_P(Torchvision, PassesOnModel,
                         ::testing::Values("resnet18", "resnet50", "googlenet", "mobilenet_v2", "squeezenet1_1",
                                           "mobilenet_v1_128"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace wb
