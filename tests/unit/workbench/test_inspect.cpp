#include "workbench/inspect.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

TEST(Inspect, RowsAddUpToTheTotals) {
  const ImportedModel model = import_onnx_file(test::workloads_dir() / "tiny_inception.onnx");
  const InspectReport report = build_inspect_report(model, "tiny_inception.onnx");
  std::int64_t macs = 0;
  std::int64_t params = 0;
  for (const auto& row : report.rows) {
    macs += row.macs;
    params += row.params;
  }
  EXPECT_EQ(macs, report.total_macs);
  EXPECT_EQ(params, report.total_params);
  EXPECT_EQ(report.conv_macs + report.fc_macs, report.total_macs);
  EXPECT_GT(report.fc_macs, 0);
  EXPECT_EQ(report.rows.size(), model.graph.node_count());
}

TEST(Inspect, TableShowsTotalsAndUnsupportedNodes) {
  test::OnnxBuilder b;
  b.input("x", {1, 4}).output("z");
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Hardmax", {"r"}, {"z"}, "hardmax_node");
  ImportOptions lenient;
  lenient.allow_unsupported = true;
  const InspectReport report = build_inspect_report(import_onnx_model(b.proto(), std::nullopt, lenient), "m.onnx");
  std::ostringstream text;
  print_inspect_report(text, report);
  EXPECT_NE(text.str().find("Hardmax (!)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("unsupported  1 node"), std::string::npos) << text.str();
  const auto json = inspect_report_json(report);
  EXPECT_EQ(json["unsupported"][0]["name"], "hardmax_node");
  EXPECT_EQ(json["layers"].size(), 2u);
}

}  // namespace
}  // namespace wb
