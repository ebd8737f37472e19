#pragma once
// The xDNN compiler's switches (`--compile-opt name=value`). Every optimisation xfDNN had
// can be turned off, so its effect can be measured (BENCHMARKS.md). Declared once as a table
// (support/option_table.h); the struct is what the compiler's steps read.

#include <string>
#include <vector>

#include "support/option_table.h"

namespace wb::xdnn {

enum class AllocatorChoice { Auto, Top, Bottom, BySize, BestFit };
const char* allocator_name(AllocatorChoice choice);

// Which schedule the compiler generates for the one processing element (ML Suite's deployment
// modes, docs/xdnn.md "Throughput mode"): the whole network on the Main Block, or the first
// convolution on the Dedicated Block, one image ahead of the rest (throughput_split.h).
enum class ScheduleMode { Latency, Throughput };
const char* mode_name(ScheduleMode mode);

struct CompileOptions {
  bool schedule_search = true;    // explore fork-join orders for the smallest peak AM footprint
  bool replication = true;        // replicate narrow channel groups across an AM word (v3)
  bool pool_pipelining = true;    // run a pool behind the conv that feeds it
  bool weight_pingpong = true;    // load the next weights while the array computes
  bool concat_placement = true;   // branches write at channel offsets of one buffer, no copy
  bool input_streaming = true;    // the first conv reads the network input straight from DDR
  bool weight_staging = true;     // weight-bound layers' weights wait in free AM (weight_staging.h)
  bool sibling_merge = true;      // convs reading one input with one window run as one (sibling_merge.h)
  AllocatorChoice allocator = AllocatorChoice::Auto;  // Auto: the smallest extent; spill only if none fits
  std::size_t schedule_budget = 20000;  // orders explored per fork-join region at most
  ScheduleMode mode = ScheduleMode::Latency;
};

// The table of the xDNN compiler's options, defaults as in CompileOptions.
const OptionTable& compile_option_table();
CompileOptions to_compile_options(const OptionValues& values);

// Parses `name=value` items (on/off for switches); UserError listing the valid names for an
// unknown one.
CompileOptions parse_compile_options(const std::vector<std::string>& items);
// "schedule_search=on,replication=on,..." (recorded in the program header).
std::string describe(const CompileOptions& options);
// The option names with their meaning, for --help.
std::string compile_options_help();

}  // namespace wb::xdnn
