// Runs every ONNX backend node test in ../shared/onnx-conformance/node, and those the build
// generated for op types added since (generate_node_cases.py), through the frontend and the
// reference executor. The folders hold only ops the workbench supports, so every case must
// pass; none is skipped. A failing case is reported by its folder name.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/frontend/tensor_proto.h"
#include "compiler/golden/reference_executor.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

namespace fs = std::filesystem;

const fs::path kExtraCases = WB_TEST_EXTRA_CONFORMANCE_DIR;

// Case folder names of both folders (the names of ONNX's cases are unique).
std::vector<std::string> conformance_cases(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> conformance_cases() {
  std::vector<std::string> names = conformance_cases(test::conformance_dir());
  for (std::string& name : conformance_cases(kExtraCases)) names.push_back(std::move(name));
  return names;
}

fs::path case_folder(const std::string& name) {
  return fs::exists(test::conformance_dir() / name) ? test::conformance_dir() / name : kExtraCases / name;
}

std::vector<Tensor> read_numbered(const fs::path& folder, const std::string& prefix) {
  std::vector<Tensor> tensors;
  for (int i = 0;; ++i) {
    const fs::path file = folder / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    tensors.push_back(read_tensor_file(file));
  }
  return tensors;
}

TEST(OnnxConformance, FolderHoldsCases) {
  // Guards against a run that silently executes nothing.
  EXPECT_GE(conformance_cases(test::conformance_dir()).size(), 100u)
      << "no conformance data under " << test::conformance_dir();
  EXPECT_FALSE(conformance_cases(kExtraCases).empty()) << "no generated cases under " << kExtraCases;
}

class OnnxConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxConformance, MatchesExpectedOutputs) {
  const fs::path folder = case_folder(GetParam());
  const ImportedModel model = import_onnx_file(folder / "model.onnx");
  const fs::path data = folder / "test_data_set_0";
  const std::vector<Tensor> inputs = read_numbered(data, "input_");
  const std::vector<Tensor> expected = read_numbered(data, "output_");
  ASSERT_FALSE(expected.empty()) << "case has no expected outputs";

  const ReferenceExecutor executor(model.graph);
  const std::vector<Tensor> actual = executor.run(inputs);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto result = test::compare_tensors(actual[i], expected[i], 1e-4, 1e-5);
    EXPECT_TRUE(result.equal) << GetParam() << " output " << i << ": " << result.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Node, OnnxConformance, ::testing::ValuesIn(conformance_cases()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace wb
