// The battery of torchvision classifiers, MLPerf Tiny's four models, three segmentation
// networks, ConvNeXt-T, a DeiT-tiny-shaped ViT, ViT-B/16, FCN-ResNet50, a BERT-like encoder and
// SSDlite's backbone and heads as users export them, and beyond classifiers U-Nets, recurrent
// keyword spotters and MobileViT (scripts/export_workloads.py --battery: plain torch.onnx.export at
// opsets 9, 11 and 13; 13 and 17 for the families), on one config of each target.
//
// * Every export, timing only (`--no-data`): the run succeeds, or stops with exit 2 because a
//   network does not fit a memory: the run names the memory and the `--set` that makes it fit;
//   the test applies that `--set` and checks that memory no longer stops the run. Any other
//   stop (an unsupported node) fails the test; none is a crash or an internal error.
// * A bit-exact run with data of one network per op family the import passes opened
//   (ReduceMean as a global pool, Pad folded into an average pool with explicit zero pads).
//
// Each run's outcome is written to <build>/battery_status.tsv (network, opset, config, outcome,
// cycles, MAC/cycle or the error), the source of README.md's "supported networks" table.

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <tuple>

#include "tests/support/cli_testing.h"
#include "tests/support/detection_models.h"
#include "tests/support/swin_models.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/report_checks.h"
#include "tests/support/test_paths.h"
#include "workbench/report/report_json.h"

namespace wb {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kConfigs = {"v3_96", "gap8"};

fs::path battery_dir() { return test::workload_cache_dir() / "battery"; }

// The battery's folders (name_opsetN), as scripts/export_workloads.py --battery writes them.
// ctest lists the cases when the test binary is built, before the export runs, so the list
// is written here; EveryNetworkAndOpsetWasExported checks it against the exported folders.
std::vector<std::string> battery_exports() {
  const std::vector<std::string> networks = {
      "alexnet",        "densenet121",       "efficientnet_b0",    "googlenet",          "inception_v3",
      "mnasnet1_0",     "mobilenet_v2",      "mobilenet_v3_large", "mobilenet_v3_small", "regnet_x_400mf",
      "resnet18",       "resnet50",          "resnext50_32x4d",    "shufflenet_v2_x1_0", "squeezenet1_0",
      "squeezenet1_1",  "vgg11",             "vgg16",              "wide_resnet50_2",
      // MLPerf Tiny's four
      "tinyml_resnet8", "tinyml_ds_cnn",     "tinyml_mobilenet_v1_vww", "tinyml_autoencoder",
      // Segmentation on MobileNetV3-Large, at 128x128
      "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
      // ConvNeXt-T (LayerNorm over channels, channels-last blocks), at 128x128
      "convnext_tiny",
      // A DeiT-tiny-shaped ViT at 224x224 (attention, class token, position embedding)
      "deit_tiny",
      // FCN on a dilated ResNet-50, at 128x128
      "fcn_resnet50",
      // A BERT-like encoder on float embeddings [1, 64, 128] (a network input of tokens)
      "bert_emb",
      // ViT-B/16 at 224x224, opset 13 alone (DeiT-tiny has the same graph at opset 11)
      "vit_b_16",
      // SSDlite320's backbone and heads (boxes and scores, no post-processing), at 320x320
      "ssdlite320_mobilenet_v3_large",
      // Swin-T at 224x224 (shifted windows, windowed attention with bias and mask, patch merging)
      "swin_t"};
  // The model families beyond classifiers (issue 56), at opsets 13 and 17.
  const std::vector<std::string> families = {
      // U-Nets with ConvTranspose2d decoders (2x2 stride 2 at 64x64; 4x4 stride 2 pad 1 + BN at 96x96)
      "unet", "unet_k4",
      // Keyword spotters on [1, 49, 10] MFCCs: an LSTM(64); a GRU(32) of 2 bidirectional layers
      "kws_lstm", "kws_gru_bi",
      // MobileViT-XXS at 128x128 (nn.MultiheadAttention over sets of patch pixels)
      "mobilevit_xxs",
      // Llama-like decoders from token ids (scripts/decoder_models.py): RMSNorm, causal attention,
      // SwiGLU; a 16-token prefill of 2 blocks, its decode step with a KV cache of 15, a wider
      // prefill, the decode step with Hugging Face's cache layout
      "llama_prefill", "llama_decode", "llama_wide_prefill", "llama_hf_decode"};
  std::vector<std::string> names;
  for (const auto& network : families) {
    names.push_back(network + "_opset13");
    names.push_back(network + "_opset17");
  }
  // torch writes F.scaled_dot_product_attention from opset 14 (decoder_models.OPSETS).
  names.push_back("llama_sdpa_prefill_opset14");
  names.push_back("llama_sdpa_prefill_opset17");
  // Grouped-query attention, a Llama 2/3-era form, at the newest opset alone.
  names.push_back("llama_gqa_prefill_opset17");
  names.push_back("llama_gqa_decode_opset17");
  for (const auto& network : networks) {
    if (network == "mobilenet_v3_small" || network == "shufflenet_v2_x1_0") names.push_back(network + "_opset9");
    if (network != "vit_b_16") names.push_back(network + "_opset11");
    names.push_back(network + "_opset13");
  }
  return names;
}

std::string run_args(const std::string& folder, const std::string& hw) {
  return fmt::format("run --hw {} {} --quiet", (test::source_dir() / "configs" / (hw + ".yaml")).string(),
                     (battery_dir() / folder / "model.onnx").string());
}

std::string error_line(const std::string& out) {
  const auto at = out.rfind("error: ");
  if (at == std::string::npos) return {};
  return out.substr(at, out.find('\n', at) - at);
}

// What an "unsupported" error lists ("  'n' (Slice): reason"): each op type once, with the
// reason given for its first node ("Lut: no PULP-NN kernel").
std::string blocking_ops(const std::string& out) {
  static const std::regex listed(R"(^  .*? \(([A-Za-z]+)\): (.*)$)");
  std::vector<std::string> ops;
  std::vector<std::string> entries;
  std::istringstream lines(out);
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (!std::regex_search(line, match, listed)) continue;
    const std::string op = match[1].str();
    if (std::find(ops.begin(), ops.end(), op) != ops.end()) continue;
    ops.push_back(op);
    std::string reason = match[2].str();
    reason = reason.substr(0, reason.find(" (supported:"));
    entries.push_back(op + " (" + reason + ")");
  }
  return fmt::format("{}", fmt::join(entries, "; "));
}

