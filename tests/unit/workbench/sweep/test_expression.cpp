// Constraint and report expressions over named numbers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/workbench/sweep/sweep_testing.h"
#include "workbench/sweep/expression.h"

namespace wb {
namespace {

using sweep::Expression;
using testing::ElementsAre;
using testing::HasSubstr;

TEST(SweepExpression, EvaluatesArithmeticComparisonsAndUnits) {
  const Expression e("array.rows * array.cols <= 4096 && am_bytes >= 2 * MiB", "w");
  EXPECT_THAT(e.names(), ElementsAre("am_bytes", "array.cols", "array.rows"));
  EXPECT_EQ(e.evaluate({{"array.rows", 96}, {"array.cols", 16}, {"am_bytes", 4 << 20}}), 1.0);
  EXPECT_EQ(e.evaluate({{"array.rows", 96}, {"array.cols", 64}, {"am_bytes", 4 << 20}}), 0.0);
  EXPECT_EQ(Expression("am_bytes / KiB", "w").evaluate({{"am_bytes", 8192}}), 8.0);
}

TEST(SweepExpression, ErrorsNameWhere) {
  EXPECT_THAT(test::user_error_of([] { Expression("array.rows <", "spec.yaml:3: constraints"); }),
              testing::AllOf(HasSubstr("spec.yaml:3: constraints"), HasSubstr("does not parse")));
  EXPECT_THAT(test::user_error_of([] { Expression("cores > 2", "w").evaluate({}); }), HasSubstr("'cores' has no value"));
}

}  // namespace
}  // namespace wb
