#include "compiler/pulp/kernel_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "isa/pulp_program.h"
#include "tests/support/generated_docs.h"

namespace wb::pulp {
namespace {

using quant::QOpKind;

// The ops map_layers maps itself: views of their input's bytes, and placed concats.
const std::set<QOpKind> kMappedInContext = {QOpKind::Reshape, QOpKind::HwcReshape, QOpKind::Concat};

// Every op of the QGraph is a row of the table or mapped in context, never both, and no row
// is there twice.
TEST(PulpKernelRules, EveryOpHasOneRowOrIsMappedInContext) {
  std::set<QOpKind> rows;
  for (const KernelRule& rule : kernel_rules()) {
    EXPECT_TRUE(rows.insert(rule.op).second) << quant::qop_name(rule.op) << " has two rows";
    EXPECT_EQ(kMappedInContext.count(rule.op), 0u) << quant::qop_name(rule.op);
    EXPECT_EQ(kernel_rule(rule.op), &rule);
    EXPECT_STRNE(isa::pulp::kernel_kind_name(rule.kernel), "unknown") << quant::qop_name(rule.op);
  }
  for (int k = 0; k <= static_cast<int>(quant::kLastQOpKind); ++k) {
    const auto op = static_cast<QOpKind>(k);
    EXPECT_TRUE(rows.count(op) != 0 || kMappedInContext.count(op) != 0)
        << quant::qop_name(op) << " has no mapping";
  }
}

TEST(PulpKernelRules, DocsCarryTheTable) {
  test::expect_generated_section("pulp.md", "<!-- kernel-rules:begin (generated from compiler/pulp/kernel_rules.def) -->\n",
                                 "<!-- kernel-rules:end -->", kernel_rules_markdown());
}

}  // namespace
}  // namespace wb::pulp
