// Sweep specs: what they accept, and one error naming FILE:LINE: KEY for what they do not.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>

#include "support/error.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/workbench/sweep/sweep_testing.h"

namespace wb {
namespace {

using sweep::Combine;
using sweep::Mode;
using test::user_error_of;
using test::parse_spec;
using test::tiny_model;
using testing::ElementsAre;
using testing::AllOf;
using testing::HasSubstr;

TEST(SweepSpec, ReadsEveryKey) {
  const auto spec = parse_spec(fmt::format(R"(name: demo
description: a demo
mode: verify
configs: [../v3_96.yaml, ../gap8.yaml]
models:
  - {tiny_model}
  - {{model: {tiny_model2}, name: mbv2, input: ../../workloads/tiny_mobilenet_v2.input.npy, shape: input=1x3x32x32}}
axes:
  array.rows: [32, 64]
  compile_opt: [default, weight_pingpong=off]
combine: zip
constraints:
  - array.rows <= 64
quantization: {{scheme: pow2, calib_count: 3, calib_method: percentile, percentile: 99.9, seed: 7}}
timeout_s: 60
report:
  pareto:
    - {{x: array.rows * array.cols, x_label: DSPs, y: cycles}}
)",
                                           fmt::arg("tiny_model", tiny_model()),
                                           fmt::arg("tiny_model2", tiny_model("tiny_mobilenet_v2"))));
  EXPECT_EQ(spec.name, "demo");
  EXPECT_EQ(spec.description, "a demo");
  EXPECT_EQ(spec.mode, Mode::Verify);
  ASSERT_EQ(spec.configs.size(), 2u);
  EXPECT_EQ(spec.configs[1].path.filename(), "gap8.yaml");
  ASSERT_EQ(spec.models.size(), 2u);
  EXPECT_EQ(spec.models[0].name, "tiny_resnet");
  EXPECT_EQ(spec.models[1].name, "mbv2");
  ASSERT_TRUE(spec.models[1].input.has_value());
  EXPECT_EQ(spec.models[1].input->filename(), "tiny_mobilenet_v2.input.npy");
  ASSERT_EQ(spec.models[1].shapes.size(), 1u);
  EXPECT_EQ(spec.models[1].shapes[0].input, "input");
  EXPECT_EQ(spec.models[1].shapes[0].shape, (Shape{1, 3, 32, 32}));
  ASSERT_EQ(spec.axes.size(), 2u);
  EXPECT_EQ(spec.axes[0].name, "array.rows");
  EXPECT_EQ(spec.axes[0].values.size(), 2u);
  EXPECT_EQ(spec.axes[1].values[1].text, "weight_pingpong=off");
  EXPECT_EQ(spec.combine, Combine::Zip);
  ASSERT_EQ(spec.constraints.size(), 1u);
  EXPECT_EQ(spec.constraints[0].place.line, 13);
  EXPECT_EQ(spec.quantization.scheme, quant::Scheme::Pow2);
  EXPECT_EQ(spec.quantization.calib_count, 3);
  EXPECT_EQ(spec.quantization.seed, 7u);
  EXPECT_EQ(spec.timeout_s, 60);
  ASSERT_EQ(spec.pareto.size(), 1u);
  EXPECT_EQ(spec.pareto[0].x_label, "DSPs");
  EXPECT_EQ(spec.pareto[0].y, "cycles");
}

// `workload:` names an exported workload, a battery network's folder included; `model:` keeps
// reading a name with '/' as a path relative to the spec.
TEST(SweepSpec, AWorkloadEntryReadsABatteryNetworkByItsFolder) {
  const test::TempDir cache;
  std::filesystem::create_directories(cache / "battery" / "tiny_net_opset13");
  std::filesystem::copy_file(tiny_model(), cache / "battery" / "tiny_net_opset13" / "model.onnx");
  const auto spec = sweep::parse_sweep_spec(
      "configs: ../v3_96.yaml\nmodels:\n  - {workload: battery/tiny_net_opset13}\n  - {workload: battery/tiny_net_opset13, "
      "name: other}\n",
      test::source_dir() / "configs" / "sweeps" / "test.yaml", cache.path());
  ASSERT_EQ(spec.models.size(), 2u);
  EXPECT_EQ(spec.models[0].name, "tiny_net_opset13");
  EXPECT_EQ(spec.models[0].path, cache / "battery" / "tiny_net_opset13" / "model.onnx");
  EXPECT_EQ(spec.models[1].name, "other");

  const auto message = [&](const std::string& models) {
    return user_error_of([&] {
      sweep::parse_sweep_spec("configs: ../v3_96.yaml\nmodels:\n" + models,
                              test::source_dir() / "configs" / "sweeps" / "test.yaml", cache.path());
    });
  };
  EXPECT_THAT(message("  - {workload: battery/vgg16_opset13}\n"),
              AllOf(HasSubstr("test.yaml:3: models.workload: 'battery/vgg16_opset13' is not an exported workload"),
                    HasSubstr("--battery")));
  EXPECT_THAT(message("  - {workload: ../outside}\n"), HasSubstr("is no workload name"));
  EXPECT_THAT(message("  - {workload: battery/tiny_net_opset13, model: x.onnx}\n"),
              HasSubstr("names its model once"));
  EXPECT_THAT(message("  - {name: nothing}\n"), HasSubstr("needs 'model' (a path or workload name) or 'workload'"));
}

// The four-network card sweep names the battery's networks by folder; with those folders in a
// cache (placeholders here: the battery is not exported in CI) it reads whole.
TEST(SweepSpec, TheFourNetworkCardSweepReadsWithTheBatteryExported) {
  const test::TempDir cache;
  for (const char* workload : {"googlenet_v1", "resnet50_v1", "battery/inception_v3_opset13", "battery/vgg16_opset13"}) {
    std::filesystem::create_directories(cache / workload);
    std::filesystem::copy_file(tiny_model(), cache / workload / "model.onnx");
  }
  const auto spec = sweep::load_sweep_spec(test::source_dir() / "configs" / "sweeps" / "xdnn_cards_battery.yaml",
                                           cache.path());
  std::vector<std::string> names;
  for (const auto& model : spec.models) names.push_back(model.name);
  EXPECT_THAT(names, ElementsAre("googlenet_v1", "resnet50_v1", "inception_v3", "vgg16"));
  EXPECT_EQ(spec.axes.size(), 4u);
}

TEST(SweepSpec, DefaultsAndTheNameFromTheFile) {
  const auto spec = parse_spec(fmt::format("configs: ../v3_96.yaml\nmodels: {}\n", tiny_model()));
  EXPECT_EQ(spec.name, "test");
  EXPECT_EQ(spec.mode, Mode::Timing);
  EXPECT_EQ(spec.combine, Combine::Grid);
  EXPECT_TRUE(spec.axes.empty());
  EXPECT_FALSE(spec.quantization.scheme.has_value());
}

TEST(SweepSpec, RangesExpandWithTheirUnits) {
  EXPECT_THAT(*sweep::expand_range("8KiB .. 36700 step 4KiB", "w"),
              ElementsAre("8KiB", "12KiB", "16KiB", "20KiB", "24KiB", "28KiB", "32KiB"));
  EXPECT_THAT(*sweep::expand_range("1MiB .. 8MiB x 2", "w"), ElementsAre("1MiB", "2MiB", "4MiB", "8MiB"));
  EXPECT_THAT(*sweep::expand_range("1 .. 8 x 2", "w"), ElementsAre("1", "2", "4", "8"));
  EXPECT_THAT(*sweep::expand_range("0.5 .. 1 step 0.25", "w"), ElementsAre("0.5", "0.75", "1"));
  EXPECT_FALSE(sweep::expand_range("4MiB", "w").has_value());
  EXPECT_THAT(test::user_error_of([] { sweep::expand_range("1 .. 8", "w"); }), HasSubstr("not a range"));
  EXPECT_THAT(test::user_error_of([] { sweep::expand_range("8 .. 1 step 1", "w"); }), HasSubstr("ends before it starts"));
  EXPECT_THAT(test::user_error_of([] { sweep::expand_range("1 .. 8 step 0", "w"); }), HasSubstr("step must be positive"));
  EXPECT_THAT(test::user_error_of([] { sweep::expand_range("1 .. 8 x 1", "w"); }), HasSubstr("factor must be greater than 1"));
  EXPECT_THAT(test::user_error_of([] { sweep::expand_range("1 .. 1e9 step 1", "w"); }), HasSubstr("more than 10000 values"));
  // In a spec, a range is one value of the list.
  const auto spec = parse_spec(fmt::format("configs: ../gap8.yaml\nmodels: {}\naxes:\n  cores: [1 .. 8 x 2, 3]\n",
                                           tiny_model()));
  std::vector<std::string> texts;
  for (const auto& v : spec.axes[0].values) texts.push_back(v.text);
  EXPECT_THAT(texts, ElementsAre("1", "2", "4", "8", "3"));
}

struct BadSpec {
  const char* what;
  std::string yaml;
  std::string needle;  // the error must name FILE:LINE: and this
};

class SweepSpecErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SweepSpecErrors, NameTheFileTheLineAndTheKey) {
  const std::string message = test::user_error_of([&] { parse_spec(GetParam().yaml); });
  EXPECT_THAT(message, HasSubstr("configs/sweeps/test.yaml:")) << GetParam().what;
  EXPECT_THAT(message, HasSubstr(GetParam().needle)) << GetParam().what;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
}

