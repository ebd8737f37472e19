// Instruction emission, checked on whole programs of networks that exercise every path (host
// layers, concat copies, channel gathers, row stripes, spills, staged weights): ids in order,
// every pair of conflicting accesses on different units ordered by the dependency flags (as
// the controller and the units guarantee it, worked out here independently of the tracker),
// each conv block after the load of its weights into the filter-cache ring, and the traffic
// counted per layer equal to the bytes the instructions move.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/xdnn/compile.h"
#include "compiler/xdnn/emit_program.h"
#include "compiler/xdnn/hazards.h"
#include "isa/xdnn_access.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/emit_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using isa::xdnn::Instr;

struct Case {
  std::string name;
  quant::QGraph graph;
  std::string hw;
  std::vector<std::string> overrides;
  CompileOptions options;
};

// Compute-bound convs over a 32 x 32 image, then two weight-bound 1x1 convs over its global
// average (FC layers): on v3 part of their weights is staged in AM.
quant::QGraph weight_bound_qgraph() {
  test::HandQGraph g("weight_bound");
  const int x = g.input("x", {1, 16, 32, 32}, 1.0 / 32);
  const int a = g.tensor("a", {1, 32, 32, 32}, 1.0 / 16);
  const int b = g.tensor("b", {1, 32, 32, 32}, 1.0 / 16);
  const int p = g.tensor("p", {1, 32, 1, 1}, 1.0 / 16);
  const int f1 = g.tensor("f1", {1, 256, 1, 1}, 1.0 / 16);
  const int f2 = g.tensor("f2", {1, 256, 1, 1}, 1.0 / 16);
  g.conv("a", x, a, 3, 101);
  g.conv("b", a, b, 3, 102);
  g.global_avgpool("gap", b, p);
  g.conv("fc1", p, f1, 1, 103);
  g.conv("fc2", f1, f2, 1, 104);
  return g.finish({f2});
}

std::vector<Case> cases() {
  CompileOptions no_pingpong;
  no_pingpong.weight_pingpong = false;
  CompileOptions copied_concats;
  copied_concats.concat_placement = false;
  CompileOptions spill;
  spill.allocator = AllocatorChoice::Top;
  return {{"small_cnn v3", test::small_cnn_xdnn(), "v3_96", {}, {}},
          {"small_cnn v2 no ping-pong", test::small_cnn_xdnn(), "v2_28", {}, no_pingpong},
          {"small_cnn copied concats", test::small_cnn_xdnn(), "v2_56", {}, copied_concats},
          {"small_cnn row stripes", test::small_cnn_xdnn(), "v3_96", {"am_bytes=8KiB"}, {}},
          {"squeeze_excite", test::squeeze_excite_qgraph(), "v3_96", {}, {}},
          {"squeeze_excite spills", test::squeeze_excite_qgraph(), "v3_96", {"am_bytes=8KiB"}, spill},
          {"late_gate spills", test::late_gate_qgraph(), "v3_96", {"am_bytes=8KiB"}, {}},
          {"late_gate v2", test::late_gate_qgraph(), "v2_28", {}, {}},
          {"concat_of_luts", test::concat_of_luts_qgraph(), "v2_28", {}, {}},
          {"edge_gathers", test::edge_gathers_qgraph(), "v2_28", {}, {}},
          {"softmax_cnn", test::softmax_cnn_xdnn(), "v3_96", {}, {}},
          {"weight_bound staged", weight_bound_qgraph(), "v3_96", {}, {}},
          {"weight_bound no ping-pong", weight_bound_qgraph(), "v3_96", {}, no_pingpong}};
}

Unit unit_of(const Instr& instr) {
  switch (instr.op_case()) {
    case Instr::kConv: return instr.conv().on_host() ? Unit::Host : Unit::Conv;
    case Instr::kPool: return Unit::Pool;
    case Instr::kEltwise: return Unit::Eltwise;
    case Instr::kUpload: return Unit::Upload;
    case Instr::kDownload: return Unit::Download;
    case Instr::kLoadWeights: return Unit::Weights;
    case Instr::kHostElementwise: return Unit::Host;
    case Instr::OP_NOT_SET: break;
  }
  ADD_FAILURE() << "instruction " << instr.id() << " has no op";
  return Unit::Host;
}

bool waits_on(const isa::xdnn::Wait& w, Unit u) {
  switch (u) {
    case Unit::Upload: return w.upload();
    case Unit::Download: return w.download();
    case Unit::Conv: return w.conv();
    case Unit::Pool: return w.pool();
    case Unit::Eltwise: return w.eltwise();
    case Unit::Weights: return w.weights();
    case Unit::Host: return w.host();
    case Unit::kCount: break;
  }
  return false;
}

