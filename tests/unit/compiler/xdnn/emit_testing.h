#pragma once
// For the tests of emission's parts: a network planned by the steps before emission (as
// compile_xdnn runs them, without sibling merging), and copies run on byte arrays.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "compiler/xdnn/am_allocation.h"
#include "compiler/xdnn/buffer_plan.h"
#include "compiler/xdnn/compile_options.h"
#include "compiler/xdnn/emit_instructions.h"
#include "compiler/xdnn/layer_mapping.h"
#include "compiler/xdnn/row_tiling.h"
#include "compiler/xdnn/schedule.h"
#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"
#include "tests/support/strided_copy_testing.h"

namespace wb::xdnn {

struct PlannedNetwork {
  quant::QGraph graph;
  HwConfig config;
  CompileOptions options;
  LayerMapping mapping;
  BufferPlan plan;
  Schedule schedule;
  Allocation allocation;
  EmitInputs inputs() const { return {graph, mapping, plan, schedule, allocation, config, options}; }
};

// Held by pointer: EmitInputs refer to its members.
inline std::unique_ptr<PlannedNetwork> plan_network(quant::QGraph graph, HwConfig config,
                                                    CompileOptions options = {}) {
  auto n = std::make_unique<PlannedNetwork>(PlannedNetwork{std::move(graph), std::move(config), options, {}, {}, {}, {}});
  const XdnnParams& hw = n->config.xdnn();
  n->mapping = map_layers(n->graph, hw, n->options);
  n->plan = plan_buffers(n->graph, n->mapping, hw, n->options);
  n->schedule = schedule_layers(n->graph, n->mapping, n->plan, n->options.schedule_search, n->options.schedule_budget);
  std::vector<std::string> names;
  for (const XLayer& layer : n->mapping.layers) names.push_back(layer.name);
  plan_row_tiling(n->graph, n->mapping, n->plan, n->schedule, static_cast<std::uint64_t>(hw.am_bytes), names);
  n->allocation = allocate_am(n->plan, n->schedule, static_cast<std::uint64_t>(hw.am_bytes), n->options.allocator, names);
  return n;
}


}  // namespace wb::xdnn
