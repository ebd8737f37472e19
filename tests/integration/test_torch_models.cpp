// Real networks end to end: the models scripts/export_workloads.py exported from torchvision
// (ctest runs the export first, as the fixture 'export_workloads'), imported by the frontend
// and run by the float reference executor, against torch's own output.

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"
#include "workbench/inspect.h"

namespace wb {
namespace {

std::filesystem::path model_dir(const std::string& name) {
  const auto dir = test::workload_cache_dir() / name;
  if (!std::filesystem::exists(dir / "meta.json")) {
    ADD_FAILURE() << "no exported " << name << " in " << dir << " (run scripts/export_workloads.py " << name << ")";
  }
  return dir;
}

class TorchModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchModel, ReferenceExecutorMatchesTorch) {
  const auto dir = model_dir(GetParam());
  const ImportedModel model = import_onnx_file(dir / "model.onnx");
  const Tensor input = read_tensor_file(dir / "input.npy");
  const Tensor expected = read_tensor_file(dir / "output.npy");
  const Tensor actual = ReferenceExecutor(model.graph).run({input})[0];
  ASSERT_EQ(actual.shape(), expected.shape());
  const double error = test::max_error_relative_to_peak(actual, expected);
  RecordProperty("max_error_relative_to_peak", std::to_string(error));
  EXPECT_LT(error, 1e-4) << GetParam() << ": max |ours - torch| / max |torch| = " << error;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchModel, ::testing::Values("resnet50", "googlenet", "mobilenet_v2"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST(TorchModelCounts, ResNet50MacsMatchThePublishedCount) {
  const auto dir = model_dir("resnet50");
  const ImportedModel model = import_onnx_file(dir / "model.onnx");
  const InspectReport report = build_inspect_report(model, "resnet50");
  EXPECT_EQ(report.conv_macs, 4'087'136'256);
  EXPECT_EQ(report.fc_macs, 2'048'000);
  EXPECT_EQ(report.total_macs, 4'089'184'256);
  std::int64_t sum = 0;
  for (const auto& row : report.rows) sum += row.macs;
  EXPECT_EQ(sum, report.total_macs);
}

}  // namespace
}  // namespace wb