// Every conflicting pair of instructions on different units is ordered: the later one starts
// only after the earlier one completed. The controller issues in order and holds an
// instruction until what it waits for is complete, so an instruction starts after everything
// its predecessors waited for; a unit runs its instructions one after another; an instruction
// waiting on a unit starts after every earlier instruction of that unit completed, and with
// each of them everything they had waited for.
// Returns the first unordered pair, "" when there is none.
std::string unordered_conflict(const isa::xdnn::Program& program) {
  const auto n = static_cast<std::size_t>(program.instrs_size());
  std::vector<std::vector<bool>> before(n, std::vector<bool>(n, false));  // complete before i starts
  std::vector<std::vector<bool>> done(n, std::vector<bool>(n, false));    // complete when i completes
  std::vector<int> last_of_unit(kUnitCount, -1);
  const auto merge = [&](std::vector<bool>& into, const std::vector<bool>& from) {
    for (std::size_t k = 0; k < n; ++k) into[k] = into[k] || from[k];
  };
  std::vector<std::vector<isa::xdnn::Access>> accesses(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Instr& instr = program.instrs(static_cast<int>(i));
    const Unit u = unit_of(instr);
    accesses[i] = isa::xdnn::instruction_accesses(instr);
    if (i > 0) before[i] = before[i - 1];
    const int previous = last_of_unit[static_cast<std::size_t>(u)];
    if (previous >= 0) merge(before[i], done[static_cast<std::size_t>(previous)]);
    for (std::size_t other = 0; other < kUnitCount; ++other) {
      const int last = last_of_unit[other];
      if (last >= 0 && waits_on(instr.wait(), static_cast<Unit>(other))) merge(before[i], done[static_cast<std::size_t>(last)]);
    }
    done[i] = before[i];
    done[i][i] = true;
    last_of_unit[static_cast<std::size_t>(u)] = static_cast<int>(i);
    for (std::size_t j = 0; j < i; ++j) {
      if (unit_of(program.instrs(static_cast<int>(j))) == u || before[i][j]) continue;
      for (const auto& a : accesses[i]) {
        for (const auto& b : accesses[j]) {
          if (isa::xdnn::conflict(a, b)) {
            const Instr& earlier = program.instrs(static_cast<int>(j));
            return fmt::format("instruction {} ({} of {}) may run beside instruction {} ({} of {}), whose accesses "
                               "conflict with its own",
                               i, isa::xdnn::instr_mnemonic(instr), instr.layer(), j,
                               isa::xdnn::instr_mnemonic(earlier), earlier.layer());
          }
        }
      }
    }
  }
  return "";
}

TEST(EmitInstructions, ConflictingAccessesOnDifferentUnitsAreOrderedByTheFlags) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const CompileResult r = compile_xdnn(c.graph, test::xdnn_config(c.hw, c.overrides), c.options);
    const auto& instrs = r.program.instrs();
    for (int i = 0; i < instrs.size(); ++i) ASSERT_EQ(instrs.Get(i).id(), static_cast<std::uint32_t>(i));
    EXPECT_EQ(unordered_conflict(r.program), "");
  }
}

// The check above finds what a missing flag leaves unordered: the tracker sets no flag that is
// not needed, so clearing any instruction's flags leaves a conflict.
TEST(EmitInstructions, ClearingAnInstructionsFlagsLeavesAConflictUnordered) {
  const CompileResult r = compile_xdnn(test::small_cnn_xdnn(), test::xdnn_config("v2_28"), {});
  int cleared = 0;
  for (int i = 0; i < r.program.instrs_size(); ++i) {
    const isa::xdnn::Wait& w = r.program.instrs(i).wait();
    if (!(w.upload() || w.download() || w.conv() || w.pool() || w.eltwise() || w.weights() || w.host())) continue;
    isa::xdnn::Program p = r.program;
    p.mutable_instrs(i)->clear_wait();
    EXPECT_NE(unordered_conflict(p), "") << "instruction " << i << "'s flags were not needed";
    ++cleared;
  }
  EXPECT_GT(cleared, 5);
}

TEST(EmitInstructions, TheCasesCoverEveryPath) {
  bool spilled = false, striped = false, staged = false, host = false, gathered = false, copied = false;
  for (const Case& c : cases()) {
    const CompileResult r = compile_xdnn(c.graph, test::xdnn_config(c.hw, c.overrides), c.options);
    spilled = spilled || r.report.at("allocation").at("spilled_buffers").get<int>() > 0;
    striped = striped || r.report.at("allocation").at("row_tiled_layers").get<int>() > 0;
    staged = staged || r.report.at("staged_weight_bytes").get<std::uint64_t>() > 0;
    for (const auto& layer : r.report.at("layers")) {
      host = host || layer.at("unit") == "host";
      gathered = gathered || layer.at("type") == "channel_gather";
      copied = copied || layer.at("type") == "concat";
    }
  }
  EXPECT_TRUE(spilled);
  EXPECT_TRUE(striped);
  EXPECT_TRUE(staged);
  EXPECT_TRUE(host);
  EXPECT_TRUE(gathered);
  EXPECT_TRUE(copied);
}

