#pragma once
// The two kinds of failure the whole tool distinguishes (gem5's fatal vs panic):
// a UserError is caused by the input (model, tensor file, config, command line) and is
// reported as one line with what to change, exit code 2; anything else is a bug, exit 1.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/utf8.h"

namespace wb {

// Its message is valid UTF-8 whatever it quotes (valid_utf8): bytes of a binary file escaped.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& what) : std::runtime_error(valid_utf8(what)) {}
  explicit UserError(const char* what) : std::runtime_error(valid_utf8(what)) {}
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