// The `--set key=value` a does-not-fit error suggests, and the memory key it names.
std::optional<std::pair<std::string, std::string>> suggested_set(const std::string& error) {
  static const std::regex pattern(R"(use --set ([a-z0-9_.]+)=([0-9]+))");
  std::smatch match;
  if (!std::regex_search(error, match, pattern)) return std::nullopt;
  return std::pair{match[1].str(), match[2].str()};
}

void record_status(const std::string& folder, const std::string& hw, const std::string& outcome,
                   const std::string& detail) {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  std::ofstream(fs::path(WB_TEST_BINARY_DIR) / "battery_status.tsv", std::ios::app)
      << folder << '\t' << hw << '\t' << outcome << '\t' << detail << '\n';
}

class BatteryTiming : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(BatteryTiming, RunsOrStopsWithOneClearError) {
  const auto& [folder, hw] = GetParam();
  ASSERT_TRUE(fs::exists(battery_dir() / folder / "meta.json")) << "not exported: " << folder;
  test::TempDir dir;
  const fs::path json = dir.path() / "run.json";
  const test::CommandResult run = test::workbench(run_args(folder, hw) + " --no-data --json " + json.string());
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 2) << "exit " << run.exit_code << "\n" << run.out;
  EXPECT_EQ(run.out.find("internal error"), std::string::npos) << run.out;
  if (run.exit_code == 0) {
    const auto report = test::read_json(json);
    const auto& totals = report["totals"];
    const auto cycles = totals["cycles"].get<std::uint64_t>();
    EXPECT_GT(cycles, 0u);
    // No layer of any network is faster than its bound, nor the run.
    test::expect_bounds_hold(report::from_json(report, json.string()));
    // The host's share of the latency, and every host layer marked as such.
    const double host_ms = totals["host_ms"].get<double>();
    std::size_t host_layers = 0;
    for (const auto& layer : report["layers"]) host_layers += layer["unit"] == "host" ? 1 : 0;
    EXPECT_EQ(host_layers > 0, host_ms > 0) << "host time without host layers, or the reverse";
    EXPECT_LE(host_ms, totals["latency_ms"].get<double>());
    record_status(folder, hw, host_layers > 0 ? "runs-with-host" : "runs",
                  fmt::format("{} cycles, {:.2f} MAC/cycle, {} host layers, host {:.1f}% of the time", cycles,
                              totals["mac_per_cycle"].get<double>(), host_layers,
                              100.0 * host_ms / totals["latency_ms"].get<double>()));
    return;
  }
  EXPECT_FALSE(fs::exists(json)) << "a failed run left its report behind";
  const std::string error = error_line(run.out);
  ASSERT_FALSE(error.empty()) << run.out;
  const auto fix = suggested_set(error);
  if (!fix) {
    // Every network of the battery runs on both targets or names the memory it does not fit
    // (issue #17): an unsupported node is a regression.
    const std::string ops = blocking_ops(run.out);
    record_status(folder, hw, "unsupported", ops.empty() ? error : ops);
    ADD_FAILURE() << folder << " on " << hw << " stops at: " << (ops.empty() ? error : ops);
    return;
  }
  // Does not fit: the suggested --set must make that memory stop being the problem.
  const auto& [key, value] = *fix;
  const test::CommandResult fixed =
      test::workbench(fmt::format("{} --no-data --set {}={}", run_args(folder, hw), key, value));
  EXPECT_TRUE(fixed.exit_code == 0 || fixed.exit_code == 2) << fixed.out;
  const std::string after = error_line(fixed.out);
  EXPECT_EQ(after.find(fmt::format("more than {} ", key)), std::string::npos)
      << "--set " << key << "=" << value << " did not make it fit:\n" << fixed.out;
  record_status(folder, hw, "does-not-fit", error);
}

