#pragma once
// The one-line message of the UserError a call throws, or "" if it throws none: most tests of
// bad input check what the message names.

#include <functional>
#include <string>

#include "support/error.h"

namespace wb::test {

inline std::string user_error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace wb::test
