// Emission's entry: the program carries the packed weights at DDR 0, the network's inputs and
// outputs in compact DDR homes after them, and a DDR footprint that covers every access; no
// instruction writes the weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/xdnn/emit_program.h"
#include "compiler/xdnn/weight_packing.h"
#include "isa/xdnn_access.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/emit_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

struct ProgramCase {
  std::string name;
  quant::QGraph graph;
  std::string hw;
  std::vector<std::string> overrides;
};

std::vector<ProgramCase> program_cases() {
  return {{"small_cnn", test::small_cnn_xdnn(), "v3_96", {}},
          {"small_cnn row stripes", test::small_cnn_xdnn(), "v3_96", {"am_bytes=8KiB"}},
          {"squeeze_excite", test::squeeze_excite_qgraph(), "v2_28", {}},
          {"edge_gathers", test::edge_gathers_qgraph(), "v2_56", {}},
          {"softmax_cnn", test::softmax_cnn_xdnn(), "v3_96", {}}};
}

TEST(EmitProgram, TheWeightsComeFirstAndNothingWritesThem) {
  for (const ProgramCase& c : program_cases()) {
    SCOPED_TRACE(c.name);
    const auto n = plan_network(c.graph, test::xdnn_config(c.hw, c.overrides));
    const EmittedProgram e = emit_program(n->inputs());
    const PackedWeights packed = pack_weights(n->graph, n->mapping, n->plan, n->schedule, n->config.xdnn());
    EXPECT_EQ(e.program.weights(), packed.blob);
    EXPECT_EQ(e.program.weights_address(), 0u);
    const std::uint64_t weights_end = e.program.weights().size();
    EXPECT_GE(e.program.ddr_bytes_used(), std::max<std::uint64_t>(weights_end, 1));
    for (const auto& instr : e.program.instrs()) {
      for (const auto& a : isa::xdnn::instruction_accesses(instr)) {
        if (a.memory != isa::xdnn::MEMORY_DDR) continue;
        EXPECT_LE(a.end, e.program.ddr_bytes_used()) << "instruction " << instr.id() << " beyond the DDR used";
        if (a.write) {
          EXPECT_GE(a.begin, weights_end) << "instruction " << instr.id() << " writes the weights";
        }
      }
    }
  }
}

TEST(EmitProgram, InputsAndOutputsLiveInCompactHomesAfterTheWeights) {
  for (const ProgramCase& c : program_cases()) {
    SCOPED_TRACE(c.name);
    const auto n = plan_network(c.graph, test::xdnn_config(c.hw, c.overrides));
    const EmittedProgram e = emit_program(n->inputs());
    ASSERT_EQ(static_cast<std::size_t>(e.program.inputs_size()), n->graph.inputs.size());
    ASSERT_EQ(static_cast<std::size_t>(e.program.outputs_size()), n->graph.outputs.size());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> areas;
    const auto check = [&](const auto& io, int tensor) {
      const quant::QTensor& t = n->graph.tensor(tensor);
      EXPECT_EQ(io.name(), t.name);
      EXPECT_EQ(std::vector<std::int64_t>(io.shape().begin(), io.shape().end()), t.shape);
      EXPECT_EQ(io.bits(), static_cast<std::uint32_t>(t.bits));
      EXPECT_EQ(io.region().memory(), isa::xdnn::MEMORY_DDR);
      const auto& l = io.region().layout();
      // Dense, channels innermost: the host's HWC image.
      EXPECT_EQ(l.section_channels(), l.buffer_channels()) << t.name;
      EXPECT_EQ(l.width_stride(), l.width()) << t.name;
      EXPECT_EQ(io.region().address() % kDdrAlignment, 0u);
      EXPECT_GE(io.region().address(), e.program.weights().size());
      areas.emplace_back(io.region().address(), io.region().address() + isa::xdnn::buffer_bytes(l));
    };
    for (std::size_t i = 0; i < n->graph.inputs.size(); ++i) check(e.program.inputs(static_cast<int>(i)), n->graph.inputs[i]);
    for (std::size_t i = 0; i < n->graph.outputs.size(); ++i) {
      check(e.program.outputs(static_cast<int>(i)), n->graph.outputs[i]);
    }
    std::sort(areas.begin(), areas.end());
    for (std::size_t i = 1; i < areas.size(); ++i) EXPECT_LE(areas[i - 1].second, areas[i].first);
    EXPECT_LE(areas.back().second, e.program.ddr_bytes_used());
  }
}

}  // namespace
}  // namespace wb::xdnn
