#pragma once
// Arithmetic and comparisons over named numbers, for a sweep's constraints
// (`array.rows * array.cols <= 4096`) and its report's axes (`am_bytes / MiB`). Parsed and
// evaluated by muParser (Debian's libmuparser-dev); names may contain dots, as HwConfig keys
// do; the byte units KiB, MiB, GiB, kB, MB and GB are constants.

#include <map>
#include <string>
#include <vector>

namespace wb::sweep {

class Expression {
 public:
  // UserError starting with `where` when the text does not parse.
  Expression(std::string text, std::string where);

  const std::string& text() const { return text_; }
  // The variable names it uses (constants excluded), sorted.
  const std::vector<std::string>& names() const { return names_; }
  // Its value with these variables (every name must have one); UserError otherwise.
  double evaluate(const std::map<std::string, double>& variables) const;

 private:
  std::string text_, where_;
  std::vector<std::string> names_;
};

}  // namespace wb::sweep
