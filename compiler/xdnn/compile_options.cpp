#include "compiler/xdnn/compile_options.h"

#include <fmt/format.h>

#include <array>

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
    {"weight_staging", "weight-bound layers' weights are uploaded to free AM during earlier layers, then loaded from AM",
     &CompileOptions::weight_staging},
    {"sibling_merge", "convs that read one input with one window run as one conv (xfDNN's _merged_)",
     &CompileOptions::sibling_merge},
};

constexpr std::array kAllocators = {AllocatorChoice::Auto, AllocatorChoice::Top, AllocatorChoice::Bottom,
                                    AllocatorChoice::BySize, AllocatorChoice::BestFit};

OptionValues to_values(const CompileOptions& options) {
  OptionValues values = compile_option_table().defaults();
  for (const Switch& s : kSwitches) values.set(s.name, options.*(s.field) ? "on" : "off");
  values.set("allocator", allocator_name(options.allocator));
  values.set("schedule_budget", std::to_string(options.schedule_budget));
  values.set("mode", mode_name(options.mode));
  return values;
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

const char* mode_name(ScheduleMode mode) { return mode == ScheduleMode::Throughput ? "throughput" : "latency"; }

const OptionTable& compile_option_table() {
  static const OptionTable table = [] {
    const CompileOptions defaults;
    std::vector<OptionSpec> specs;
    for (const Switch& s : kSwitches) specs.push_back({s.name, OptionKind::Switch, defaults.*(s.field) ? "on" : "off", {}, s.meaning});
    std::vector<std::string> allocators;
    for (const AllocatorChoice a : kAllocators) allocators.emplace_back(allocator_name(a));
    specs.push_back({"allocator", OptionKind::Choice, allocator_name(defaults.allocator), allocators,
                     "AM allocation strategy; auto keeps the smallest extent, and spills to DDR only when none fits"});
    specs.push_back({"schedule_budget", OptionKind::Count, std::to_string(defaults.schedule_budget), {},
                     "orders explored per fork-join region"});
    specs.push_back({"mode", OptionKind::Choice, mode_name(defaults.mode), {"latency", "throughput"},
                     "latency: the whole network on the Main Block, one image at a time; throughput: the first "
                     "convolution on the Dedicated Block (HwConfig dedicated.*), one image ahead of the Main Block, "
                     "handing its output over through DDR (ML Suite's deployment modes; docs/xdnn.md)"});
    return OptionTable("xdnn", std::move(specs));
  }();
  return table;
}

CompileOptions to_compile_options(const OptionValues& values) {
  CompileOptions options;
  for (const Switch& s : kSwitches) options.*(s.field) = values.on(s.name);
  for (const AllocatorChoice a : kAllocators) {
    if (values.choice("allocator") == allocator_name(a)) options.allocator = a;
  }
  options.schedule_budget = static_cast<std::size_t>(values.count("schedule_budget"));
  options.mode = values.choice("mode") == "throughput" ? ScheduleMode::Throughput : ScheduleMode::Latency;
  return options;
}

CompileOptions parse_compile_options(const std::vector<std::string>& items) {
  return to_compile_options(compile_option_table().parse(items));
}

std::string describe(const CompileOptions& options) { return compile_option_table().describe(to_values(options)); }

std::string compile_options_help() { return compile_option_table().help(); }

}  // namespace wb::xdnn