std::vector<BadSpec> bad_specs() {
  const std::string model = "models: [" + tiny_model() + "]\n";
  return {
      {"unknown key with a suggestion", "configs: ../v3_96.yaml\n" + model + "axis:\n  cores: [1]\n",
       "test.yaml:3: axis: unknown key (did you mean 'axes'?)"},
      {"empty axis", "configs: ../v3_96.yaml\n" + model + "axes:\n  am_bytes: []\n",
       "test.yaml:4: axes.am_bytes: empty list"},
      {"missing model file", "configs: ../v3_96.yaml\nmodels: [nothere.onnx]\n", "test.yaml:2: models: "},
      {"unknown workload", "configs: ../v3_96.yaml\nmodels: [no_such_net]\n", "export_workloads.py"},
      {"missing config", "configs: ../v9.yaml\n" + model, "test.yaml:1: configs: "},
      {"no configs", model, "configs: missing"},
      {"no models", "configs: ../v3_96.yaml\n", "models: missing"},
      {"bad mode", "mode: fast\nconfigs: ../v3_96.yaml\n" + model, "test.yaml:1: mode: expected timing or verify"},
      {"bad combine", "combine: product\nconfigs: ../v3_96.yaml\n" + model, "expected grid or zip"},
      {"duplicate key", "configs: ../v3_96.yaml\nconfigs: ../gap8.yaml\n" + model, "test.yaml:2: configs: duplicate key"},
      {"duplicate axis value", "configs: ../v3_96.yaml\n" + model + "axes:\n  cores: [1, 1]\n", "'1' is listed twice"},
      {"axis not a list", "configs: ../v3_96.yaml\n" + model + "axes:\n  cores: 4\n", "expected a list of values"},
      {"malformed range", "configs: ../v3_96.yaml\n" + model + "axes:\n  cores: [1 .. 8]\n", "is not a range"},
      {"bad quantization key", "configs: ../v3_96.yaml\n" + model + "quantization: {calib: 3}\nquantization2: 1\n",
       "quantization.calib: "},
      {"bad scheme", "configs: ../v3_96.yaml\n" + model + "quantization: {scheme: int4}\n", "quantization.scheme"},
      {"bad shape", "configs: ../v3_96.yaml\nmodels:\n  - {model: " + tiny_model() + ", shape: input=1x3xh}\n",
       "test.yaml:3: models.shape: --shape input=1x3xh: '1x3xh' is not a shape"},
      {"timeout out of range", "configs: ../v3_96.yaml\n" + model + "timeout_s: 0\n", "timeout_s: 0 is out of range"},
      {"bad name", "name: a b\nconfigs: ../v3_96.yaml\n" + model, "name: 'a b'"},
      {"yaml syntax", "configs: [../v3_96.yaml\n" + model, "YAML syntax error"},
      {"pareto without x", "configs: ../v3_96.yaml\n" + model + "report:\n  pareto:\n    - {y: cycles}\n",
       "report.pareto: a plot needs x"},
      {"pareto grouped by no axis",
       "configs: ../v3_96.yaml\n" + model + "axes:\n  am_bytes: [2MiB, 4MiB]\nreport:\n  pareto:\n    - {x: am_bytes, group: cores}\n",
       "report.pareto.group: 'cores' is not an axis of this spec (axes: am_bytes)"},
      {"twice the same model", "configs: ../v3_96.yaml\nmodels: [" + tiny_model() + ", " + tiny_model() + "]\n",
       "listed twice"},
  };
}

INSTANTIATE_TEST_SUITE_P(Bad, SweepSpecErrors, ::testing::ValuesIn(bad_specs()));

}  // namespace
}  // namespace wb
