#include "compiler/passes/pass_manager.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "compiler/passes/pass_registry.h"
#include "support/error.h"
#include "tests/support/pass_testing.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

TEST(PassManager, DefaultPipelineExpands) {
  const auto manager = PassManager::from_pipeline("default");
  EXPECT_EQ(manager.pipeline(), kDefaultPipeline);
  EXPECT_EQ(PassManager::from_pipeline("default,avgpool-to-depthwise").pipeline(),
            std::string(kDefaultPipeline) + ",avgpool-to-depthwise");
}

TEST(PassManager, UnknownPassListsTheKnownOnes) {
  try {
    PassManager::from_pipeline("remove-identity,fold-everything");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown pass 'fold-everything'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("fold-batchnorm"), std::string::npos);
  }
  EXPECT_THROW(PassManager::from_pipeline("remove-identity,,fold-pad"), UserError);
}

TEST(PassManager, OrderConstraintsAreEnforced) {
  EXPECT_THROW(PassManager::from_pipeline("fuse-activation,fold-batchnorm"), UserError);
  EXPECT_NO_THROW(PassManager::from_pipeline("fold-batchnorm,fuse-activation"));
  EXPECT_NO_THROW(PassManager::from_pipeline("fuse-activation"));  // absent predecessors are fine
}

TEST(PassManager, PrintsAfterChosenPassesOnlyWhenChanged) {
  Graph graph = import_onnx_file(test::workloads_dir() / "tiny_resnet.onnx").graph;
  std::ostringstream printed;
  PassManagerOptions options;
  options.print_after = {"fold-batchnorm", "collapse-concat"};
  options.print_stream = &printed;
  const auto records = PassManager::from_pipeline("default", options).run(graph);
  EXPECT_NE(printed.str().find("// -----// IR after fold-batchnorm //----- //"), std::string::npos);
  EXPECT_EQ(printed.str().find("after collapse-concat"), std::string::npos);  // it changed nothing
  EXPECT_NE(format_pass_statistics(records).find("fold-batchnorm: batchnorms folded 6"), std::string::npos)
      << format_pass_statistics(records);
}

TEST(PassManager, DumpsOneFilePerPass) {
  test::TempDir dir;
  Graph graph = import_onnx_file(test::workloads_dir() / "tiny_resnet.onnx").graph;
  PassManagerOptions options;
  options.print_after_all = true;
  options.print_only_if_changed = false;
  options.dump_dir = dir.path() / "ir";
  PassManager::from_pipeline("remove-identity,fold-batchnorm", options).run(graph);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "ir" / "01-remove-identity.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "ir" / "02-fold-batchnorm.txt"));
}

TEST(PassManager, DefaultPipelineKeepsTheSmallWorkloadsOutputs) {
  for (const char* name : {"tiny_resnet", "tiny_inception", "tiny_mobilenet_v2", "tiny_mobilenet_v2_opset9"}) {
    const Graph before = import_onnx_file(test::workloads_dir() / (std::string(name) + ".onnx")).graph;
    Graph after = before.clone();
    PassManager::from_pipeline("default,avgpool-to-depthwise").run(after);
    EXPECT_EQ(test::count_op(after, OpKind::BatchNormalization), 0u) << name;
    test::expect_same_outputs(before, after, 1e-5);
  }
}

// docs/passes.md is the passes' reference: a row for every registered pass and the default
// pipeline as it is (a pass added to the pipeline without its row once went unnoticed).
TEST(PassManager, TheDocsListEveryPassAndTheDefaultPipeline) {
  std::ifstream in(test::source_dir() / "docs" / "passes.md");
  ASSERT_TRUE(in) << "docs/passes.md";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const PassInfo& pass : registered_passes()) {
    EXPECT_NE(doc.find(fmt::format("| `{}` |", pass.name)), std::string::npos) << "no row for " << pass.name;
  }
  EXPECT_NE(doc.find(fmt::format("**Default pipeline:** `{}`", kDefaultPipeline)), std::string::npos)
      << "docs/passes.md's default pipeline differs from kDefaultPipeline";
}

}  // namespace
}  // namespace wb
