// The PULP compiler's switches.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/pulp/compile_options.h"
#include "support/error.h"

namespace wb::pulp {
namespace {

TEST(PulpCompileOptions, ParsesAndRejects) {
  EXPECT_EQ(parse_compile_options({"tiler=cost"}).tiler, TilerObjective::Cost);
  EXPECT_FALSE(parse_compile_options({"weight_prefetch=off"}).weight_prefetch);
  EXPECT_EQ(describe(parse_compile_options({})), "tiler=dory,weight_prefetch=on");
  EXPECT_THROW(parse_compile_options({"tiler=fast"}), UserError);
  EXPECT_THROW(parse_compile_options({"schedule_search=on"}), UserError);
}

}  // namespace
}  // namespace wb::pulp
