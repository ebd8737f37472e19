#pragma once
// The HwConfig schema (docs/hw_config.md): every key once, with its kind, unit, range, where its
// value comes from, its default (a key a config may leave out) and the field it fills, and each
// target's section. The loader (hw_config.cpp) reads configs with it;
// hw_keys() and resolved_keys() hand it out. Used by isa/ and by a model above it that registers
// a section of keys of its own (register_model_section).

#include <any>
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

// How a key declared in a .def row (WB_HW_KEY) is read: a config must give it, may leave it out
// (its initial value is the default), or must give a power of two.
enum class Presence { required, defaulted, required_power_of_two };

// One key of the schema: path, kind, unit, inclusive range, meaning, where its value comes from
// (and which source, or how), the field it fills; `presence` as above, its default (for
// `defaulted`) read off `fresh` (a config holding the section's initial values).
KeySpec make_key(Presence presence, const HwConfig& fresh, std::string_view path, HwValueKind kind,
                 std::string_view unit, double min, double max, std::string_view meaning, HwProvenance provenance,
                 std::string_view source, FieldRef (*field)(HwConfig&));

// The schema row (a KeySpec, with its comma) of one WB_HW_KEY row of a .def file, for an
// includer that defines `#define WB_HW_KEY(...) WB_HW_SCHEMA_ROW(fresh, section, __VA_ARGS__)`:
// `fresh` a config holding the section's initial values, `section` the section's struct as an
// expression of the config `c` (the row's field is `section.field`).
#define WB_HW_SCHEMA_ROW(fresh, section, type, field, initial, path, kind, unit, min, max, presence, provenance,    \
                         meaning, source)                                                                          \
  ::wb::hw_schema::make_key(::wb::hw_schema::Presence::presence, fresh, path, ::wb::HwValueKind::kind, unit, min,  \
                            max, meaning, ::wb::HwProvenance::provenance, source,                                   \
                            [](::wb::HwConfig& c) -> ::wb::hw_schema::FieldRef { return &section.field; }),

// A section of a target's keys that a model above isa/ declares and reads (perf/pulp's
// `predictor.*`): its values live in the target's params under `models[name]`, as the model's
// own struct, and its keys follow the target's own sections (before `energy.*`). Registered
// once, before any config is read (a static initialiser of the model's library): a tool that
// does not link the model has no such keys.
struct ModelSection {
  Target target;
  std::string_view name;           // "predictor": its keys' prefix
  std::any (*fresh)();             // the section's initial values
  std::vector<KeySpec> (*keys)();  // its keys, paths "<name>.<field>"
};
void register_model_section(const ModelSection& section);

// The model section `name` of `models` as `Section`, its initial values put in first when
// absent (a config built by hand rather than loaded).
template <class Section>
Section& model_section(HwModelSections& models, std::string_view name) {
  auto it = models.find(name);
  if (it == models.end() || !it->second.has_value()) it = models.insert_or_assign(std::string(name), Section{}).first;
  return std::any_cast<Section&>(it->second);
}

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
