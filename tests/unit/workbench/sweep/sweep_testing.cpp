#include "tests/unit/workbench/sweep/sweep_testing.h"

#include "support/error.h"

namespace wb::test {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace wb::test
