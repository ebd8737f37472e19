#include "compiler/pulp/compile_options.h"

#include <fmt/format.h>

#include "isa/error.h"

namespace wb::pulp {

CompileOptions parse_compile_options(const std::vector<std::string>& items) {
  CompileOptions options;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (name == "tiler" && (value == "dory" || value == "cost")) {
      options.tiler = value == "dory" ? TilerObjective::Dory : TilerObjective::Cost;
    } else if (name == "weight_prefetch" && (value == "on" || value == "off")) {
      options.weight_prefetch = value == "on";
    } else {
      throw UserError(fmt::format("--compile-opt {}: not a PULP compiler option; valid: {}", item,
                                  compile_options_help()));
    }
  }
  return options;
}

std::string describe(const CompileOptions& options) {
  return fmt::format("tiler={},weight_prefetch={}", objective_name(options.tiler),
                     options.weight_prefetch ? "on" : "off");
}

std::string compile_options_help() {
  return "tiler=dory|cost (DORY's heuristic objective, or the fewest cycles the timing model predicts; default "
         "dory), weight_prefetch=on|off (load the next layer's weights from L3 during this layer; default on)";
}

}  // namespace wb::pulp
