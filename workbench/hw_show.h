#pragma once
// `workbench hw show`: loads a hardware config (isa/hw_config.h) with its --set overrides and
// prints every resolved key with its value and unit, then the derived figures (peak MAC/cycle,
// peak GOP/s, ...). The JSON form is the "hw" block the run report will carry.

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "isa/hw_config.h"

namespace wb {

struct HwShowCommand {
  std::filesystem::path hw;
  std::vector<std::string> overrides;         // --set key=value, applied in order
  std::optional<std::filesystem::path> json;  // also write hw_show_json here
};

HwConfig run_hw_show(const HwShowCommand& command, std::ostream& out);

// `overrides` marks the keys that came from --set.
void print_hw_config(std::ostream& os, const HwConfig& config, const std::vector<std::string>& overrides = {});

// {"name", "target", "resolved": {keys nested as in the YAML file, sizes in bytes},
//  "units": {dotted key: unit}, "derived": {figure: value}}
nlohmann::json hw_config_json(const HwConfig& config);

}  // namespace wb
