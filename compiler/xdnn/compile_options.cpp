#include "compiler/xdnn/compile_options.h"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "isa/error.h"

namespace wb::xdnn {

namespace {

struct Switch {
  const char* name;
  const char* meaning;
  bool CompileOptions::*field;
};

constexpr Switch kSwitches[] = {
    {"schedule_search", "explore fork-join orders, keep the smallest peak AM footprint", &CompileOptions::schedule_search},
    {"replication", "replicate narrow channel groups across an AM word (v3)", &CompileOptions::replication},
    {"pool_pipelining", "run a max/avg pool behind the conv that feeds it", &CompileOptions::pool_pipelining},
    {"weight_pingpong", "load the next weights while the array computes", &CompileOptions::weight_pingpong},
    {"concat_placement", "concat inputs are written into one buffer (off: copied through DDR)",
     &CompileOptions::concat_placement},
    {"input_streaming", "the first conv reads the network input straight from DDR while it computes",
     &CompileOptions::input_streaming},
};

bool parse_switch(const std::string& name, const std::string& value) {
  if (value == "on" || value == "true" || value == "1") return true;
  if (value == "off" || value == "false" || value == "0") return false;
  throw UserError(fmt::format("--compile-opt {}={}: expected on or off", name, value));
}

}  // namespace

const char* allocator_name(AllocatorChoice choice) {
  switch (choice) {
    case AllocatorChoice::Auto: return "auto";
    case AllocatorChoice::Top: return "top";
    case AllocatorChoice::Bottom: return "bottom";
    case AllocatorChoice::BySize: return "bysize";
    case AllocatorChoice::BestFit: return "bestfit";
  }
  return "?";
}

CompileOptions parse_compile_options(const std::vector<std::string>& items) {
  CompileOptions options;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      throw UserError(fmt::format("--compile-opt {}: expected name=value (names: {})", item, compile_options_help()));
    }
    const std::string name = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    bool known = false;
    for (const Switch& s : kSwitches) {
      if (name == s.name) {
        options.*(s.field) = parse_switch(name, value);
        known = true;
      }
    }
    if (name == "allocator") {
      known = true;
      const std::map<std::string, AllocatorChoice> choices = {{"auto", AllocatorChoice::Auto},
                                                              {"top", AllocatorChoice::Top},
                                                              {"bottom", AllocatorChoice::Bottom},
                                                              {"bysize", AllocatorChoice::BySize},
                                                              {"bestfit", AllocatorChoice::BestFit}};
      const auto it = choices.find(value);
      if (it == choices.end()) {
        throw UserError(fmt::format("--compile-opt allocator={}: expected auto, top, bottom, bysize or bestfit", value));
      }
      options.allocator = it->second;
    }
    if (name == "schedule_budget") {
      known = true;
      try {
        std::size_t used = 0;
        const long long budget = std::stoll(value, &used);
        if (used != value.size() || budget < 1) throw std::invalid_argument("range");
        options.schedule_budget = static_cast<std::size_t>(budget);
      } catch (const std::exception&) {
        throw UserError(fmt::format("--compile-opt schedule_budget={}: expected a positive integer", value));
      }
    }
    if (!known) {
      throw UserError(fmt::format("--compile-opt {}: unknown option for xdnn; options: {}", name, compile_options_help()));
    }
  }
  return options;
}

std::string describe(const CompileOptions& options) {
  std::string text;
  for (const Switch& s : kSwitches) text += fmt::format("{}={},", s.name, options.*(s.field) ? "on" : "off");
  text += fmt::format("allocator={},schedule_budget={}", allocator_name(options.allocator), options.schedule_budget);
  return text;
}

std::string compile_options_help() {
  std::string text;
  for (const Switch& s : kSwitches) text += fmt::format("{}=on|off ({}); ", s.name, s.meaning);
  text +=
      "allocator=auto|top|bottom|bysize|bestfit (AM allocation strategy; auto keeps the smallest extent, and spills "
      "to DDR only when none fits); "
      "schedule_budget=N (orders explored per fork-join region)";
  return text;
}

}  // namespace wb::xdnn
