// Also the SystemC smoke test: it elaborates modules and runs the kernel, so a missing or
// ABI-mismatched libsystemc fails here first.
#include "tests/unit/sim/common/systemc_testing.h"

#include <gtest/gtest.h>

#include <systemc>
#include <vector>

namespace wb::test {

namespace {

std::vector<std::function<void()>>& elaborations() {
  static std::vector<std::function<void()>> all;
  return all;
}

}  // namespace

bool add_to_simulation(std::function<void()> elaborate) {
  elaborations().push_back(std::move(elaborate));
  return true;
}

}  // namespace wb::test

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  for (const auto& elaborate : wb::test::elaborations()) elaborate();
  if (!::testing::GTEST_FLAG(list_tests)) sc_core::sc_start();
  return RUN_ALL_TESTS();
}
