#pragma once
// The two kinds of failure the whole tool distinguishes (gem5's fatal vs panic):
// a UserError is caused by the input (model, tensor file, config, command line) and is
// reported as one line with what to change, exit code 2; anything else is a bug, exit 1.
// It lives in isa/ because both the compiler and the simulators raise it.

#include <stdexcept>
#include <string>

namespace wb {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wb
