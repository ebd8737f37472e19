// The `workbench` binary end to end: exit codes and the one-line errors of bad input.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>

#include "compiler/frontend/tensor_files.h"
#include "compiler/passes/pass_registry.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using test::CommandResult;
using test::expect_bad_input;
using test::workbench;
using test::workload;

std::string infer_saved(const test::OnnxBuilder& builder, const test::TempDir& dir) {
  builder.save(dir / "m.onnx");
  return "infer " + (dir / "m.onnx").string();
}

TEST(Cli, HelpAndUsage) {
  const CommandResult help = workbench("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("inspect"), std::string::npos);
  EXPECT_NE(help.out.find("infer"), std::string::npos);
  EXPECT_EQ(workbench("infer --help").exit_code, 0);
  EXPECT_EQ(workbench("").exit_code, 2);
  EXPECT_EQ(workbench("frobnicate").exit_code, 2);
  EXPECT_EQ(workbench("infer").exit_code, 2);  // MODEL missing
}

TEST(Cli, InspectPrintsTheTable) {
  const CommandResult run = workbench("inspect " + workload("tiny_resnet.onnx"));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("/layer1/conv1/Conv"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("unsupported  none"), std::string::npos) << run.out;
}

TEST(Cli, InspectAfterPassesShowsFusedLayers) {
  const CommandResult run = workbench("inspect " + workload("tiny_resnet.onnx") + " --passes default");
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("fold-batchnorm: batchnorms folded 6"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Conv+Add+Relu"), std::string::npos) << run.out;
  expect_bad_input(workbench("inspect " + workload("tiny_resnet.onnx") + " --passes fold-everything"),
                   "unknown pass 'fold-everything'");
  const CommandResult list = workbench("passes");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(fmt::format("default pipeline: {}", kDefaultPipeline)), std::string::npos) << list.out;
}

TEST(Cli, InferWritesTheOutputAndPrintsTopFive) {
  test::TempDir dir;
  const CommandResult run = workbench("infer " + workload("tiny_resnet.onnx") + " --input " + workload("tiny_resnet.input.npy") +
                            " --output " + (dir / "y.npy").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("top-5"), std::string::npos) << run.out;
  const Tensor y = read_tensor_file(dir / "y.npy");
  EXPECT_EQ(y.shape(), (Shape{1, 10}));
  const CommandResult pb = workbench("infer " + workload("tiny_resnet.onnx") + " -o " + (dir / "y.pb").string());
  EXPECT_EQ(pb.exit_code, 0) << pb.out;
  EXPECT_EQ(read_tensor_file(dir / "y.pb").shape(), (Shape{1, 10}));
}

TEST(Cli, TruncatedModelExitsTwoWithOneLine) {
  test::TempDir dir;
  const std::string bytes = test::read_workload("tiny_resnet.onnx");
  std::ofstream(dir / "cut.onnx", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  expect_bad_input(workbench("infer " + (dir / "cut.onnx").string()), "cut.onnx");
}

TEST(Cli, NonOnnxFileExitsTwoWithOneLine) {
  expect_bad_input(workbench("inspect " + workload("README.md")), "README.md");
}

// A folder given as the model is called a folder, not a missing file; a binary file given as
// the hardware config is called a binary file, in valid UTF-8, not quoted.
TEST(Cli, AFolderOrABinaryFileWhereAFileOfTextBelongsIsNamedSo) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "model_dir");
  expect_bad_input(workbench("run --hw " + (test::source_dir() / "configs" / "gap8.yaml").string() + " " +
                             (dir / "model_dir").string()),
                   "model_dir: a directory, not a file");
  const CommandResult binary = workbench("hw show " + workload("tiny_resnet.onnx"));
  expect_bad_input(binary, "tiny_resnet.onnx: not a text file");
  EXPECT_TRUE(std::all_of(binary.out.begin(), binary.out.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
      << "the bytes are escaped, not printed";
}

TEST(Cli, TwoUnsupportedOpsAreBothNamed) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 4}).output("z");
  b.node("TopK", {"x"}, {"s"}, "first_bad");
  b.node("Hardmax", {"x"}, {"z"}, "second_bad");
  const CommandResult run = workbench(infer_saved(b, dir));
  expect_bad_input(run, "'first_bad' (TopK)");
  EXPECT_NE(run.out.find("'second_bad' (Hardmax)"), std::string::npos) << run.out;
  // inspect still prints the table, then fails with the same list.
  const CommandResult inspect = workbench("inspect " + (dir / "m.onnx").string());
  EXPECT_EQ(inspect.exit_code, 2);
  EXPECT_NE(inspect.out.find("Hardmax (!)"), std::string::npos) << inspect.out;
}

