// validate_program (xdnn_sim.h): the checks a program passes before anything runs, without
// allocating the memories.

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "isa/extent.h"
#include "isa/xdnn_program.h"
#include "sim/xdnn/kernels.h"
#include "sim/xdnn/memory.h"
#include "sim/xdnn/xdnn_sim.h"
#include "support/error.h"

namespace wb::sim::xdnn {

namespace {

using isa::xdnn::Instr;

// The io tensor's shape holds as many values as its region.
std::string io_shape_problem(const isa::xdnn::IoTensor& io) {
  const auto& l = io.region().layout();
  std::uint64_t values = 1;
  for (const std::int64_t d : io.shape()) {
    if (d <= 0 || d > isa::xdnn::kMaxLayoutDim) return fmt::format("shape dimension {} outside [1, {}]", d, isa::xdnn::kMaxLayoutDim);
    values *= static_cast<std::uint64_t>(d);
    if (values > (std::uint64_t{1} << 40)) return "shape of more than 2^40 values";
  }
  if (values != std::uint64_t{l.channels()} * l.height() * l.width()) {
    return fmt::format("shape of {} values, its region holds {}", values, std::uint64_t{l.channels()} * l.height() * l.width());
  }
  return {};
}


// The DSPs' weight memory (array.weight_depth, ML Suite's DSPWgtCnt): a conv needing more than
// half of it per DSP cannot ping-pong, so it and the load of its weights must say so (the
// accesses that order them by); one needing more than twice it cannot run. `load_whole`: the
// load that filled its weights said so.
std::string weight_memory_problem(const Instr& instr, const XdnnParams& hw, bool load_whole) {
  const isa::xdnn::Conv& conv = instr.conv();
  const auto depth = static_cast<std::uint64_t>(hw.array.weight_depth);
  if (conv.on_host() || depth == 0) return {};
  const int rows = instr.block() == isa::xdnn::BLOCK_DEDICATED ? hw.dedicated.rows : hw.array.rows;
  const std::uint64_t weights = isa::xdnn::weights_per_dsp(conv, static_cast<std::uint64_t>(rows));
  if (weights > 2 * depth) {
    return fmt::format("needs {} weights per DSP, more than twice array.weight_depth = {} (half rate holds that many)",
                       weights, depth);
  }
  if (2 * weights > depth && !(conv.without_pingpong() && load_whole)) {
    return fmt::format("needs {} weights per DSP, more than half of array.weight_depth = {}: it cannot ping-pong, and "
                       "the program does not mark it and its weight load without_pingpong (compiled for another "
                       "config?)",
                       weights, depth);
  }
  return {};
}

}  // namespace

void validate_program(const isa::xdnn::Program& program, const HwConfig& config) {
  const XdnnParams& hw = config.xdnn();
  if (program.ddr_bytes_used() > static_cast<std::uint64_t>(hw.ddr_bytes)) {
    throw UserError(fmt::format("the program uses {} bytes of DDR, more than ddr_bytes = {}", program.ddr_bytes_used(),
                                hw.ddr_bytes));
  }
  if (!isa::inside(program.weights_address(), program.weights().size(), program.ddr_bytes_used())) {
    throw UserError("the program's weights lie outside the DDR it declares");
  }
  const MemorySizes sizes{static_cast<std::uint64_t>(hw.am_bytes), program.ddr_bytes_used(),
                          static_cast<std::uint64_t>(hw.filter_cache_bytes)};
  std::set<std::string> layer_names;
  for (const auto& layer : program.layers()) {
    layer_names.insert(layer.name());
    if (layer.output_materialized()) {
      const std::string problem = region_problem(layer.output_region(), sizes);
      if (!problem.empty()) throw UserError(fmt::format("layer '{}': output region {}", layer.name(), problem));
    }
    for (const auto& part : layer.parts()) {
      const std::string problem = region_problem(part.output_region(), sizes);
      if (!problem.empty()) {
        throw UserError(fmt::format("layer '{}': the region of its part '{}' {}", layer.name(), part.output(), problem));
      }
    }
  }
  const auto& instrs = program.instrs();
  // Per block and filter-cache address, whether the last weight load there filled the DSPs'
  // whole weight memory.
  std::map<std::pair<int, std::uint64_t>, bool> whole_load;
  for (int i = 0; i < instrs.size(); ++i) {
    const Instr& instr = instrs.Get(i);
    if (instr.has_load_weights()) {
      whole_load[{instr.block(), instr.load_weights().destination()}] = instr.load_weights().without_pingpong();
    }
    std::string problem = instruction_problem(instr, sizes, config);
    if (problem.empty() && instr.has_conv()) {
      const auto found = whole_load.find({instr.block(), instr.conv().filter_address()});
      problem = weight_memory_problem(instr, hw, found != whole_load.end() && found->second);
    }
    if (!problem.empty()) {
      throw UserError(fmt::format("instruction {} ({}, layer '{}'): {}", i, isa::xdnn::instr_mnemonic(instr),
                                  instr.layer(), problem));
    }
    if (layer_names.count(instr.layer()) == 0) {
      throw UserError(fmt::format("instruction {} names layer '{}', which the program does not list", i, instr.layer()));
    }
  }
  for (const auto* ios : {&program.inputs(), &program.outputs()}) {
    for (const auto& io : *ios) {
      std::string problem = region_problem(io.region(), sizes);
      if (problem.empty()) problem = io_shape_problem(io);
      if (!problem.empty()) {
        throw UserError(fmt::format("{} '{}': {}", ios == &program.inputs() ? "input" : "output", io.name(), problem));
      }
    }
  }
}

}  // namespace wb::sim::xdnn
