// `workbench quantize` end to end on the checked-in tiny models: the files it writes, the
// round trip through its own QDQ output, and the bad-input contract.

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "compiler/frontend/tensor_files.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

using test::CommandResult;
using test::read_json;
using test::expect_bad_input;
using test::workbench;
using test::workload;

// A folder holding a tiny model's input as its one calibration tensor.
void one_calibration_input(const test::TempDir& dir, const std::string& model = "tiny_resnet") {
  std::filesystem::create_directories(dir / "calib");
  std::filesystem::copy_file(workload(model + ".input.npy"), dir / "calib" / "000.npy");
}

class QuantizeCli : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeCli, WritesJsonQdqAndReportAndReadsItsQdqBack) {
  const test::TempDir dir;
  const std::string out = (dir / "q").string();
  const CommandResult run = workbench("quantize " + workload("tiny_resnet.onnx") + " --scheme " + GetParam() +
                                      " --calib-count 4 --report -o " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("warning: calibrating on 4 seeded synthetic"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("SQNR"), std::string::npos);
  const auto quant = read_json(dir / "q" / "quant.json");
  EXPECT_EQ(quant["scheme"], GetParam());
  EXPECT_EQ(quant["calibration"]["inputs"], 4);
  const auto report = read_json(dir / "q" / "report.json");
  EXPECT_EQ(report["inputs"], 4);
  EXPECT_EQ(report["layers"].size(), quant["network"].size());
  ASSERT_TRUE(std::filesystem::exists(dir / "q" / "model.qdq.onnx"));

  const CommandResult again = workbench("quantize " + (dir / "q" / "model.qdq.onnx").string() + " -o " +
                                        (dir / "back").string());
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("already quantized"), std::string::npos);
  const auto back = read_json(dir / "back" / "quant.json");
  ASSERT_EQ(back["network"].size(), quant["network"].size());
  for (std::size_t i = 0; i < quant["network"].size(); ++i) {
    for (const char* field : {"multiplier", "shift", "offset", "lo", "hi"}) {
      EXPECT_EQ(back["network"][i].value(field, nlohmann::json()), quant["network"][i].value(field, nlohmann::json()))
          << quant["network"][i]["name"] << " " << field;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, QuantizeCli, ::testing::Values("pow2", "xdnn", "pulp"));

// Swin's windowed scores and probabilities are [W, h, L, L'] in float and the rows [W h, L, L']
// in the QGraph: the report compares them element by element too, so no layer lacks its SQNR.
TEST(QuantizeCliReport, EveryLayerOfASwinTransformerHasItsSqnr) {
  const test::TempDir dir;
  const CommandResult run =
      workbench("quantize " + workload("tiny_swin.onnx") + " --calib-count 2 --report -o " + (dir / "q").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto report = read_json(dir / "q" / "report.json");
  int softmaxes = 0;
  for (const auto& layer : report["layers"]) {
    EXPECT_TRUE(layer["sqnr_db"].is_number()) << layer["layer"];
    softmaxes += layer["type"] == "Softmax" ? 1 : 0;
  }
  EXPECT_EQ(softmaxes, 4);
}

TEST(QuantizeCliDump, WritesOneTensorFilePerQGraphTensor) {
  const test::TempDir dir;
  one_calibration_input(dir, "tiny_mobilenet_v2");
  const CommandResult run = workbench("quantize " + workload("tiny_mobilenet_v2.onnx") + " --calib " +
                                      (dir / "calib").string() + " --calib-method entropy --dump " +
                                      (dir / "dump").string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "dump")) {
    files += entry.path().extension() == ".npy" ? 1 : 0;
  }
  EXPECT_GT(files, 5u);
}

TEST(QuantizeCliBadInput, CalibrationTensorOfTheWrongShape) {
  const test::TempDir dir;
  std::filesystem::create_directories(dir / "calib");
  write_tensor_file(dir / "calib" / "bad.npy", Tensor(DType::F32, {1, 3, 16, 16}));
  const CommandResult run = workbench("quantize " + workload("tiny_resnet.onnx") + " --calib " +
                                      (dir / "calib").string() + " -o " + (dir / "q").string());
  expect_bad_input(run, "bad.npy");
  EXPECT_NE(run.out.find("[1,3,16,16]"), std::string::npos) << run.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "q"));
}

TEST(QuantizeCliBadInput, EmptyCalibrationFolder) {
  const test::TempDir dir;
  std::filesystem::create_directories(dir / "calib");
  expect_bad_input(workbench("quantize " + workload("tiny_resnet.onnx") + " --calib " + (dir / "calib").string()),
                   "no .npy or .pb tensor files");
}

TEST(QuantizeCliBadInput, ActivationsThatAreAlwaysZero) {
  const test::TempDir dir;
  one_calibration_input(dir);
  test::OnnxBuilder b;
  b.input("x", {1, 3, 32, 32}).initializer("w", Tensor(DType::F32, {2, 3, 1, 1})).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "dead_conv");
  b.save(dir / "m.onnx");
  expect_bad_input(workbench("quantize " + (dir / "m.onnx").string() + " --calib " + (dir / "calib").string()),
                   "tensor y is zero on every calibration input");
}

TEST(QuantizeCliBadInput, NanInWeights) {
  const test::TempDir dir;
  one_calibration_input(dir);
  Tensor w = test::random_tensor({2, 3, 1, 1}, 1);
  w.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();
  test::OnnxBuilder b;
  b.input("x", {1, 3, 32, 32}).initializer("w", w).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "nan_conv");
  b.save(dir / "m.onnx");
  expect_bad_input(workbench("quantize " + (dir / "m.onnx").string() + " --calib " + (dir / "calib").string()),
                   "nan_conv");
}

TEST(QuantizeCliBadInput, AveragePoolWithUnevenDivisorsIsNamed) {
  // tiny_inception's pooling branch excludes padding from the count. (Two lines: the
  // synthetic-calibration warning, then the error.)
  const CommandResult run = workbench("quantize " + workload("tiny_inception.onnx") + " --calib-count 1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(test::line_count(run.out), 2u) << run.out;
  EXPECT_NE(run.out.find("error: node /avgpool/AveragePool: average pooling"), std::string::npos) << run.out;
}

TEST(QuantizeCliBadInput, UnknownSchemeAndBits) {
  EXPECT_EQ(workbench("quantize " + workload("tiny_resnet.onnx") + " --scheme int4").exit_code, 2);
  EXPECT_EQ(workbench("quantize " + workload("tiny_resnet.onnx") + " --bits 4").exit_code, 2);
}

}  // namespace
}  // namespace wb
