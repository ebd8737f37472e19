#include "compiler/xdnn/layer_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/generated_docs.h"

namespace wb::xdnn {
namespace {

using quant::QOpKind;

// The ops map_layers maps itself (their layer depends on the graph around them).
const std::set<QOpKind> kMappedInContext = {QOpKind::Conv,    QOpKind::MaxPool, QOpKind::AvgPool,
                                            QOpKind::Add,     QOpKind::Reshape, QOpKind::Concat};

// Every op of the QGraph is a row of the table or mapped in context, never both, and no row
// is there twice: a new op without a row is refused by name, not mapped as a conv.
TEST(XdnnLayerRules, EveryOpHasOneRowOrIsMappedInContext) {
  std::set<QOpKind> rows;
  for (const LayerRule& rule : layer_rules()) {
    EXPECT_TRUE(rows.insert(rule.op).second) << quant::qop_name(rule.op) << " has two rows";
    EXPECT_EQ(kMappedInContext.count(rule.op), 0u) << quant::qop_name(rule.op);
    EXPECT_EQ(layer_rule(rule.op), &rule);
  }
  for (int k = 0; k <= static_cast<int>(quant::kLastQOpKind); ++k) {
    const auto op = static_cast<QOpKind>(k);
    EXPECT_TRUE(rows.count(op) != 0 || kMappedInContext.count(op) != 0) << quant::qop_name(op) << " has no mapping";
  }
}

// A host row says why; a row on the overlay's units runs on the DDR engine.
TEST(XdnnLayerRules, HostRowsNameTheirReasonAndCopiesRunOnTheDdrEngine) {
  for (const LayerRule& rule : layer_rules()) {
    const bool host = rule.kind == XLayerKind::HostElementwise;
    EXPECT_EQ(host, rule.host_reason[0] != '\0') << quant::qop_name(rule.op);
    if (!host) {
      XLayer layer;
      layer.kind = rule.kind;
      EXPECT_STREQ(layer_unit(layer), "ddr") << quant::qop_name(rule.op);
    }
  }
}

TEST(XdnnLayerRules, DocsCarryTheTable) {
  test::expect_generated_section("xdnn.md", "<!-- layer-rules:begin (generated from compiler/xdnn/layer_rules.def) -->\n",
                                 "<!-- layer-rules:end -->", layer_rules_markdown());
}

}  // namespace
}  // namespace wb::xdnn