// Each conv block runs on the weights the load before it put in the filter cache: a ring the
// loader fills in order, wrapping to 0 where the next block does not fit, or always 0 without
// ping-pong.
TEST(EmitInstructions, EachConvBlockReadsTheWeightsLoadedForIt) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const HwConfig config = test::xdnn_config(c.hw, c.overrides);
    const CompileResult r = compile_xdnn(c.graph, config, c.options);
    const auto filter_cache = static_cast<std::uint64_t>(config.xdnn().filter_cache_bytes);
    std::uint64_t ring = 0;
    const isa::xdnn::Copy* loaded = nullptr;
    for (const Instr& instr : r.program.instrs()) {
      if (instr.has_load_weights()) {
        const isa::xdnn::Copy& load = instr.load_weights();
        EXPECT_EQ(load.destination_memory(), isa::xdnn::MEMORY_FILTER_CACHE);
        const std::uint64_t bytes = isa::xdnn::copy_bytes(load);
        if (c.options.weight_pingpong) {
          if (ring + bytes > filter_cache) ring = 0;
          EXPECT_EQ(load.destination(), ring) << instr.id();
          ring += bytes;
        } else {
          EXPECT_EQ(load.destination(), 0u) << instr.id();
        }
        EXPECT_LE(load.destination() + bytes, filter_cache);
        EXPECT_LE(bytes, filter_cache / 2);
        loaded = &load;
      } else if (instr.has_conv() && !instr.conv().on_host()) {
        ASSERT_NE(loaded, nullptr) << "conv " << instr.id() << " before any weight load";
        EXPECT_EQ(instr.conv().filter_address(), loaded->destination()) << instr.id();
        loaded = nullptr;  // one load per block
      }
    }
  }
}

// A conv whose column group needs more than half of each DSP's weight memory (array.weight_depth)
// runs without ping-pong: it and its load say so, the load goes to address 0 and waits for the
// convs before it, and the next load waits for it. With room for two, nothing changes.
TEST(EmitInstructions, ConvsFillingTheDspsWeightMemoryDoNotPingPong) {
  const auto compiled = [](std::uint64_t depth) {
    return compile_xdnn(weight_bound_qgraph(),
                        test::xdnn_config("v3_96", {fmt::format("array.weight_depth={}", depth)}), {});
  };
  const auto per_dsp = [](const Instr& instr) { return isa::xdnn::weights_per_dsp(instr.conv(), 96); };
  const CompileResult room = compiled(64);
  std::uint64_t most = 0, least = 64;
  for (const Instr& instr : room.program.instrs()) {
    EXPECT_FALSE(instr.has_conv() && instr.conv().without_pingpong()) << instr.id();
    EXPECT_FALSE(instr.has_load_weights() && instr.load_weights().without_pingpong()) << instr.id();
    if (instr.has_conv() && !instr.conv().on_host()) {
      most = std::max(most, per_dsp(instr));
      least = std::min(least, per_dsp(instr));
    }
  }
  ASSERT_GT(most, 2 * least) << "the graph's convs need as many weights per DSP";
  // A depth the largest fills (no ping-pong) and the smallest does not.
  const CompileResult tight = compiled(most);
  bool conv_before = false, whole_after = false;
  std::size_t whole = 0, pingpong = 0;
  const isa::xdnn::Copy* loaded = nullptr;
  for (const Instr& instr : tight.program.instrs()) {
    if (instr.has_load_weights()) {
      loaded = &instr.load_weights();
      if (loaded->without_pingpong()) {
        EXPECT_EQ(loaded->destination(), 0u) << instr.id();
        EXPECT_TRUE(!conv_before || instr.wait().conv()) << "a load beside a conv: " << instr.id();
      }
      EXPECT_TRUE(!whole_after || instr.wait().conv()) << "a load beside a conv without ping-pong: " << instr.id();
    } else if (instr.has_conv() && !instr.conv().on_host()) {
      const bool fills = 2 * per_dsp(instr) > most;
      EXPECT_EQ(instr.conv().without_pingpong(), fills) << instr.id();
      ASSERT_NE(loaded, nullptr);
      EXPECT_EQ(loaded->without_pingpong(), fills) << instr.id();
      (fills ? whole : pingpong) += 1;
      conv_before = true;
      whole_after = fills;
    }
  }
  EXPECT_GT(whole, 0u);
  EXPECT_GT(pingpong, 0u);
}

