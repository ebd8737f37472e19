#include "workbench/partition_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

namespace wb {

PartitionReport build_partition_report(const CompileCommand& command, std::ostream& log) {
  PartitionReport report;
  const HwConfig config = load_hw_config(command.hw, command.overrides);
  const TargetBackend& backend = backend_for(config);
  const OptionValues options = backend.compile_options().parse(command.compile_opts);
  QuantizeCommand quantize = command.quantize;
  quantize.structure_only = true;  // which unit runs a layer does not depend on its ranges
  const QuantizeResult quantized = run_quantize(quantize, log);
  report.config_name = config.name;
  report.target = backend.name();
  report.partition = backend.partition(quantized.qgraph, config, options);
  return report;
}

void print_partition_report(std::ostream& os, const PartitionReport& report) {
  const auto& layers = report.partition.layers;
  std::size_t name_width = 5, type_width = 4;
  for (const auto& layer : layers) {
    name_width = std::max(name_width, std::min<std::size_t>(layer.name.size(), 48));
    type_width = std::max(type_width, layer.type.size());
  }
  fmt::print(os, "partition on {} ({}):\n", report.config_name, report.target);
  const std::string header = fmt::format("{:<{}}  {:<{}}  {:<7}  {}", "layer", name_width, "type", type_width, "unit",
                                         "why not on the accelerator");
  os << header << '\n' << std::string(header.size(), '-') << '\n';
  std::map<std::string, std::size_t> per_unit;
  for (const auto& layer : layers) {
    ++per_unit[layer.unit];
    const std::string name = layer.name.size() > 48 ? layer.name.substr(0, 45) + "..." : layer.name;
    fmt::print(os, "{:<{}}  {:<{}}  {:<7}  {}\n", name, name_width, layer.type, type_width, layer.unit, layer.reason);
  }
  os << std::string(header.size(), '-') << '\n';
  std::string counts;
  for (const auto& [unit, count] : per_unit) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, unit);
  fmt::print(os, "layers  {} ({})\n", layers.size(), counts.empty() ? "none" : counts);
  const std::size_t host = per_unit.count("host") != 0 ? per_unit.at("host") : 0;
  fmt::print(os, "host    {}\n", host == 0 ? "none: every layer runs on the accelerator"
                                          : fmt::format("{} layer{} on the host model", host, host == 1 ? "" : "s"));
  const auto& unsupported = report.partition.unsupported;
  if (unsupported.empty()) {
    fmt::print(os, "unsupported  none\n");
  } else {
    fmt::print(os, "unsupported  {} node{} run nowhere on {}:\n", unsupported.size(), unsupported.size() == 1 ? "" : "s",
               report.config_name);
    for (const auto& u : unsupported) fmt::print(os, "  {}\n", u);
  }
}

nlohmann::json partition_report_json(const PartitionReport& report) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : report.partition.layers) {
    layers.push_back({{"name", layer.name}, {"type", layer.type}, {"unit", layer.unit}, {"reason", layer.reason}});
  }
  return {{"config", report.config_name},
          {"target", report.target},
          {"layers", layers},
          {"unsupported", report.partition.unsupported}};
}

}  // namespace wb
