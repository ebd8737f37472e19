#pragma once
// The HwConfig schema (docs/hw_config.md): every key once, with its kind, unit, range, where its
// value comes from, its default (a key a config may leave out) and the field it fills, and each
// target's section. The loader (hw_config.cpp) reads configs with it;
// hw_keys() and resolved_keys() hand it out. Internal to isa/.

#include <array>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isa/hw_config.h"

namespace wb::hw_schema {

using FieldRef = std::variant<std::string*, int*, std::int64_t*, double*, bool*>;

struct KeySpec {
  HwKeyInfo info;
  double min = 0;  // inclusive bounds of Integer, Real and Bytes values
  double max = 0;
  FieldRef (*field)(HwConfig&) = nullptr;  // null for `target`, which selects the section
  bool power_of_two = false;
  // info.default_value, when set, is the field's value in the target's fresh params (the
  // struct's initialiser, written once beside its derivation): the loader starts from those.
};

// The value of the key's field in `config` (the key must have a field).
HwValue value_of(const KeySpec& key, const HwConfig& config);

// Each target's section of the schema. One row per Target, in its order (HwConfig::params'
// alternatives follow it too).
struct TargetSchema {
  Target target;
  const char* name;  // the `target` key's value
  const std::vector<KeySpec>& (*keys)();
  HwConfig::Params (*fresh_params)();
};
const std::array<TargetSchema, kTargetCount>& target_schemas();
const TargetSchema& schema_of(Target target);

// The keys every target has (name, target, clock_mhz).
const std::vector<KeySpec>& common_keys();
// The targets' names for messages: "xdnn or pulp".
std::string target_choices();
// Common keys, then the target's, in file order.
std::vector<const KeySpec*> all_keys(Target target);
const KeySpec* find_key(Target target, std::string_view path);
// The leaf keys below a group ("array" -> rows, cols, ...), empty if `path` is no group.
std::vector<std::string_view> group_members(Target target, std::string_view path);

}  // namespace wb::hw_schema
