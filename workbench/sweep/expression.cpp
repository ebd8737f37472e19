#include "workbench/sweep/expression.h"

#include <fmt/format.h>
#include <muParser.h>

#include <algorithm>
#include <deque>

#include "support/error.h"

namespace wb::sweep {

namespace {

constexpr const char* kNameChars = "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.";

void define_units(mu::Parser& parser) {
  parser.DefineConst("KiB", 1024.0);
  parser.DefineConst("MiB", 1024.0 * 1024.0);
  parser.DefineConst("GiB", 1024.0 * 1024.0 * 1024.0);
  parser.DefineConst("kB", 1e3);
  parser.DefineConst("MB", 1e6);
  parser.DefineConst("GB", 1e9);
}

// muParser calls this for a name it does not know while parsing: we only collect names.
double* collect_variable(const char* /*name*/, void* storage) {
  auto* slots = static_cast<std::deque<double>*>(storage);
  slots->push_back(0.0);
  return &slots->back();
}

}  // namespace

Expression::Expression(std::string text, std::string where) : text_(std::move(text)), where_(std::move(where)) {
  std::deque<double> slots;
  mu::Parser parser;
  parser.DefineNameChars(kNameChars);
  define_units(parser);
  parser.SetVarFactory(collect_variable, &slots);
  try {
    parser.SetExpr(text_);
    for (const auto& [name, slot] : parser.GetUsedVar()) names_.push_back(name);
  } catch (const mu::Parser::exception_type& e) {
    throw UserError(fmt::format("{}: '{}' does not parse: {}", where_, text_, e.GetMsg()));
  }
  std::sort(names_.begin(), names_.end());
}

double Expression::evaluate(const std::map<std::string, double>& variables) const {
  std::map<std::string, double> values;
  for (const std::string& name : names_) {
    const auto it = variables.find(name);
    if (it == variables.end()) throw UserError(fmt::format("{}: '{}' has no value here", where_, name));
    values[name] = it->second;
  }
  mu::Parser parser;
  parser.DefineNameChars(kNameChars);
  define_units(parser);
  for (auto& [name, value] : values) parser.DefineVar(name, &value);
  try {
    parser.SetExpr(text_);
    return parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw UserError(fmt::format("{}: '{}': {}", where_, text_, e.GetMsg()));
  }
}

}  // namespace wb::sweep
