// The watchdog's report of a stalled run: the cycle, then every unit and what it was doing,
// on one line, and a runtime error (exit 1, a simulator bug), not a UserError.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/error.h"
#include "sim/common/watchdog.h"

namespace wb::sim {
namespace {

TEST(Watchdog, AStallNamesTheCycleAndEveryUnitOnOneLine) {
  const std::vector<UnitState> units{
      {"controller", "at instruction 12 (XNConv, layer 'c'), waiting for the array to complete 3 instructions (2 done)"},
      {"array", "idle, 0 queued, 2 of 3 issued done"},
      {"host", "idle, 0 queued, 0 of 0 issued done"}};
  try {
    throw SimulationStalled(1234, units);
  } catch (const UserError&) {
    FAIL() << "a stall is the simulator's bug, not bad input";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, testing::StartsWith("the simulation stopped at cycle 1234 with work left"));
    EXPECT_THAT(what, testing::HasSubstr("controller: at instruction 12 (XNConv, layer 'c'), waiting for the array"));
    EXPECT_THAT(what, testing::HasSubstr("; array: idle, 0 queued, 2 of 3 issued done; host: idle"));
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace wb::sim
