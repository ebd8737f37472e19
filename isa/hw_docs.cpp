// docs/hw_config.md's key tables, generated from the schema (isa/hw_schema.cpp) so the page
// cannot drift from the keys the loader accepts; tests/unit/isa/test_hw_schema.cpp keeps the
// page equal to this.

#include <fmt/format.h>

#include <type_traits>

#include "isa/hw_config.h"
#include "isa/hw_schema.h"
#include "support/byte_size.h"

namespace wb {
namespace {

using namespace hw_schema;

std::string cell(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string code(std::string_view text) { return fmt::format("`{}`", text); }

std::string range_of(const KeySpec& key) {
  switch (key.info.kind) {
    case HwValueKind::Integer:
    case HwValueKind::Real:
      return fmt::format("{} .. {}{}", key.min, key.max, key.power_of_two ? ", a power of two" : "");
    case HwValueKind::Bytes:
      return fmt::format("{} .. {}", format_byte_size(static_cast<std::int64_t>(key.min)),
                         format_byte_size(static_cast<std::int64_t>(key.max)));
    default:
      return "";
  }
}

std::string source_of(const KeySpec& key) {
  return fmt::format("{}: {}", provenance_name(key.info.provenance), key.info.source);
}

std::string default_of(const KeySpec& key) {
  return key.info.default_value ? hw_value_text(key.info.kind, *key.info.default_value) : "required";
}

}  // namespace

std::string hw_value_text(HwValueKind kind, const HwValue& value) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return kind == HwValueKind::Bytes ? format_byte_size(v) : fmt::format("{}", v);
        } else {
          return fmt::format("{}", v);
        }
      },
      value);
}

std::string hw_keys_markdown(const std::vector<HwConfig>& configs) {
  std::string out = "Common keys (every target):\n\n";
  out += "| key | unit | meaning | range | default | source |\n|---|---|---|---|---|---|\n";
  for (const KeySpec& k : common_keys()) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", code(k.info.path), k.info.unit, cell(k.info.meaning),
                       range_of(k), default_of(k), cell(source_of(k)));
  }
  for (const TargetSchema& schema : target_schemas()) {
    std::vector<const HwConfig*> examples;
    for (const HwConfig& c : configs) {
      if (c.target() == schema.target) examples.push_back(&c);
    }
    std::string names, columns, rule;
    for (const HwConfig* c : examples) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", code(c->name));
      columns += fmt::format(" {} |", c->name);
      rule += "---|";
    }
    out += fmt::format("\n`target: {}` (the common keys with a value, then the target's own){}:\n\n", schema.name,
                       names.empty() ? "" : fmt::format("; values of {}", names));
    out += fmt::format("| key | unit | meaning | range | default |{} source |\n|---|---|---|---|---|{}---|\n", columns,
                       rule);
    for (const KeySpec* k : all_keys(schema.target)) {
      if (k->info.kind == HwValueKind::Text || k->info.kind == HwValueKind::Choice) continue;
      std::string values;
      for (const HwConfig* c : examples) values += fmt::format(" {} |", hw_value_text(k->info.kind, value_of(*k, *c)));
      out += fmt::format("| {} | {} | {} | {} | {} |{} {} |\n", code(k->info.path), k->info.unit,
                         cell(k->info.meaning), range_of(*k), default_of(*k), values, cell(source_of(*k)));
    }
  }
  return out;
}

std::string hw_key_range(Target target, std::string_view path) {
  const KeySpec* key = find_key(target, path);
  return key == nullptr ? std::string() : range_of(*key);
}

}  // namespace wb