// What emission counts is what its instructions move.
TEST(EmitInstructions, TheTrafficCountedIsTheBytesTheInstructionsMove) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const auto n = plan_network(c.graph, test::xdnn_config(c.hw, c.overrides), c.options);
    const EmittedProgram e = emit_program(n->inputs());
    std::map<std::string, std::size_t> index;
    for (std::size_t l = 0; l < n->mapping.layers.size(); ++l) index[n->mapping.layers[l].name] = l;
    std::vector<LayerEmitStats> counted(n->mapping.layers.size());
    EmitStats total;
    std::map<std::string, bool> streamed;
    for (const Instr& instr : e.program.instrs()) {
      LayerEmitStats& ls = counted.at(index.at(instr.layer()));
      ++ls.instructions;
      const auto activation = [&](const isa::xdnn::Copy& copy, std::uint64_t& direction) {
        const std::uint64_t bytes = isa::xdnn::copy_bytes(copy);
        if (copy.staged_weights()) {
          total.weight_bytes += bytes;
          total.staged_weight_bytes += bytes;
          ls.weight_bytes += bytes;
          return;
        }
        direction += bytes;
        total.activation_bytes += bytes;
        (copy.intermediate() ? total.spill_bytes : total.input_output_bytes) += bytes;
      };
      if (instr.has_upload()) activation(instr.upload(), ls.upload_bytes);
      if (instr.has_download()) activation(instr.download(), ls.download_bytes);
      if (instr.has_load_weights() && instr.load_weights().source_memory() == isa::xdnn::MEMORY_DDR) {
        total.weight_bytes += isa::xdnn::copy_bytes(instr.load_weights());
        ls.weight_bytes += isa::xdnn::copy_bytes(instr.load_weights());
      }
      if (instr.has_conv()) {
        ++ls.channel_blocks;
        // A conv on the array reading DDR streams the network input: counted once per layer.
        if (!instr.conv().on_host() && instr.conv().input().memory() == isa::xdnn::MEMORY_DDR &&
            !streamed[instr.layer()]) {
          streamed[instr.layer()] = true;
          const std::uint64_t bytes = isa::xdnn::buffer_bytes(instr.conv().input().layout());
          total.activation_bytes += bytes;
          total.input_output_bytes += bytes;
          ls.upload_bytes += bytes;
        }
      }
    }
    EXPECT_EQ(e.stats.instructions, static_cast<std::uint64_t>(e.program.instrs_size()));
    EXPECT_EQ(e.stats.weight_bytes, total.weight_bytes);
    EXPECT_EQ(e.stats.staged_weight_bytes, total.staged_weight_bytes);
    EXPECT_EQ(e.stats.activation_bytes, total.activation_bytes);
    EXPECT_EQ(e.stats.input_output_bytes, total.input_output_bytes);
    EXPECT_EQ(e.stats.spill_bytes, total.spill_bytes);
    ASSERT_EQ(e.layer_stats.size(), counted.size());
    for (std::size_t l = 0; l < counted.size(); ++l) {
      SCOPED_TRACE(n->mapping.layers[l].name);
      EXPECT_EQ(e.layer_stats[l].instructions, counted[l].instructions);
      EXPECT_EQ(e.layer_stats[l].weight_bytes, counted[l].weight_bytes);
      EXPECT_EQ(e.layer_stats[l].upload_bytes, counted[l].upload_bytes);
      EXPECT_EQ(e.layer_stats[l].download_bytes, counted[l].download_bytes);
      EXPECT_EQ(e.layer_stats[l].channel_blocks, counted[l].channel_blocks);
    }
  }
}

// One layer record per layer, in schedule order, its output where the last instruction of the
// layer left it.
TEST(EmitInstructions, LayerRecordsFollowTheSchedule) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const auto n = plan_network(c.graph, test::xdnn_config(c.hw, c.overrides), c.options);
    const EmittedProgram e = emit_program(n->inputs());
    ASSERT_EQ(static_cast<std::size_t>(e.program.layers_size()), n->schedule.order.size());
    for (std::size_t s = 0; s < n->schedule.order.size(); ++s) {
      const XLayer& layer = n->mapping.layers[static_cast<std::size_t>(n->schedule.order[s])];
      const auto& record = e.program.layers(static_cast<int>(s));
      EXPECT_EQ(record.name(), layer.name);
      EXPECT_EQ(record.output(), n->graph.tensor(layer.output).name);
      EXPECT_EQ(record.macs(), layer.macs);
      const bool ddr_resident = n->plan.buffers[static_cast<std::size_t>(buffer_of(n->plan, n->mapping, layer.output))].ddr_resident;
      EXPECT_EQ(record.output_region().memory(), ddr_resident ? isa::xdnn::MEMORY_DDR : isa::xdnn::MEMORY_AM);
    }
  }
}

}  // namespace
}  // namespace wb::xdnn