TEST(Cli, ManyUnsupportedNodesAreCappedAtTenWithACount) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 4});
  std::string previous = "x";
  for (int i = 0; i < 130; ++i) {
    const std::string next = fmt::format("v{}", i);
    b.node("Hardmax", {previous}, {next}, fmt::format("hardmax_{}", i));
    previous = next;
  }
  b.output(previous);
  const CommandResult run = workbench(infer_saved(b, dir));
  expect_bad_input(run, "130 unsupported nodes");
  EXPECT_NE(run.out.find("'hardmax_9' (Hardmax)"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("'hardmax_10' (Hardmax)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("and 120 more"), std::string::npos) << run.out;
}

// Twelve nodes that import but have no integer form: inspect lists every one (the quantizer's
// own error shows ten and points here), names the scheme, and exits 2 after writing the JSON.
TEST(Cli, InspectListsEveryNodeThatCannotBeQuantized) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 4});
  std::string previous = "x";
  for (int i = 0; i < 12; ++i) {
    const std::string next = fmt::format("v{}", i);
    b.node("Sqrt", {previous}, {next}, fmt::format("sqrt_{}", i));
    previous = next;
  }
  b.output(previous);
  b.save(dir / "m.onnx");
  const CommandResult inspect = workbench("inspect " + (dir / "m.onnx").string() + " --json " + (dir / "i.json").string());
  EXPECT_EQ(inspect.exit_code, 2);
  EXPECT_NE(inspect.out.find("error: " + (dir / "m.onnx").string() + ": 12 nodes cannot be quantized in scheme pow2 (listed above)"),
            std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("unsupported  none"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("quantizable  no: 12 nodes"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("  sqrt_11 (Sqrt): no integer form"), std::string::npos) << inspect.out;
  EXPECT_EQ(test::read_json(dir / "i.json")["quantization"]["unquantizable"].size(), 12u);
  // The error of a run shows ten and names the command that lists them all.
  const CommandResult run = workbench("run --hw " + (test::source_dir() / "configs" / "gap8.yaml").string() + " " +
                                      (dir / "m.onnx").string() + " --no-data");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("and 2 more; `workbench inspect MODEL` lists them all"), std::string::npos) << run.out;
  // A quantizable model says so, with the scheme the target would use.
  const CommandResult fine = workbench("inspect " + workload("tiny_resnet.onnx") + " --scheme pulp");
  EXPECT_EQ(fine.exit_code, 0) << fine.out;
  EXPECT_NE(fine.out.find("quantizable  every node (scheme pulp)"), std::string::npos) << fine.out;
}

// A MatMul reading a Reshape whose target shape is computed from the input's shape: its MACs
// are known only after folding, and inspect counts them.
TEST(Cli, InspectCountsMacsOfShapesKnownAfterFolding) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {2, 3, 4}).initializer("w", test::random_tensor({4, 5}, 1));
  b.initializer("zero", Tensor::scalar<std::int64_t>(0)).initializer("one", Tensor::scalar<std::int64_t>(1));
  b.initializer("axes", Tensor::from_vector<std::int64_t>({1}, {0})).initializer("four", Tensor::from_vector<std::int64_t>({1}, {4}));
  b.output("y");
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "zero"}, {"batch"});
  b.node("Gather", {"s", "one"}, {"tokens"});
  b.node("Mul", {"batch", "tokens"}, {"rows"});
  b.node("Unsqueeze", {"rows", "axes"}, {"rows1"});
  test::set_attr(b.node("Concat", {"rows1", "four"}, {"target"}), "axis", std::int64_t{0});
  b.node("Reshape", {"x", "target"}, {"flat"});
  b.node("MatMul", {"flat", "w"}, {"y"}, "fc");
  b.save(dir / "m.onnx");
  const CommandResult inspect = workbench("inspect " + (dir / "m.onnx").string() + " --json " + (dir / "i.json").string());
  const auto json = test::read_json(dir / "i.json");
  EXPECT_EQ(json["totals"]["macs"], 6 * 4 * 5) << inspect.out;
}

TEST(Cli, MissingInitializerExitsTwo) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 3, 4, 4}).output("y");
  b.node("Conv", {"x", "weights_that_are_not_there"}, {"y"}, "conv");
  expect_bad_input(workbench(infer_saved(b, dir)), "weights_that_are_not_there");
}

TEST(Cli, MissingExternalDataExitsTwo) {
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 2}).output("y");
  b.external_initializer("w", {2, 2}, "weights.bin");
  b.node("MatMul", {"x", "w"}, {"y"});
  expect_bad_input(workbench(infer_saved(b, dir)), "weights.bin");
}

TEST(Cli, WrongInputShapeExitsTwoAndWritesNoOutput) {
  test::TempDir dir;
  write_tensor_file(dir / "bad.npy", Tensor(DType::F32, {1, 3, 16, 16}));
  const CommandResult run = workbench("infer " + workload("tiny_resnet.onnx") + " --input " + (dir / "bad.npy").string() +
                            " --output " + (dir / "y.npy").string());
  expect_bad_input(run, "bad.npy: graph input 'input' is [1,3,32,32] in the model, so its dimension 2 is 32, not 16");
  EXPECT_FALSE(std::filesystem::exists(dir / "y.npy"));
}

TEST(Cli, WrongNumberOfInputsExitsTwo) {
  const CommandResult run = workbench("infer " + workload("tiny_resnet.onnx") + " -i " + workload("tiny_resnet.input.npy") +
                            " -i " + workload("tiny_resnet.input.npy"));
  expect_bad_input(run, "the model has only 1 graph input (input), each given already");
}

}  // namespace
}  // namespace wb
