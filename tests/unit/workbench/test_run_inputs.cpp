// The inputs a run feeds its model (workbench/run_inputs.h) and the shapes of a model exported
// with dynamic dimensions: `--input` by name or in the graph's order, its checks before any
// quantizing, `--shape`, and a dynamic-H/W export that runs at its real size or not at all.

#include "workbench/run_inputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <limits>

#include "compiler/frontend/tensor_files.h"
#include "support/error.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/temp_dir.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

using test::CommandResult;
using test::workbench;
using test::workload;
using testing::HasSubstr;

TEST(RunInputs, AnInputOptionIsNameEqualsPathOrAPath) {
  EXPECT_EQ(parse_input_option("ids=a.npy"), (InputFile{"ids", "a.npy"}));
  EXPECT_EQ(parse_input_option("a.npy"), (InputFile{"", "a.npy"}));
  EXPECT_EQ(parse_input_option("=a.npy"), (InputFile{"", "=a.npy"}));
  // An existing file is that file, even with an '=' in its name.
  const test::TempDir dir;
  const std::filesystem::path odd = dir / "x=1.npy";
  write_tensor_file(odd, test::random_tensor({1, 2}, 1));
  EXPECT_EQ(parse_input_option(odd.string()), (InputFile{"", odd}));
  EXPECT_EQ((InputFile{"ids", "a.npy"}).option(), "ids=a.npy");
}

TEST(RunInputs, FilesAreBoundByNameAndCheckedAgainstTheirInputs) {
  const test::TempDir dir;
  write_tensor_file(dir / "a.npy", test::random_tensor({1, 4}, 1));
  write_tensor_file(dir / "b.npy", test::random_tensor({1, 2, 2}, 2));
  const std::vector<RunInputSpec> inputs = {{"x", {1, 2, 2}, DType::F32}, {"y", {1, 4}, DType::F32}};
  const std::vector<Tensor> read = read_input_files({{"y", dir / "a.npy"}, {"", dir / "b.npy"}}, inputs);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(read[1].shape(), (Shape{1, 4}));
  const std::string missing = test::user_error_of([&] { read_input_files({{"y", dir / "a.npy"}}, inputs); });
  EXPECT_THAT(missing, HasSubstr("graph input 'x' has no --input (the model has 2 inputs: x, y)"));
  const std::string shape = test::user_error_of([&] { read_input_files({{"", dir / "a.npy"}, {"", dir / "a.npy"}}, inputs); });
  EXPECT_THAT(shape, HasSubstr("holds f32 of shape [1,4], but graph input 'x' takes f32 of shape [1,2,2]"));
  const std::string name = test::user_error_of([&] { read_input_files({{"z", dir / "a.npy"}}, inputs); });
  EXPECT_THAT(name, HasSubstr("no graph input 'z'"));
}

TEST(RunInputs, EveryInputProblemIsOneErrorLineBeforeAnythingIsQuantized) {
  // Count, shape, element type and finiteness: each the only line the run prints (nothing on
  // stdout: no "quantized ..." or "compiled ..." before it, no warning after it).
  const test::TempDir dir;
  const std::string model = workload("tiny_resnet.onnx");
  const std::string gap8 = fmt::format("{}/configs/gap8.yaml", WB_TEST_SOURCE_DIR);
  Tensor wide = test::random_tensor({1, 3, 32, 32}, 3).cast(DType::F64);
  write_tensor_file(dir / "f64.npy", wide);
  write_tensor_file(dir / "small.npy", test::random_tensor({1, 3, 17, 17}, 3));
  Tensor nan = test::random_tensor({1, 3, 32, 32}, 3);
  nan.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
  write_tensor_file(dir / "nan.npy", nan);
  write_tensor_file(dir / "ok.npy", test::random_tensor({1, 3, 32, 32}, 3));
  const auto run = [&](const std::string& inputs) {
    return workbench(fmt::format("run --hw {} {} --no-cache {}", gap8, model, inputs));
  };
  test::expect_bad_input(run("--input " + (dir / "f64.npy").string()),
                         "f64.npy: holds f64 of shape [1,3,32,32], but graph input 'input' takes f32 of shape [1,3,32,32]");
  test::expect_bad_input(run("--input " + (dir / "small.npy").string()), "its dimension 2 is 32, not 17");
  test::expect_bad_input(run("--input " + (dir / "nan.npy").string()), "nan.npy: holds NaN or Inf");
  test::expect_bad_input(run(fmt::format("--input {0} --input {0}", (dir / "ok.npy").string())),
                         "the model has only 1 graph input (input), each given already");
}

TEST(RunInputs, AFileIsReadableAndFiniteBeforeAnythingElse) {
  const test::TempDir dir;
  Tensor t = test::random_tensor({1, 4}, 1);
  t.data<float>()[2] = std::numeric_limits<float>::infinity();
  write_tensor_file(dir / "inf.npy", t);
  EXPECT_THAT(test::user_error_of([&] { input_file_shapes({{"", dir / "inf.npy"}}); }),
              HasSubstr("--input " + (dir / "inf.npy").string() + ": holds NaN or Inf"));
  EXPECT_THAT(test::user_error_of([&] { input_file_shapes({{"x", dir / "nope.npy"}}); }), HasSubstr("nope.npy"));
  write_tensor_file(dir / "ok.npy", test::random_tensor({1, 3, 8, 8}, 1));
  const std::vector<GivenShape> shapes = input_file_shapes({{"x", dir / "ok.npy"}});
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0], (GivenShape{"x", {1, 3, 8, 8}, "--input x=" + (dir / "ok.npy").string(), DType::F32}));
}

