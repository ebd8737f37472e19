#pragma once
// The two kinds of failure the whole tool distinguishes (gem5's fatal vs panic):
// a UserError is caused by the input (model, tensor file, config, command line) and is
// reported as one line with what to change, exit code 2; anything else is a bug, exit 1.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The items of an error's list, one indented line each ("\n  item"), at most `shown` of them
// and then "and N more; <where_all>": a model with 130 unsupported nodes stays readable.
inline std::string indented_list(const std::vector<std::string>& items, std::string_view where_all,
                                 std::size_t shown = 10) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < shown; ++i) text += "\n  " + items[i];
  if (items.size() > shown) {
    text += "\n  and " + std::to_string(items.size() - shown) + " more; " + std::string(where_all);
  }
  return text;
}

}  // namespace wb
