#pragma once
// The PULP compiler's switches (`--compile-opt name=value`), declared once as a table
// (support/option_table.h); the struct is what the compiler's steps read.

#include <string>
#include <vector>

#include "support/option_table.h"
#include "compiler/pulp/tiler.h"

namespace wb::pulp {

enum class Fusion { Off, On, All };
const char* fusion_name(Fusion fusion);

struct CompileOptions {
  TilerObjective tiler = TilerObjective::Dory;  // dory, cost or energy (tiler.h)
  bool weight_prefetch = true;  // load the next layer's weights from L3 while this layer computes (DORY)
  // tiler=cost/energy: the cluster model (a TilingReferee) measures DORY's tiling of each layer
  // and the `measured_tilings` others the predictor ranks best, and the best measured is kept
  // (tile_choice=measured); or the predictor's best is (tile_choice=predicted).
  bool measure_tilings = true;
  std::uint32_t measured_tilings = 2;
  // tiler=cost/energy: each depthwise layer and the pointwise layer reading its output may run
  // fused, the depthwise output kept in L1 (compiler/pulp/fused_pair.h): On where the network
  // runs faster so (measured, or predicted with tile_choice=predicted; fusion_plan.h), All
  // wherever the plan allows, paying or not (to study what fusion trades).
  Fusion fusion = Fusion::Off;
};

// The table of the PULP compiler's options, defaults as in CompileOptions.
const OptionTable& compile_option_table();
CompileOptions to_compile_options(const OptionValues& values);

// Parses `name=value` items; UserError listing the valid names and values otherwise.
CompileOptions parse_compile_options(const std::vector<std::string>& items);
// "tiler=dory,weight_prefetch=on" (recorded in the program header).
std::string describe(const CompileOptions& options);
// The option names with their meaning, for --help.
std::string compile_options_help();

}  // namespace wb::pulp
