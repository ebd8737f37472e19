// The key table (isa/hw_schema.cpp): every key says where its value comes from; a key with a
// default holds a value its own range accepts and may be left out of a config; the PULP timing
// constants (the predictor's counts, the DMA command, the core pipeline) are keys that --set
// reaches and range-checks like any other.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "isa/hw_config.h"
#include "isa/hw_schema.h"
#include "perf/pulp/kernel_cycles.h"
#include "tests/support/test_paths.h"
#include "tests/support/user_error_testing.h"

namespace wb {
namespace {

std::string gap8_text() {
  std::ifstream in(test::source_dir() / "configs" / "gap8.yaml");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

HwConfig gap8_with(const std::vector<std::string>& overrides) {
  return parse_hw_config(gap8_text(), "gap8.yaml", overrides);
}

double as_number(const HwValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  return std::get<double>(value);
}

TEST(HwKeyTable, EveryKeySaysWhereItsValueComesFrom) {
  for (const Target target : all_targets()) {
    for (const HwKeyInfo& key : hw_keys(target)) {
      EXPECT_FALSE(key.source.empty()) << key.path;
      EXPECT_FALSE(key.meaning.empty()) << key.path;
    }
  }
}

TEST(HwKeyTable, EveryDefaultIsANumberItsRangeAccepts) {
  int defaults = 0;
  for (const Target target : all_targets()) {
    for (const hw_schema::KeySpec* key : hw_schema::all_keys(target)) {
      if (!key->info.default_value) continue;
      ++defaults;
      const HwValue& value = *key->info.default_value;
      ASSERT_TRUE(std::holds_alternative<std::int64_t>(value) || std::holds_alternative<double>(value))
          << key->info.path;
      EXPECT_GE(as_number(value), key->min) << key->info.path;
      EXPECT_LE(as_number(value), key->max) << key->info.path;
    }
  }
  EXPECT_GT(defaults, 0);
}

// The instruction counts all have keys: `predictor.*` (perf/pulp's section, registered into the
// schema) fill distinct fields of perf::pulp::KernelCycles, and laid end to end (each at its alignment) they fill the struct, so
// none is left without one.
TEST(HwKeyTable, EveryPredictorCountIsAKey) {
  HwConfig config = gap8_with({});
  const auto* first = reinterpret_cast<const char*>(&perf::pulp::kernel_cycles(config.pulp()));
  const auto* end = first + sizeof(perf::pulp::KernelCycles);
  std::set<const char*> fields;
  std::map<std::size_t, std::pair<std::size_t, std::size_t>> layout;  // offset -> size, alignment
  for (const hw_schema::KeySpec* key : hw_schema::all_keys(Target::Pulp)) {
    if (!key->info.path.starts_with("predictor.")) continue;
    EXPECT_TRUE(key->info.default_value) << key->info.path;
    std::visit(
        [&](auto* field) {
          const auto* at = reinterpret_cast<const char*>(field);
          EXPECT_TRUE(at >= first && at < end) << key->info.path << " fills a field outside the counts";
          EXPECT_TRUE(fields.insert(at).second) << key->info.path << " fills a field another key fills";
          layout[static_cast<std::size_t>(at - first)] = {sizeof(*field), alignof(std::remove_pointer_t<decltype(field)>)};
        },
        key->field(config));
  }
  std::size_t next = 0;
  for (const auto& [offset, field] : layout) {
    EXPECT_EQ(offset, (next + field.second - 1) / field.second * field.second) << "a field without a key before byte "
                                                                                << offset;
    next = offset + field.first;
  }
  constexpr std::size_t kAlign = alignof(perf::pulp::KernelCycles);
  EXPECT_EQ((next + kAlign - 1) / kAlign * kAlign, sizeof(perf::pulp::KernelCycles))
      << "a field without a key at the end";
}

// The shipped PULP configs name none of the timing constants: they load with the defaults.
TEST(HwKeyTable, AConfigWithoutTheOptionalKeysHasTheirDefaults) {
  const HwConfig gap8 = gap8_with({});
  int defaulted = 0;
  for (const HwKeyValue& kv : resolved_keys(gap8)) {
    if (!kv.key.default_value) continue;
    ++defaulted;
    EXPECT_EQ(kv.value, *kv.key.default_value) << kv.key.path;
  }
  EXPECT_GT(defaulted, 40);  // the predictor's counts, the DMA command, the core pipeline
  // docs/pulp.md's counts: requantising an output is 11 cycles, a 2-D DMA command 12.
  EXPECT_EQ(perf::pulp::kernel_cycles(gap8.pulp()).requant_per_output, 11);
  EXPECT_EQ(gap8.pulp().dma_command_cycles, 12);
  // The CV32E40P manual: a load-use hazard costs 1 cycle, a taken branch 3 (2 more than 1).
  EXPECT_EQ(gap8.pulp().core.load_use_stall_cycles, 1);
  EXPECT_EQ(gap8.pulp().core.branch_taken_cycles, 2);
}

TEST(HwKeyTable, AFileMaySetADefaultedKeyAsAGroup) {
  const HwConfig c =
      parse_hw_config(gap8_text() + "predictor:\n  requant_per_output: 12   # chosen: a test\ncore:\n  divide_cycles: 35\n",
                      "gap8_more.yaml");
  EXPECT_EQ(perf::pulp::kernel_cycles(c.pulp()).requant_per_output, 12);
  EXPECT_EQ(c.pulp().core.divide_cycles, 35);
  EXPECT_EQ(perf::pulp::kernel_cycles(c.pulp()).call_overhead, perf::pulp::kernel_cycles(gap8_with({}).pulp()).call_overhead);
}

// Nothing reads core.* yet (the core engine will); --set still takes and checks them.
TEST(HwKeyTable, SetReachesTheTimingConstants) {
  const HwConfig c = gap8_with({"predictor.requant_per_output=12", "predictor.bank_conflict_share=0.25",
                                "dma_command_cycles=20", "core.divide_cycles=35", "core.load_use_stall_cycles=2"});
  EXPECT_EQ(perf::pulp::kernel_cycles(c.pulp()).requant_per_output, 12);
  EXPECT_EQ(perf::pulp::kernel_cycles(c.pulp()).bank_conflict_share, 0.25);
  EXPECT_EQ(c.pulp().dma_command_cycles, 20);
  EXPECT_EQ(c.pulp().core.divide_cycles, 35);
  EXPECT_EQ(c.pulp().core.load_use_stall_cycles, 2);
}

TEST(HwKeyTable, ABadSetOfATimingConstantIsOneLineNamingIt) {
  const auto error = [](const std::string& set) {
    return test::user_error_of([&] { static_cast<void>(gap8_with({set})); });
  };
  EXPECT_EQ(error("core.divide_cycles=0"),
            "gap8.yaml (--set core.divide_cycles=0): core.divide_cycles: 0 is out of range [1, 1000]");
  EXPECT_EQ(error("predictor.requant_per_output=-1"),
            "gap8.yaml (--set predictor.requant_per_output=-1): predictor.requant_per_output: -1 is out of range "
            "[0, 10000]");
  EXPECT_EQ(error("predictor.bank_conflict_share=2"),
            "gap8.yaml (--set predictor.bank_conflict_share=2): predictor.bank_conflict_share: 2 is out of range "
            "[0, 1]");
  EXPECT_EQ(error("dma_command_cycles=1.5"),
            "gap8.yaml (--set dma_command_cycles=1.5): dma_command_cycles: expected an integer, got '1.5'");
  EXPECT_EQ(error("predictor.requant_per_outptu=3"),
            "gap8.yaml (--set predictor.requant_per_outptu=3): predictor.requant_per_outptu: unknown key (did you "
            "mean 'predictor.requant_per_output'?)");
  EXPECT_THAT(error("core=3"), ::testing::StartsWith("gap8.yaml (--set core=3): core: a group of keys; set one of "
                                                     "them: core.load_use_stall_cycles, core.branch_taken_cycles, "
                                                     "core.divide_cycles"));
  for (const std::string set : {"core.divide_cycles=0", "predictor=3", "dma_command_cycles=x"}) {
    EXPECT_EQ(error(set).find('\n'), std::string::npos) << set;
  }
}

}  // namespace
}  // namespace wb
