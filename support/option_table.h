#pragma once
// The compilers' switches (`--compile-opt name=value`), declared once per back end as a table
// and parsed by one parser, so every target spells them the same way: switches are `on` or
// `off`, choices one of their listed values, counts a positive integer. A sweep's ablation
// ("each optimisation off in turn") is read off the same table.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

enum class OptionKind { Switch, Choice, Count };

struct OptionSpec {
  std::string name;
  OptionKind kind = OptionKind::Switch;
  std::string default_value;         // "on"/"off", one of `choices`, or a positive integer
  std::vector<std::string> choices;  // Choice only
  std::string meaning;               // for --help and the docs
};

// The value of every option of one table: the defaults, then what was given.
class OptionValues {
 public:
  // std::logic_error for a name the table does not have or the wrong kind (a bug, not input).
  bool on(std::string_view name) const;
  const std::string& choice(std::string_view name) const;
  std::int64_t count(std::string_view name) const;
  const std::string& text(std::string_view name) const;

  void set(const std::string& name, const std::string& value) { values_[name] = value; }
  bool operator==(const OptionValues&) const = default;

 private:
  const std::string& at(std::string_view name) const;
  std::map<std::string, std::string, std::less<>> values_;
};

class OptionTable {
 public:
  // `target` names the back end in messages ("xdnn"). std::logic_error for a malformed table.
  OptionTable(std::string target, std::vector<OptionSpec> specs);

  // `name=value` items, later ones winning; UserError naming the item and what is valid.
  OptionValues parse(const std::vector<std::string>& items) const;
  OptionValues defaults() const { return parse({}); }
  // Whether `item` is a valid `name=value` of this table (for checking a sweep spec up front);
  // the reason when not.
  std::string problem(const std::string& item) const;

  // Every option in table order: "a=on,b=dory,c=20000" (recorded in program headers and reports).
  std::string describe(const OptionValues& values) const;
  // For --help: "name=on|off (meaning; default on); ...".
  std::string help() const;
  // The ablation of a sweep: "name=off" for every switch that is on by default.
  std::vector<std::string> ablation() const;

  const std::string& target() const { return target_; }
  const std::vector<OptionSpec>& specs() const { return specs_; }

 private:
  const OptionSpec* find(std::string_view name) const;

  std::string target_;
  std::vector<OptionSpec> specs_;
};

}  // namespace wb