TEST(RunInputs, TheReportNamesEachInputsData) {
  quant::QTensor x, y, ids;
  x.name = "x";
  y.name = "y";
  ids.name = "ids";
  ids.token_ids = true;
  EXPECT_EQ(input_sources({{"y", "a.npy"}}, {x, y, ids}, 3),
            (std::vector<std::string>{"seeded N(0,1), seed 3", "--input y=a.npy", "seeded token ids inside their table, seed 3"}));
  EXPECT_EQ(run_input_spec(ids).dtype, DType::I64);
  EXPECT_EQ(run_input_spec(x).dtype, DType::F32);
}

// tiny_resnet exported with dynamic batch, height and width (scripts/export_workloads.py).
const char* const kDynamic = "tiny_resnet_dynamic.onnx";

std::string hw(const std::string& name) { return fmt::format("{}/configs/{}.yaml", WB_TEST_SOURCE_DIR, name); }

TEST(DynamicShapes, WithoutAnInputOrShapeTheRunExitsTwoNamingTheDimension) {
  for (const char* config : {"v3_96", "gap8"}) {
    const CommandResult run = workbench(fmt::format("run --hw {} {} --quiet", hw(config), workload(kDynamic)));
    EXPECT_EQ(run.exit_code, 2) << run.out;
    EXPECT_THAT(run.out, HasSubstr("dimension 2 ('height') is symbolic")) << run.out;
    EXPECT_THAT(run.out, HasSubstr("--shape input=1x3x<height>x<width>")) << run.out;
    EXPECT_THAT(run.out, testing::Not(HasSubstr("bit-exact"))) << run.out;
  }
}

// The MACs of the static export of the same network at 32x32, as inspect counts them.
std::uint64_t static_macs() {
  const test::TempDir dir;
  const CommandResult inspect =
      workbench(fmt::format("inspect {} --json {}", workload("tiny_resnet.onnx"), (dir / "i.json").string()));
  EXPECT_EQ(inspect.exit_code, 0) << inspect.out;
  return test::read_json(dir / "i.json")["totals"]["macs"].get<std::uint64_t>();
}

TEST(DynamicShapes, WithARealInputItRunsAtItsRealSizeBitExactlyOnBothTargets) {
  const std::uint64_t macs = static_macs();
  ASSERT_GT(macs, 100000u);
  for (const char* config : {"v3_96", "gap8"}) {
    const test::TempDir dir;
    const CommandResult run =
        workbench(fmt::format("run --hw {} {} --input {} --calib-count 2 --quiet --json {}", hw(config),
                              workload(kDynamic), workload("tiny_resnet_dynamic.input.npy"), (dir / "r.json").string()));
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const nlohmann::json report = test::read_json(dir / "r.json");
    EXPECT_EQ(report["verdict"], "bit-exact") << config;
    EXPECT_EQ(report["totals"]["macs"].get<std::uint64_t>(), macs) << config;
    const nlohmann::json& input = report["run"]["inputs"].at(0);
    EXPECT_EQ(input["name"], "input");
    EXPECT_EQ(input["shape"], nlohmann::json::array({1, 3, 32, 32}));
    EXPECT_EQ(input["dtype"], "f32");
    EXPECT_THAT(input["data"].get<std::string>(), HasSubstr("--input"));
  }
}

TEST(DynamicShapes, AShapeRunsItTimingOnlyAndABatchAloneIsANote) {
  const test::TempDir dir;
  const CommandResult run = workbench(fmt::format("run --hw {} {} --shape input=1x3x32x32 --no-data --quiet --json {}",
                                                  hw("gap8"), workload(kDynamic), (dir / "r.json").string()));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(test::read_json(dir / "r.json")["totals"]["macs"].get<std::uint64_t>(), static_macs());
  // inspect shows what the model declares and what gave the sizes used.
  const CommandResult inspect =
      workbench(fmt::format("inspect {} --shape input=1x3x16x24", workload(kDynamic)));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out;
  EXPECT_THAT(inspect.out, HasSubstr("input: f32[1,3,16,24] (declared [batch,3,height,width]; --shape input=1x3x16x24)"));
  // A model whose only symbolic dimension is its batch runs with a note naming it.
  test::OnnxBuilder b;
  b.symbolic_input("x", {"N", "4"}).initializer("w", test::random_tensor({4, 3}, 1)).output("y");
  b.node("MatMul", {"x", "w"}, {"y"});
  b.save(dir / "batch.onnx");
  const CommandResult batch =
      workbench(fmt::format("run --hw {} {} --calib-count 2 --quiet", hw("v3_96"), (dir / "batch.onnx").string()));
  EXPECT_EQ(batch.exit_code, 0) << batch.out;
  EXPECT_THAT(batch.out, HasSubstr("note: graph input 'x' [N,4]: its symbolic batch dimension 'N' is taken as 1"));
}

}  // namespace
}  // namespace wb
