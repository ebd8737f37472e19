#pragma once
// The one simulation of a SystemC test binary. SystemC elaborates once per process, so each
// test file registers the modules it needs (at static initialisation), sc_main builds them all,
// runs the simulation to its end, and only then runs the tests, which read what the modules
// recorded. `--gtest_list_tests` (ctest's discovery) lists them without simulating.

#include <functional>

namespace wb::test {

// Returns true, for `const bool registered = add_to_simulation(...)` at namespace scope.
bool add_to_simulation(std::function<void()> elaborate);

}  // namespace wb::test
