#include "workbench/hw_show.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <set>

#include "support/atomic_file.h"
#include "support/byte_size.h"

namespace wb {
namespace {

std::string format_figure(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

// Bytes with their exact count first, the rounded size beside it: "65536 (64 KiB)".
std::string format_value(const HwKeyValue& kv) {
  if (kv.key.kind != HwValueKind::Bytes) return hw_value_text(kv.key.kind, kv.value);
  const std::int64_t v = std::get<std::int64_t>(kv.value);
  const std::string human = format_byte_size(v);
  return human.ends_with(" bytes") ? fmt::format("{}", v) : fmt::format("{} ({})", v, human);
}

std::set<std::string> overridden_keys(const std::vector<std::string>& overrides) {
  std::set<std::string> keys;
  for (const auto& o : overrides) keys.insert(o.substr(0, o.find('=')));
  return keys;
}

}  // namespace

void print_hw_config(std::ostream& os, const HwConfig& config, const std::vector<std::string>& overrides) {
  const auto values = resolved_keys(config);
  const auto figures = derived_figures(config);
  const auto from_set = overridden_keys(overrides);
  std::size_t width = 0;
  for (const auto& kv : values) width = std::max(width, kv.key.path.size());
  for (const auto& f : figures) width = std::max(width, f.name.size());

  fmt::print(os, "{:<{}}  {:<22}  {}\n", "key", width, "value", "unit");
  fmt::print(os, "{}\n", std::string(width + 40, '-'));
  for (const auto& kv : values) {
    const bool set = from_set.count(std::string(kv.key.path)) != 0;
    std::string line = fmt::format("{:<{}}  {:<22}  {:<14}  {}", kv.key.path, width, format_value(kv), kv.key.unit,
                                   set ? "(--set)" : "");
    line.erase(line.find_last_not_of(' ') + 1);
    os << line << '\n';
  }
  fmt::print(os, "\nderived\n");
  for (const auto& f : figures) {
    fmt::print(os, "{:<{}}  {:<22}  {:<14}  {}\n", f.name, width, format_figure(f.value), f.unit, f.meaning);
  }
}

nlohmann::json hw_config_json(const HwConfig& config) {
  nlohmann::json resolved = nlohmann::json::object();
  nlohmann::json units = nlohmann::json::object();
  for (const auto& kv : resolved_keys(config)) {
    const std::string path(kv.key.path);
    std::string pointer = "/" + path;  // array.rows -> /array/rows: nested as in the file
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    std::visit([&](const auto& v) { resolved[nlohmann::json::json_pointer(pointer)] = v; }, kv.value);
    if (!kv.key.unit.empty()) units[path] = kv.key.unit;
  }
  nlohmann::json derived = nlohmann::json::object();
  for (const auto& f : derived_figures(config)) derived[f.name] = f.value;
  return {{"name", config.name},
          {"target", target_name(config.target())},
          {"resolved", resolved},
          {"units", units},
          {"derived", derived}};
}

HwConfig run_hw_show(const HwShowCommand& command, std::ostream& out) {
  HwConfig config = load_hw_config(command.hw, command.overrides);
  fmt::print(out, "hw config  {}\n", command.hw.string());
  for (const auto& o : command.overrides) fmt::print(out, "--set      {}\n", o);
  out << '\n';
  print_hw_config(out, config, command.overrides);
  if (command.json) {
    nlohmann::json doc = hw_config_json(config);
    doc["path"] = command.hw.string();
    doc["overrides"] = command.overrides;
    write_file_atomically(*command.json, doc.dump(2) + "\n");
  }
  return config;
}

}  // namespace wb
