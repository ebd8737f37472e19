// Every scheme on the exported torchvision workloads (16 seeded calibration inputs, which
// are also the evaluation inputs; 4 in the sanitizer build, where 16 would take a quarter of
// CI's budget: docs/testing.md): quantization succeeds; the QDQ model it writes passes
// python3-onnx's checker and, reloaded through our frontend, gives the same integers; an
// independent torch emulation (scripts/quant_reference.py) reaches the same output SQNR
// within 0.5 dB; xdnn is at least as good as pow2.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/integer_executor.h"
#include "compiler/quant/qdq_import.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"
#include "workbench/quantize.h"

namespace wb {
namespace {

#ifdef WB_QUANT_TEST_INPUTS
constexpr int kInputs = WB_QUANT_TEST_INPUTS;
#else
constexpr int kInputs = 16;
#endif

int run_python(const std::string& args, const std::filesystem::path& log) {
  const std::string command = "/usr/bin/python3 " + args + " > " + log.string() + " 2>&1";
  return std::system(command.c_str());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class QuantizationOnModel : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizationOnModel, SchemesAgreeWithTheTorchEmulation) {
  const auto model_dir = test::workload_cache_dir() / GetParam();
  ASSERT_TRUE(std::filesystem::exists(model_dir / "meta.json")) << "not exported: " << model_dir;
  const test::TempDir dir;
  std::map<std::string, double> sqnr;
  for (const std::string scheme : {"pow2", "xdnn", "pulp"}) {
    QuantizeCommand command;
    command.model = model_dir / "model.onnx";
    command.quant.scheme = quant::parse_scheme(scheme);
    command.calib_count = kInputs;
    command.seed = 1;
    command.report = true;
    command.out_dir = dir / scheme;
    if (scheme == "pow2") command.save_inputs_dir = dir / "inputs";
    std::ostringstream log;
    const QuantizeResult result = run_quantize(command, log);
    ASSERT_TRUE(result.fidelity.has_value());
    const double ours = result.fidelity->outputs.at(0).sqnr_db;
    sqnr[scheme] = ours;

    const auto qdq = dir / scheme / "model.qdq.onnx";
    const auto checker_log = dir / (scheme + "_checker.log");
    EXPECT_EQ(run_python("-c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" " +
                             qdq.string(),
                         checker_log),
              0)
        << read_text(checker_log);

    // Reloaded through our frontend: the same QGraph integers on two of the inputs.
    const quant::QGraph reloaded = quant::import_qdq_graph(import_onnx_file(qdq).graph, command.quant.scheme);
    const golden::IntegerExecutor original(result.qgraph);
    const golden::IntegerExecutor from_file(reloaded);
    for (std::uint64_t seed : {1u, 2u}) {
      const auto inputs = synthetic_input_set(import_onnx_file(command.model).graph, 1, seed)[0];
      EXPECT_EQ(original.run(inputs)[0], from_file.run(inputs)[0]) << scheme;
    }

    const auto result_json = dir / (scheme + "_reference.json");
    const auto reference_log = dir / (scheme + "_reference.log");
    const int status = run_python(
        fmt::format("{}/scripts/quant_reference.py --float {} --qdq {} --quant-json {} --inputs {} --json {}",
                    test::source_dir().string(), command.model.string(), qdq.string(),
                    (dir / scheme / "quant.json").string(), (dir / "inputs").string(), result_json.string()),
        reference_log);
    ASSERT_EQ(status, 0) << read_text(reference_log);
    std::ifstream in(result_json);
    const auto reference = nlohmann::json::parse(in);
    const double theirs = reference["outputs"][0]["sqnr_db"].get<double>();
    EXPECT_NEAR(ours, theirs, 0.5) << GetParam() << " " << scheme;
    std::cout << fmt::format("[ sqnr ] {} {}: golden {:.2f} dB, torch emulation {:.2f} dB, top-1 {:.0f}%\n", GetParam(),
                             scheme, ours, theirs, 100 * result.fidelity->outputs[0].top1_agreement);
  }
  EXPECT_GE(sqnr["xdnn"], sqnr["pow2"]) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Torchvision, QuantizationOnModel,
                         ::testing::Values("resnet18", "resnet50", "googlenet", "mobilenet_v2", "mobilenet_v1_128"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace wb