std::vector<std::tuple<std::string, std::string>> timing_cases() {
  std::vector<std::tuple<std::string, std::string>> cases;
  for (const auto& folder : battery_exports()) {
    for (const auto& hw : kConfigs) cases.emplace_back(folder, hw);
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Battery, BatteryTiming, ::testing::ValuesIn(timing_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BatteryTiming);

TEST(Battery, EveryNetworkAndOpsetWasExported) {
  std::vector<std::string> exported;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(battery_dir(), ec)) {
    if (fs::exists(entry.path() / "meta.json")) exported.push_back(entry.path().filename().string());
  }
  std::sort(exported.begin(), exported.end());
  auto expected = battery_exports();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(exported, expected) << "run scripts/export_workloads.py --battery";
}

// `workbench run` with data (4 calibration inputs) of `model` on config `hw`, `extra` added (an
// --input): its exit and output, and its JSON report when it succeeded.
struct DataRun {
  test::CommandResult run;
  nlohmann::json report;
};

DataRun run_with_data(const std::string& hw, const std::string& model, const std::string& extra = "") {
  test::TempDir dir;
  const fs::path json = dir.path() / "run.json";
  DataRun r{test::workbench(fmt::format("run --hw {} {} --calib-count 4 --quiet {} --json {}",
                                        (test::source_dir() / "configs" / (hw + ".yaml")).string(), model, extra,
                                        json.string())),
            {}};
  if (r.run.exit_code == 0) r.report = test::read_json(json);
  return r;
}

// A battery export run with data on its own input.
DataRun run_battery_with_data(const std::string& hw, const std::string& folder) {
  return run_with_data(hw, (battery_dir() / folder / "model.onnx").string(),
                       "--input " + (battery_dir() / folder / "input.npy").string());
}

// Where each target runs what its array or matmul kernels do not (xDNN's host model, PULP's
// cores), and where it copies pixels (xDNN's DDR engine, PULP's cluster DMA).
std::string compute_unit(const std::string& hw) { return hw == "v3_96" ? "host" : "cores"; }
std::string copy_unit(const std::string& hw) { return hw == "v3_96" ? "ddr" : "cluster_dma"; }

// A checked-in workload with its input.
DataRun run_workload_with_data(const std::string& hw, const std::string& name) {
  return run_with_data(hw, test::workload(name + ".onnx"), "--input " + test::workload(name + ".input.npy"));
}

// How many layers of each type a run report has; every layer of a type `units` names must run
// on that unit.
std::map<std::string, int> layers_by_type(const nlohmann::json& report, const std::map<std::string, std::string>& units) {
  std::map<std::string, int> count;
  for (const auto& layer : report["layers"]) {
    const std::string type = layer["type"];
    ++count[type];
    if (const auto unit = units.find(type); unit != units.end()) {
      EXPECT_EQ(layer["unit"], unit->second) << layer["name"];
    }
  }
  return count;
}

class BatteryBitExact : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(BatteryBitExact, EveryLayerMatchesTheGoldenModel) {
  const auto& [folder, hw] = GetParam();
  const auto [run, report] = run_battery_with_data(hw, folder);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
}

// A classifier that ends in probabilities (the checked-in workloads/tiny_resnet_softmax: torch's
// Softmax after the FC): on xDNN the Softmax runs on the host model, as ML Suite ran it; on
// PULP the softmax kernel runs on the cores. Every layer bit-exact, the probabilities included.
class SoftmaxClassifier : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(SoftmaxClassifier, RunsBitExactlyWithTheSoftmaxOnItsUnit) {
  const auto& [hw, unit] = GetParam();
  const auto [run, report] = run_workload_with_data(hw, "tiny_resnet_softmax");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  int softmax_layers = 0;
  for (const auto& layer : report["layers"]) {
    if (layer["type"] != "softmax") continue;
    ++softmax_layers;
    EXPECT_EQ(layer["unit"], unit);
  }
  EXPECT_EQ(softmax_layers, 1);
}

INSTANTIATE_TEST_SUITE_P(BothTargets, SoftmaxClassifier,
                         ::testing::Values(std::tuple{"v3_96", "host"}, std::tuple{"gap8", "cores"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// ConvNeXt's parts (the checked-in workloads/tiny_convnext, torch's opset-13 export: LayerNorm
// as its mean/variance arithmetic, GELU through Erf, channels-last blocks between Transposes):
// fused, the blocks computed on the NCHW image, every LayerNorm an integer node on its unit,
// every layer bit-exact.
class ConvNextParts : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ConvNextParts, RunBitExactlyWithTheLayerNormsOnTheirUnit) {
  const auto& [hw, unit] = GetParam();
  const auto [run, report] = run_workload_with_data(hw, "tiny_convnext");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  EXPECT_EQ(layers_by_type(report, {{"layernorm", unit}})["layernorm"], 5) << "stem, two blocks, downsample, head";
}

INSTANTIATE_TEST_SUITE_P(BothTargets, ConvNextParts,
                         ::testing::Values(std::tuple{"v3_96", "host"}, std::tuple{"gap8", "cores"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// A BERT-like encoder on float embeddings (the checked-in workloads/tiny_bert: [1, 16, 32], 2
// post-LN layers of 2 heads, GELU, a Linear on token 0, opset 13) with data: the network input
// is a token sequence from the start, given as [1, 16, 32] and stored as its image [1, 32, 1, 16]
// (the same bytes: no layer copies it), every layer bit-exact, attention on its unit.
class TokenInputParts : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(TokenInputParts, RunBitExactlyFromTheirTokens) {
  const auto& [hw, unit] = GetParam();
  const auto [run, report] = run_workload_with_data(hw, "tiny_bert");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  ASSERT_FALSE(report["layers"].empty());
  // The first layer adds the position embedding to the input itself.
  EXPECT_EQ(report["layers"][0]["name"], "/Add") << report["layers"][0]["type"];
  std::map<std::string, int> counted;
  for (const auto& layer : report["layers"]) {
    const std::string type = layer["type"];
    ++counted[type];
    if (type == "matmul" || type == "softmax" || type == "layernorm") {
      EXPECT_EQ(layer["unit"], unit) << layer["name"];
    }
  }
  EXPECT_EQ(counted["matmul"], 4) << "scores and context in each of 2 layers";
  EXPECT_EQ(counted["softmax"], 2);
  EXPECT_EQ(counted["layernorm"], 5) << "the embeddings' and 2 in each post-LN layer";
}

INSTANTIATE_TEST_SUITE_P(BothTargets, TokenInputParts,
                         ::testing::Values(std::tuple{"v3_96", "host"}, std::tuple{"gap8", "cores"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// Detection heads (tests/support/detection_models: SSD's Reshape/Transpose/Reshape of each
// level's conv, two levels, boxes and scores) with data: each level's conv read as tokens of K
// features, the levels concatenated, both outputs given as [1, T, K]. On xDNN the regrouping is
// a host copy per level (AM's words hold whole pixels); on PULP a view of the conv's bytes, each
// conv written straight into its place of the concat: no layer at all.
class DetectionHeadParts : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(DetectionHeadParts, RunBitExactlyWithTheirTokensInPlace) {
  const auto& [hw, host_copies] = GetParam();
  test::TempDir dir;
  const fs::path model = dir.path() / "heads.onnx";
  test::detection_heads(test::HeadLayout::Ssd, true).save(model);
  const auto [run, report] = run_with_data(hw, model.string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  int regrouped = 0, concats = 0;
  for (const auto& layer : report["layers"]) {
    regrouped += layer["type"] == "hwc_reshape" ? 1 : 0;
    concats += layer["name"] == "/boxes/Concat" || layer["name"] == "/scores/Concat" ? 1 : 0;
    if (layer["type"] == "hwc_reshape") {
      EXPECT_EQ(layer["unit"], "host") << layer["name"];
    }
  }
  EXPECT_EQ(regrouped, host_copies);
  EXPECT_EQ(concats, host_copies == 0 ? 0 : 2) << "PULP places each conv in its concat";
}

INSTANTIATE_TEST_SUITE_P(BothTargets, DetectionHeadParts,
                         ::testing::Values(std::tuple{"v3_96", 4}, std::tuple{"gap8", 0}),
                         [](const auto& param) { return std::get<0>(param.param); });

// A Swin block's data movement with data (tests/support/swin_models: 16 channels on 8x8 pixels,
// 4x4 windows shifted by 2): the roll and window partition one gather of pixels, the window
// reverse and roll back another. On xDNN each is DDR-engine pixel copies, on PULP cluster-DMA
// copies with no core work; either way a run of a window's row per transfer.
class SwinWindowMoves : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(SwinWindowMoves, RunBitExactlyAsGathersOfPixels) {
  const auto& [hw, unit] = GetParam();
  test::TempDir dir;
  const fs::path model = dir.path() / "windows.onnx";
  test::shifted_window_block(true, {16, 8, 4, 2}).save(model);
  const auto [run, report] = run_with_data(hw, model.string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  EXPECT_EQ(layers_by_type(report, {{"pixel_gather", unit}})["pixel_gather"], 2);
}

INSTANTIATE_TEST_SUITE_P(BothTargets, SwinWindowMoves,
                         ::testing::Values(std::tuple{"v3_96", "ddr"}, std::tuple{"gap8", "cluster_dma"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// Swin's window attention with data (tests/support/swin_models window_attention: 4 windows of 4
// tokens, 2 heads), plain and with the relative-position bias and the shifted-window mask. On
// xDNN the window partition and reverse are pixel copies, the products of each window and the
// softmax over its keys run on the host model; on PULP the partition and reverse are cluster-DMA
// copies, the products (a tile per window's head) and the softmax run on the cores. Bit-exact.
class WindowAttention : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {};

TEST_P(WindowAttention, RunsBitExactlyWithItsProductsOnTheirUnit) {
  const auto& [hw, compute_unit, copy_unit] = GetParam();
  test::TempDir dir;
  const fs::path model = dir.path() / "window_attention.onnx";
  test::window_attention().save(model);
  const fs::path shifted = dir.path() / "shifted_window_attention.onnx";
  test::window_attention(true, true).save(shifted);
  for (const fs::path& m : {model, shifted}) {
    const auto [run, report] = run_with_data(hw, m.string());
    ASSERT_EQ(run.exit_code, 0) << run.out;
    EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
    auto count =
        layers_by_type(report, {{"matmul", compute_unit}, {"softmax", compute_unit}, {"pixel_gather", copy_unit}});
    EXPECT_EQ(count["matmul"], 2) << m;
    EXPECT_EQ(count["softmax"], 1) << m;
    EXPECT_EQ(count["pixel_gather"], 2) << m;
  }
}

INSTANTIATE_TEST_SUITE_P(BothTargets, WindowAttention,
                         ::testing::Values(std::tuple{"v3_96", "host", "ddr"}, std::tuple{"gap8", "cores", "cluster_dma"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// torchvision's SwinTransformer (the checked-in workloads/tiny_swin: 32x32, 2 stages of a plain
// and a shifted block, patch merging) with data: bit-exact on both targets, every pixel gather
// on xDNN's DDR engine or PULP's cluster DMA, every windowed product and masked softmax on xDNN's
// host model or PULP's cores.
class TinySwin : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {};

TEST_P(TinySwin, RunsBitExactlyWithEachPartOnItsUnit) {
  const auto& [hw, compute_unit, copy_unit] = GetParam();
  const auto [run, report] = run_workload_with_data(hw, "tiny_swin");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  auto count =
      layers_by_type(report, {{"pixel_gather", copy_unit}, {"matmul", compute_unit}, {"softmax", compute_unit}});
  EXPECT_EQ(count["pixel_gather"], 12) << "into and out of 4 blocks' windows, patch merging's 4 picks";
  EXPECT_EQ(count["matmul"], 8);
  EXPECT_EQ(count["softmax"], 4);
}

INSTANTIATE_TEST_SUITE_P(BothTargets, TinySwin,
                         ::testing::Values(std::tuple{"v3_96", "host", "ddr"}, std::tuple{"gap8", "cores", "cluster_dma"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// A ViT (the checked-in workloads/tiny_vit: torchvision's VisionTransformer at 32x32, 17 tokens,
// 2 blocks of 2 heads, opset 13) with data: every layer bit-exact, and attention's products and
// its softmax over the keys each on their unit: xDNN's host model (the array has no run-time
// weights), PULP's cores (the matmul and softmax kernels).
class ViTParts : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ViTParts, RunBitExactlyWithAttentionOnItsUnit) {
  const auto& [hw, unit] = GetParam();
  const auto [run, report] = run_workload_with_data(hw, "tiny_vit");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  auto attention = layers_by_type(report, {{"matmul", unit}, {"softmax", unit}});
  EXPECT_EQ(attention["matmul"], 4) << "scores and context in each of 2 blocks";
  EXPECT_EQ(attention["softmax"], 2);
}

INSTANTIATE_TEST_SUITE_P(BothTargets, ViTParts,
                         ::testing::Values(std::tuple{"v3_96", "host"}, std::tuple{"gap8", "cores"}),
                         [](const auto& param) { return std::get<0>(param.param); });

// ReduceMean -> GlobalAveragePool + Flatten (MNASNet); Pad + AveragePool with explicit zero
// pads, and sibling 1x1 convs merged into one (7 on v3_96), each sibling's output checked
// (Inception v3); standalone BatchNorm + ReLU as a depthwise scale and shift, and concats
// whose inputs are read elsewhere (DenseNet); an FC beyond the array's filter limit on the host
// model (VGG-11); lookup-table activations (SiLU, HardSigmoid, HardSwish) and the
// squeeze-and-excitation Mul as host layers, and an FC on a computed vector (EfficientNet-B0,
// MobileNetV3-small); grouped convolutions on the cluster's cores (RegNet X-400MF); the
// lookup-table and SE-product kernels on the cores, with SE pools of large maps staged from L3
// by channel slices (EfficientNet-B0, MobileNetV3-large, on gap8); a dense block's growing
// concats in one buffer, each a channel prefix read in place (DenseNet-121 on gap8); Split
// (opset 9), channel slices and the channel shuffle as the gather kernel (ShuffleNetV2 on gap8)
// and as DDR-engine channel copies (ShuffleNetV2 on v3_96).
INSTANTIATE_TEST_SUITE_P(Battery, BatteryBitExact,
                         ::testing::Values(std::tuple{"mnasnet1_0_opset11", "v3_96"},
                                           std::tuple{"mnasnet1_0_opset13", "gap8"},
                                           std::tuple{"inception_v3_opset13", "v3_96"},
                                           std::tuple{"densenet121_opset13", "v3_96"},
                                           std::tuple{"vgg11_opset13", "v3_96"},
                                           std::tuple{"efficientnet_b0_opset13", "v3_96"},
                                           std::tuple{"mobilenet_v3_small_opset11", "v3_96"},
                                           std::tuple{"regnet_x_400mf_opset13", "gap8"},
                                           std::tuple{"efficientnet_b0_opset11", "gap8"},
                                           std::tuple{"mobilenet_v3_large_opset13", "gap8"},
                                           std::tuple{"densenet121_opset11", "gap8"},
                                           std::tuple{"shufflenet_v2_x1_0_opset9", "gap8"},
                                           std::tuple{"shufflenet_v2_x1_0_opset13", "v3_96"}),
                         case_name);

// MLPerf Tiny's four on both targets, with data: the 10x4 stride-2 conv on a one-channel
// 49x10 input (DS-CNN), width-0.25 depthwise layers of 8 to 256 channels (VWW), and the
// autoencoder's [1, 640] input vector, a 1x1 image of 640 channels on xDNN.
INSTANTIATE_TEST_SUITE_P(TinyMl, BatteryBitExact,
                         ::testing::Combine(::testing::Values("tinyml_resnet8_opset13", "tinyml_ds_cnn_opset13",
                                                              "tinyml_mobilenet_v1_vww_opset11",
                                                              "tinyml_autoencoder_opset13"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// Segmentation on both targets, with data: bilinear upsampling (xDNN's host model, PULP's
// resize kernel), atrous convolutions of rates 2 to 36 (dilated on the array and on the cores'
// conv and depthwise kernels), the LR-ASPP gate's broadcast product; every layer and the
// per-pixel class scores bit-exact.
INSTANTIATE_TEST_SUITE_P(Segmentation, BatteryBitExact,
                         ::testing::Combine(::testing::Values("lraspp_mobilenet_v3_large_opset13",
                                                              "deeplabv3_mobilenet_v3_large_opset11"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// FCN-ResNet50 on both targets, with data: ResNet-50's last two stages dilated (rates 2 and 4:
// 3x3 convs of 256 and 512 channels over 16x16 maps), the head's 3x3 conv over 2048 channels
// (on xDNN's host model: its filter exceeds the array's limit), the x8 bilinear upsampling.
INSTANTIATE_TEST_SUITE_P(Fcn, BatteryBitExact,
                         ::testing::Combine(::testing::Values("fcn_resnet50_opset11"), ::testing::Values("v3_96", "gap8")),
                         case_name);

// ConvNeXt-T on both targets, with data: 23 LayerNorms over channels (xDNN's host model, PULP's
// LayerNorm kernel), 36 Linears as 1x1 convs, 18 GELU tables, 7x7 depthwise layers.
INSTANTIATE_TEST_SUITE_P(ConvNext, BatteryBitExact,
                         ::testing::Combine(::testing::Values("convnext_tiny_opset13"), ::testing::Values("v3_96", "gap8")),
                         case_name);

// A DeiT-tiny-shaped ViT at 224x224 on both targets, with data: 197 tokens as the image
// [1, 192, 1, 197], 12 blocks of 3 heads, attention's products and the softmax over the keys
// (xDNN's host model, PULP's matmul and softmax kernels), the class token and position
// embedding read from memory, 25 LayerNorms, 12 GELU tables.
INSTANTIATE_TEST_SUITE_P(Transformer, BatteryBitExact,
                         ::testing::Combine(::testing::Values("deit_tiny_opset13"), ::testing::Values("v3_96", "gap8")),
                         case_name);

// SSDlite320's backbone and heads on both targets, with data: MobileNetV3-Large's blocks and
// extra layers, 12 heads' convs each read as tokens (xDNN: host copies; PULP: views, the convs
// written into their outputs' concats), the two outputs [1, 3234, 4] and [1, 3234, 91].
INSTANTIATE_TEST_SUITE_P(Detection, BatteryBitExact,
                         ::testing::Combine(::testing::Values("ssdlite320_mobilenet_v3_large_opset11"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// ViT-B/16 at 224x224 on v3_96, with data: 12 blocks of 12 heads over 768 features, 17.6 GMAC.
// On gap8 attention's operands do not fit L2 (its timing case checks the --set that names).
INSTANTIATE_TEST_SUITE_P(VitB16, BatteryBitExact,
                         ::testing::Combine(::testing::Values("vit_b_16_opset13"), ::testing::Values("v3_96")),
                         case_name);

// Swin-T at 224x224 on v3_96, with data: its stages on images, 32 gathers of pixels (DDR-engine
// copies), 24 windowed products with the relative-position bias and 12 softmaxes under the
// shifted-window mask (the host model), patch merging.
INSTANTIATE_TEST_SUITE_P(SwinT, BatteryBitExact,
                         ::testing::Combine(::testing::Values("swin_t_opset13"), ::testing::Values("v3_96")),
                         case_name);

// Swin-T on gap8: its first stage's gathers of pixels and windowed scores do not fit gap8's
// 512 KiB of L2 beside the live activations (their tiles are not staged through L3), so the run
// stops naming l2_bytes and the --set; with it, every layer is bit-exact, the 32 gathers on the
// cluster DMA alone, the 24 windowed products (12 with the bias) and 12 softmaxes (6 under the
// mask) on the cores.
TEST(SwinTOnGap8, NamesTheL2ItNeedsAndWithItIsBitExact) {
  const std::string model = (battery_dir() / "swin_t_opset13" / "model.onnx").string();
  const std::string input = "--input " + (battery_dir() / "swin_t_opset13" / "input.npy").string();
  const auto refused = run_with_data("gap8", model, input);
  ASSERT_EQ(refused.run.exit_code, 2) << refused.run.out;
  const auto fix = suggested_set(error_line(refused.run.out));
  ASSERT_TRUE(fix.has_value()) << refused.run.out;
  EXPECT_EQ(fix->first, "l2_bytes");
  EXPECT_NE(refused.run.out.find("a gather of pixels needs its operands and output in L2"), std::string::npos)
      << refused.run.out;
  const auto [run, report] = run_with_data("gap8", model, input + " --set l2_bytes=" + fix->second);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  auto count = layers_by_type(report, {{"pixel_gather", "cluster_dma"}, {"matmul", "cores"}, {"softmax", "cores"}});
  EXPECT_EQ(count["pixel_gather"], 32);
  EXPECT_EQ(count["matmul"], 24);
  EXPECT_EQ(count["softmax"], 12);
}

// U-Nets as users export them (ConvTranspose2d up-convs, skip concatenations, BN + ReLU) at
// opsets 13 and 17, on both targets with data: each ConvTranspose a conv over its zero-inserted
// input, on xDNN the array's XNDeconv (type deconv), on PULP phases of plain convs on the cores
// and one gather of pixels on the cluster DMA; every layer bit-exact.
class UNetDecoders : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(UNetDecoders, RunBitExactlyWithTheirTransposedConvsOnTheirUnits) {
  const auto& [folder, hw] = GetParam();
  const auto [run, report] = run_battery_with_data(hw, folder);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  const int up_convs = folder.rfind("unet_k4", 0) == 0 ? 2 : 3;
  if (hw == "v3_96") {
    EXPECT_EQ(layers_by_type(report, {{"deconv", "array"}})["deconv"], up_convs);
  } else {
    EXPECT_EQ(layers_by_type(report, {{"pixel_gather", "cluster_dma"}})["pixel_gather"], up_convs);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, UNetDecoders,
                         ::testing::Combine(::testing::Values("unet_opset13", "unet_opset17", "unet_k4_opset13",
                                                              "unet_k4_opset17"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// Recurrent keyword spotters as users export them (torch's nn.LSTM and nn.GRU over 49 steps of
// 10 MFCCs, the last step into a Linear) at opsets 13 and 17, on both targets with data: each
// recurrent node unrolled into its steps, each step's input pixel one gather from the sequence
// image per direction of the first layer (the second layer reads the first's steps where they
// are), the gates' products and tables on the unit that has them (xDNN's host model, PULP's
// cores); every layer bit-exact.
class RecurrentKeywordSpotters : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(RecurrentKeywordSpotters, RunBitExactlyAsTheirSteps) {
  const auto& [folder, hw] = GetParam();
  const auto [run, report] = run_battery_with_data(hw, folder);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  const std::string compute = compute_unit(hw), copy = copy_unit(hw);
  auto count = layers_by_type(report, {{"lut", compute}, {"mul", compute}, {"pixel_gather", copy}});
  const int steps = 49;
  const int first_layer_directions = folder.rfind("kws_gru_bi", 0) == 0 ? 2 : 1;
  EXPECT_EQ(count["pixel_gather"], steps * first_layer_directions);
  EXPECT_GE(count["lut"], count["pixel_gather"]) << "each step applies its gates' tables";
}

INSTANTIATE_TEST_SUITE_P(Families, RecurrentKeywordSpotters,
                         ::testing::Combine(::testing::Values("kws_lstm_opset13", "kws_lstm_opset17",
                                                              "kws_gru_bi_opset13", "kws_gru_bi_opset17"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// MobileViT-XXS as users export it (ml-cvnets' unfold and fold, torch's nn.MultiheadAttention
// over 4 sets of 64, 16 and 4 tokens in three MobileViT blocks) at opsets 13 and 17, on both
// targets with data: each unfold and fold one gather of pixels on the copy unit (xDNN's DDR
// engine, PULP's cluster DMA), the sets' attention Swin's windowed products and softmax on the
// unit that has them (xDNN's host model, PULP's cores); every layer bit-exact.
class MobileVitHybrids : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(MobileVitHybrids, RunBitExactlyWithTheirSetsOfTokensAsWindows) {
  const auto& [folder, hw] = GetParam();
  const auto [run, report] = run_battery_with_data(hw, folder);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  const std::string compute = compute_unit(hw), copy = copy_unit(hw);
  auto count = layers_by_type(report, {{"pixel_gather", copy}, {"matmul", compute}, {"softmax", compute}});
  EXPECT_EQ(count["pixel_gather"], 2 * 3) << "an unfold and a fold in each of 3 blocks";
  EXPECT_EQ(count["matmul"], 2 * 9) << "scores and context in each of 2 + 4 + 3 transformer layers";
  EXPECT_EQ(count["softmax"], 9);
}

INSTANTIATE_TEST_SUITE_P(Families, MobileVitHybrids,
                         ::testing::Combine(::testing::Values("mobilevit_xxs_opset13", "mobilevit_xxs_opset17"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// Llama-like decoders as users export them (scripts/decoder_models.py: nn.Embedding, RMSNorm as
// torch.rsqrt, rotary position embeddings as apply_rotary_pos_emb, masked_fill with -inf or
// F.scaled_dot_product_attention(is_causal=True) as torch >= 2.1 exports it, SwiGLU, the KV cache
// as graph inputs concatenated with the new token's, in llama2.c's layout [1, P, C] or Hugging
// Face's [1, h, P, d], grouped-query attention's shared key and value heads repeated as
// Hugging Face's repeat_kv) at opsets 13 (14 for the fused attention; 17 alone for grouped
// queries) and 17, on both targets with data, every input from its file: the
// rows gathered by the ids on the copy unit where the target has one (PULP's uDMA; xDNN's host),
// each RMSNorm the integer LayerNorm without the mean, the products of attention and the
// softmax on the unit that has them; every layer bit-exact, the tokens counted.
class Decoders : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(Decoders, RunBitExactlyFromTheirTokenIds) {
  const auto& [folder, hw] = GetParam();
  const nlohmann::json meta = test::read_json(battery_dir() / folder / "meta.json");
  std::string inputs;
  for (std::size_t i = 0; i < meta["input_names"].size(); ++i) {
    inputs += fmt::format(" --input {}={}", meta["input_names"][i].get<std::string>(),
                          (battery_dir() / folder / meta["input_files"][i].get<std::string>()).string());
  }
  const auto [run, report] = run_with_data(hw, (battery_dir() / folder / "model.onnx").string(), inputs);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(report["verdict"], "bit-exact") << run.out;
  const auto& shape = meta["decoder"];
  EXPECT_EQ(report["totals"]["tokens"], shape["tokens"]);
  const std::string compute = compute_unit(hw);
  auto count = layers_by_type(report, {{"layernorm", compute}, {"matmul", compute}, {"softmax", compute}, {"mul", compute}});
  const int layers = shape["layers"].get<int>();
  EXPECT_EQ(count["layernorm"], 2 * layers + 1) << "two RMSNorms a block and the last";
  EXPECT_EQ(count["matmul"], 2 * layers) << "scores and context in each block";
  EXPECT_EQ(count["mul"], 5 * layers) << "rotary embeddings' cos and sin products on q and k, SwiGLU's product";
  EXPECT_EQ(count["embedding"], 1);
  const int heads = shape["heads"].get<int>(), key_heads = shape["kv_heads"].get<int>();
  int repeats = 0;
  for (const auto& layer : report["layers"]) {
    const std::string name = layer["name"];
    if (name.ends_with("_repeated_heads")) {
      ++repeats;
      EXPECT_EQ(layer["type"], "channel_gather") << name;
    }
  }
  EXPECT_EQ(repeats, key_heads != 0 && key_heads != heads ? 2 * layers : 0) << "the keys and values of each block";
}

INSTANTIATE_TEST_SUITE_P(Families, Decoders,
                         ::testing::Combine(::testing::Values("llama_prefill_opset13", "llama_prefill_opset17",
                                                              "llama_decode_opset13", "llama_decode_opset17",
                                                              "llama_wide_prefill_opset13",
                                                              "llama_wide_prefill_opset17",
                                                              "llama_sdpa_prefill_opset14",
                                                              "llama_sdpa_prefill_opset17",
                                                              "llama_hf_decode_opset13", "llama_hf_decode_opset17",
                                                              "llama_gqa_prefill_opset17", "llama_gqa_decode_opset17"),
                                            ::testing::Values("v3_96", "gap8")),
                         case_name);

// A BERT-like encoder on both targets, with data: its input [1, 64, 128] is tokens, read as the
// image [1, 128, 1, 64] with no copy; post-LN blocks (a LayerNorm after each residual Add),
// attention with heads of 64, GELU tables, the Linear on token 0.
INSTANTIATE_TEST_SUITE_P(Encoder, BatteryBitExact,
                         ::testing::Combine(::testing::Values("bert_emb_opset11"), ::testing::Values("v3_96", "gap8")),
                         case_name);

}  // namespace
}  // namespace wb
