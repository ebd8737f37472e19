// The predictor's counts are perf/pulp's own section of the PULP keys: registered into the
// schema before any config is read, between the cluster's own keys and its energies.
#include "perf/pulp/kernel_cycles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/hw_schema.h"
#include "tests/support/test_paths.h"

namespace wb::perf::pulp {
namespace {

std::vector<std::string> pulp_key_paths() {
  std::vector<std::string> paths;
  for (const HwKeyInfo& key : hw_keys(Target::Pulp)) paths.emplace_back(key.path);
  return paths;
}

TEST(KernelCycles, TheSectionSitsBetweenTheClustersKeysAndItsEnergies) {
  const std::vector<std::string> paths = pulp_key_paths();
  const auto at = [&](const std::string& path) {
    return static_cast<std::size_t>(std::find(paths.begin(), paths.end(), path) - paths.begin());
  };
  ASSERT_LT(at("predictor.requant_per_output"), paths.size());
  EXPECT_LT(at("core.divide_cycles"), at("predictor.matmul_4x2_iteration"));
  EXPECT_LT(at("predictor.bank_conflict_share"), at("energy.instruction_pj"));
  // None of xDNN's keys is the predictor's.
  for (const HwKeyInfo& key : hw_keys(Target::Xdnn)) EXPECT_FALSE(key.path.starts_with("predictor.")) << key.path;
}

TEST(KernelCycles, ALoadedConfigCarriesItsValuesAndHandBuiltParamsTheDefaults) {
  const HwConfig set =
      load_hw_config(test::source_dir() / "configs" / "gap8.yaml", {"predictor.requant_per_output=12"});
  EXPECT_EQ(kernel_cycles(set.pulp()).requant_per_output, 12);
  EXPECT_EQ(kernel_cycles(set.pulp()).call_overhead, KernelCycles{}.call_overhead);
  const PulpParams by_hand;
  EXPECT_EQ(kernel_cycles(by_hand).requant_per_output, KernelCycles{}.requant_per_output);
}

TEST(KernelCycles, ASectionRegisteredTwiceIsABug) {
  EXPECT_THROW(hw_schema::register_model_section(
                   {Target::Pulp, kKernelCyclesSection, [] { return std::any(KernelCycles{}); },
                    [] { return std::vector<hw_schema::KeySpec>{}; }}),
               std::logic_error);
}

}  // namespace
}  // namespace wb::perf::pulp
