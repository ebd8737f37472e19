#include "support/option_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <stdexcept>

#include "support/error.h"

namespace wb {

namespace {

bool is_positive_integer(std::string_view text, std::int64_t* value = nullptr) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1) return false;
  if (value != nullptr) *value = v;
  return true;
}

std::string value_syntax(const OptionSpec& spec) {
  switch (spec.kind) {
    case OptionKind::Switch: return "on|off";
    case OptionKind::Choice: return fmt::format("{}", fmt::join(spec.choices, "|"));
    case OptionKind::Count: return "N";
  }
  return "";
}

// "tiler=dory|cost (DORY's objective ...; default dory)".
std::string spec_help(const OptionSpec& spec) {
  return fmt::format("{}={} ({}; default {})", spec.name, value_syntax(spec), spec.meaning, spec.default_value);
}

std::string allowed_values(const OptionSpec& spec) {
  switch (spec.kind) {
    case OptionKind::Switch: return "on or off";
    case OptionKind::Choice: return fmt::format("one of {}", fmt::join(spec.choices, ", "));
    case OptionKind::Count: return "a positive integer";
  }
  return "";
}

bool valid_value(const OptionSpec& spec, const std::string& value) {
  switch (spec.kind) {
    case OptionKind::Switch: return value == "on" || value == "off";
    case OptionKind::Choice:
      for (const std::string& c : spec.choices) {
        if (c == value) return true;
      }
      return false;
    case OptionKind::Count: return is_positive_integer(value);
  }
  return false;
}

}  // namespace

const std::string& OptionValues::at(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error(fmt::format("compile option '{}' is not in the table", name));
  return it->second;
}

bool OptionValues::on(std::string_view name) const {
  const std::string& value = at(name);
  if (value != "on" && value != "off") throw std::logic_error(fmt::format("compile option '{}' is not a switch", name));
  return value == "on";
}

const std::string& OptionValues::choice(std::string_view name) const { return at(name); }
const std::string& OptionValues::text(std::string_view name) const { return at(name); }

std::int64_t OptionValues::count(std::string_view name) const {
  std::int64_t value = 0;
  if (!is_positive_integer(at(name), &value)) {
    throw std::logic_error(fmt::format("compile option '{}' is not a count", name));
  }
  return value;
}

OptionTable::OptionTable(std::string target, std::vector<OptionSpec> specs)
    : target_(std::move(target)), specs_(std::move(specs)) {
  for (const OptionSpec& spec : specs_) {
    if (!valid_value(spec, spec.default_value)) {
      throw std::logic_error(fmt::format("{} compile option '{}': default '{}' is not {}", target_, spec.name,
                                         spec.default_value, allowed_values(spec)));
    }
  }
}

const OptionSpec* OptionTable::find(std::string_view name) const {
  for (const OptionSpec& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string OptionTable::problem(const std::string& item) const {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    return fmt::format("expected name=value; {} options: {}", target_, help());
  }
  const std::string name = item.substr(0, eq);
  const std::string value = item.substr(eq + 1);
  const OptionSpec* spec = find(name);
  if (spec == nullptr) {
    std::vector<std::string> names;
    for (const OptionSpec& s : specs_) names.push_back(s.name);
    return fmt::format("not a {} compiler option; valid: {}", target_, fmt::join(names, ", "));
  }
  if (!valid_value(*spec, value)) return fmt::format("expected {}: {}", allowed_values(*spec), spec_help(*spec));
  return "";
}

OptionValues OptionTable::parse(const std::vector<std::string>& items) const {
  OptionValues values;
  for (const OptionSpec& spec : specs_) values.set(spec.name, spec.default_value);
  for (const std::string& item : items) {
    if (const std::string why = problem(item); !why.empty()) {
      throw UserError(fmt::format("--compile-opt {}: {}", item, why));
    }
    const auto eq = item.find('=');
    values.set(item.substr(0, eq), item.substr(eq + 1));
  }
  return values;
}

std::string OptionTable::describe(const OptionValues& values) const {
  std::vector<std::string> items;
  for (const OptionSpec& spec : specs_) items.push_back(fmt::format("{}={}", spec.name, values.text(spec.name)));
  return fmt::format("{}", fmt::join(items, ","));
}

std::string OptionTable::help() const {
  std::vector<std::string> items;
  for (const OptionSpec& spec : specs_) items.push_back(spec_help(spec));
  return fmt::format("{}", fmt::join(items, "; "));
}

std::vector<std::string> OptionTable::ablation() const {
  std::vector<std::string> items;
  for (const OptionSpec& spec : specs_) {
    if (spec.kind == OptionKind::Switch && spec.default_value == "on") items.push_back(spec.name + "=off");
  }
  return items;
}

}  // namespace wb
