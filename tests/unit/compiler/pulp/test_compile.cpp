// The PULP compiler driver: the scheme it accepts, the program header that names what the
// program was compiled for, the report's totals over its layers and the tiling log.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>

#include <fmt/format.h>

#include "compiler/pulp/compile.h"
#include "compiler/pulp/layer_mapping.h"
#include "isa/program_file.h"
#include "isa/pulp_program.h"
#include "support/error.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

using testing::HasSubstr;

TEST(PulpCompile, RefusesAnotherScheme) {
  quant::QGraph graph = test::small_pulp_cnn_qgraph();
  graph.scheme = quant::Scheme::Xdnn;
  EXPECT_THROW(compile_pulp(graph, test::pulp_config(), {}), UserError);
}

TEST(PulpCompile, TheSchemeErrorSaysWhichSchemeToUse) {
  quant::QGraph graph = test::small_pulp_cnn_qgraph();
  graph.scheme = quant::Scheme::Pow2;
  try {
    compile_pulp(graph, test::pulp_config(), {});
    ADD_FAILURE() << "compiled a pow2 graph";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pow2 scheme"));
    EXPECT_THAT(e.what(), HasSubstr("--scheme pulp"));
  }
}

TEST(PulpCompile, TheHeaderNamesTheTargetConfigModelAndOptions) {
  const HwConfig config = test::pulp_config();
  CompileOptions options;
  options.tiler = TilerObjective::Cost;
  const auto& graph = test::small_pulp_cnn_qgraph();
  const CompileResult r = compile_pulp(graph, config, options);
  const auto& header = r.network.header();
  EXPECT_EQ(header.target(), "pulp");
  EXPECT_EQ(header.format_version(), isa::pulp::kPulpFormatVersion);
  EXPECT_EQ(header.hw_name(), config.name);
  EXPECT_EQ(header.hw_fingerprint(), isa::hw_fingerprint(config));
  EXPECT_EQ(header.model_name(), graph.name);
  EXPECT_EQ(header.quant_scheme(), "pulp");
  EXPECT_EQ(header.compile_options(), "tiler=cost,weight_prefetch=on,tile_choice=measured,measured_tilings=2,fusion=off");
  // Another L2 is another machine.
  const CompileResult other = compile_pulp(graph, test::pulp_config({"l2_bytes=256KiB"}), options);
  EXPECT_NE(other.network.header().hw_fingerprint(), header.hw_fingerprint());
}

TEST(PulpCompile, TheReportsTotalsAreItsLayersSums) {
  const auto& graph = test::small_pulp_cnn_qgraph();
  const CompileResult r = compile_pulp(graph, test::pulp_config({"l1_tile_budget_bytes=8KiB", "l2_bytes=12KiB"}), {});
  const nlohmann::json& report = r.report;
  const LayerMapping mapping = map_layers(graph);
  ASSERT_EQ(report.at("layers").size(), mapping.layers.size());
  std::uint64_t macs = 0, ops = 0, predicted = 0, l3_in = 0, l3_out = 0;
  for (std::size_t i = 0; i < mapping.layers.size(); ++i) {
    const nlohmann::json& row = report.at("layers")[i];
    EXPECT_EQ(row.at("name"), mapping.layers[i].name);
    EXPECT_EQ(row.at("macs").get<std::uint64_t>(), mapping.layers[i].macs);
    EXPECT_EQ(row.at("tiles").get<std::uint32_t>(), r.network.layers(static_cast<int>(i)).tiling().tiles());
    macs += row.at("macs").get<std::uint64_t>();
    ops += row.at("ops").get<std::uint64_t>();
    predicted += row.at("predicted_cycles").get<std::uint64_t>();
    l3_in += row.at("l3_bytes_in").get<std::uint64_t>();
    l3_out += row.at("l3_bytes_out").get<std::uint64_t>();
  }
  EXPECT_EQ(report.at("macs").get<std::uint64_t>(), macs);
  EXPECT_EQ(report.at("ops").get<std::uint64_t>(), ops);
  EXPECT_EQ(report.at("predicted_cycles").get<std::uint64_t>(), predicted);
  EXPECT_EQ(report.at("l3_bytes_in").get<std::uint64_t>(), l3_in);
  EXPECT_EQ(report.at("l3_bytes_out").get<std::uint64_t>(), l3_out);
  EXPECT_GT(l3_out, 0u) << "12 KiB of L2 should put tensors in L3";
  EXPECT_EQ(report.at("l3_weight_bytes").get<std::uint64_t>(), r.network.l3_image().size());
  EXPECT_EQ(report.at("l2_bytes_used").get<std::uint64_t>(), r.network.l2_bytes_used());
  EXPECT_EQ(report.at("tiler"), "dory");
}

TEST(PulpCompile, TheTilingLogHasABlockPerLayer) {
  const CompileResult r = compile_pulp(test::small_pulp_cnn_qgraph(), test::pulp_config(), {});
  EXPECT_THAT(r.tiling_log, HasSubstr("tiler=dory"));
  for (int i = 0; i < r.network.layers_size(); ++i) {
    const auto& layer = r.network.layers(i);
    EXPECT_THAT(r.tiling_log, HasSubstr(fmt::format("Layer {} {} '{}'", i, layer.type(), layer.name())));
  }
  EXPECT_EQ(r.tiling_log, tiling_log(r.network, test::pulp_config()));
}

}  // namespace
}  // namespace wb::pulp
