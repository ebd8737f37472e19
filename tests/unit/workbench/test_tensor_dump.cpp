#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/integer_executor.h"
#include "tests/support/quant_testing.h"
#include "tests/support/temp_dir.h"
#include "workbench/tensor_dump.h"

namespace wb {
namespace {

TEST(TensorDump, OneNpyPerTensorInExecutionOrder) {
  quant::QuantizeOptions options;
  options.scheme = quant::Scheme::Xdnn;
  const quant::QGraph graph = test::quantize_model(test::small_cnn(), options).qgraph;
  const golden::IntegerExecutor executor(graph);
  const std::vector<Tensor> inputs = {test::random_tensor({1, 3, 12, 12}, 7)};

  std::vector<Tensor> observed;
  std::vector<std::string> names;
  executor.run(inputs, [&](int index, const Tensor& q) {
    observed.push_back(q);
    names.push_back(graph.tensor(index).name);
  });
  const test::TempDir dir;
  const auto outputs = run_and_dump(executor, inputs, dir / "nested" / "dump");

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "nested" / "dump")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), observed.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string file = files[i].filename().string();
    // NNN_ then the tensor's name with anything outside [A-Za-z0-9._-] replaced by '_'.
    std::string prefix = std::to_string(i) + "_";
    prefix.insert(0, 4 - prefix.size(), '0');
    EXPECT_EQ(file.substr(0, 4), prefix) << file;
    for (const char c : file.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') << file;
    EXPECT_EQ(read_tensor_file(files[i]), observed[i]) << file << " (" << names[i] << ")";
  }
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(read_tensor_file(files.back()), outputs[0]);
}

}  // namespace
}  // namespace wb
