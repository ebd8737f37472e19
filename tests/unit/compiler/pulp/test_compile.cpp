// The PULP compiler driver.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/pulp/compile.h"
#include "support/error.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {
namespace {

TEST(PulpCompile, RefusesAnotherScheme) {
  quant::QGraph graph = test::small_pulp_cnn_qgraph();
  graph.scheme = quant::Scheme::Xdnn;
  EXPECT_THROW(compile_pulp(graph, test::pulp_config(), {}), UserError);
}

}  // namespace
}  // namespace wb::pulp
