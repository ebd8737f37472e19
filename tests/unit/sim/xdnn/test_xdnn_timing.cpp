// Timing of the xDNN simulator (docs/xdnn.md, "Timing model"): dependency flags, overlap of units,
// the shared DDR channel, timing-only runs, per-layer accounting, and the trace.
//
// v3_96 figures used below: clock 700 MHz, instr_issue_cycles 16, DDR
// 19.25e9 B/s * 0.85 / 700e6 Hz = 23.375 bytes per cycle, latency round(150 ns * 0.7) = 105
// cycles.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>
#include <set>

#include "isa/xdnn_program.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn {
namespace {

using sim::xdnn::SimOptions;
using sim::xdnn::SimResult;
using sim::xdnn::simulate;
using sim::xdnn::TimeCause;

std::uint64_t cause(const sim::xdnn::LayerStats& layer, TimeCause c) {
  return layer.time.cycles[static_cast<std::size_t>(c)];
}

x::Copy& copy(x::Copy& c, x::Memory from, std::uint64_t source, x::Memory to, std::uint64_t destination,
              std::uint64_t bytes) {
  c = x::linear_copy(from, source, to, destination, bytes);
  return c;
}

// 23375 bytes occupy the channel for exactly 23375 / 23.375 = 1000 cycles.
constexpr std::uint64_t kBytes = 23375;

enum class Second { None, LoadWeights, Download, SameUnitUpload };

x::Program transfers(Second second) {
  ProgramBuilder b;
  const std::uint64_t src = b.ddr(kBytes);
  const std::uint64_t dst = b.ddr(kBytes);
  const std::uint64_t am0 = b.am(kBytes), am1 = b.am(kBytes);
  const auto l = layout(1, 1, 1);
  b.layer("move", "concat", region(x::MEMORY_AM, am0, l));
  copy(*b.instr("move").mutable_upload(), x::MEMORY_DDR, src, x::MEMORY_AM, am0, kBytes);
  switch (second) {
    case Second::None:
      break;
    case Second::LoadWeights:
      copy(*b.instr("move").mutable_load_weights(), x::MEMORY_DDR, src, x::MEMORY_FILTER_CACHE, 0, kBytes);
      break;
    case Second::Download:
      copy(*b.instr("move").mutable_download(), x::MEMORY_AM, am1, x::MEMORY_DDR, dst, kBytes);
      break;
    case Second::SameUnitUpload:
      copy(*b.instr("move").mutable_upload(), x::MEMORY_DDR, dst, x::MEMORY_AM, am1, kBytes);
      break;
  }
  return b.program();
}

TEST(XdnnSimTiming, ConcurrentTransfersContendForTheDdrChannel) {
  const HwConfig hw = config();
  // Alone: issued at 16, the channel busy [16, 1016), done after 105 cycles of latency: 1121.
  const SimResult one = simulate(transfers(Second::None), hw, {}, {});
  EXPECT_EQ(one.total_cycles, 1121u);
  EXPECT_EQ(unit_stats(one, "upload").bytes, kBytes);
  // An upload and a weight load on different units, no flags: the weight load (issued at 32)
  // gets the channel when the upload's data is through, [1016, 2016), done at 2121.
  const SimResult weights = simulate(transfers(Second::LoadWeights), hw, {}, {});
  EXPECT_EQ(weights.total_cycles, 2121u);
  EXPECT_EQ(layer_stats(weights, "move").ddr_weight_bytes, kBytes);
  EXPECT_EQ(layer_stats(weights, "move").ddr_read_bytes, kBytes);
  // A download contends the same way.
  const SimResult download = simulate(transfers(Second::Download), hw, {}, {});
  EXPECT_EQ(download.total_cycles, 2121u);
  EXPECT_EQ(layer_stats(download, "move").ddr_write_bytes, kBytes);
  // Two uploads on one unit run one after the other, latency included: 1121 + 1000 + 105.
  const SimResult serial = simulate(transfers(Second::SameUnitUpload), hw, {}, {});
  EXPECT_EQ(serial.total_cycles, 2226u);
  EXPECT_EQ(unit_stats(serial, "upload").instructions, 2u);
}

// Weights staged in AM: the upload marked staged_weights is a weight transfer over DDR, the
// load from AM one AM word (96 bytes on v3_96) per cycle with no DDR at all.
TEST(XdnnSimTiming, AWeightLoadFromAmTakesOneWordPerCycleAndNoDdr) {
  ProgramBuilder b;
  const std::uint64_t src = b.ddr(kBytes);
  const std::uint64_t am = b.am(kBytes);
  b.layer("move", "concat", region(x::MEMORY_AM, am, layout(1, 1, 1)));
  copy(*b.instr("move").mutable_upload(), x::MEMORY_DDR, src, x::MEMORY_AM, am, kBytes).set_staged_weights(true);
  x::Instr& load = b.instr("move");
  load.mutable_wait()->set_upload(true);
  copy(*load.mutable_load_weights(), x::MEMORY_AM, am, x::MEMORY_FILTER_CACHE, 0, kBytes);
  const SimResult r = simulate(b.program(), config(), {}, {});
  // The upload as before (done at 1121); the load issued then, ceil(23375 / 96) = 244 cycles.
  EXPECT_EQ(r.total_cycles, 1121u + 244u);
  const auto& move = layer_stats(r, "move");
  EXPECT_EQ(move.ddr_weight_bytes, kBytes);  // the staging upload
  EXPECT_EQ(move.am_weight_bytes, kBytes);   // the load
  EXPECT_EQ(move.ddr_read_bytes, 0u);        // no activation moved
  EXPECT_EQ(cause(move, TimeCause::WeightsAm), 244u);
  EXPECT_EQ(cause(move, TimeCause::ActivationDdr), 0u);
}

TEST(XdnnSimTiming, FasterDdrShortensTransfers) {
  const SimResult slow = simulate(transfers(Second::None), config(), {}, {});
  const SimResult fast = simulate(transfers(Second::None), config("v3_96", {"ddr_gbps=38.5"}), {}, {});
  // Twice the bandwidth: 500 cycles instead of 1000.
  EXPECT_EQ(slow.total_cycles - fast.total_cycles, 500u);
}

// A conv layer (weights, then the conv) and an independent eltwise layer; `wait_conv`
// sets the eltwise's conv flag.
x::Program conv_then_eltwise(bool wait_conv) {
  ProgramBuilder b;
  const auto in_l = layout(8, 12, 12);
  const auto out_l = layout(16, 12, 12);
  const auto e_l = layout(4, 4, 4);
  const auto in_r = region(x::MEMORY_AM, b.am(bytes_of(in_l)), in_l);
  const auto out_r = region(x::MEMORY_AM, b.am(bytes_of(out_l)), out_l);
  const auto a_r = region(x::MEMORY_AM, b.am(bytes_of(e_l)), e_l);
  const auto e_r = region(x::MEMORY_AM, b.am(bytes_of(e_l)), e_l);
  b.input("x", {1, 8, 12, 12}, in_r);
  b.input("a", {1, 4, 4, 4}, a_r);
  b.output("y", {1, 16, 12, 12}, out_r);
  b.output("e", {1, 4, 4, 4}, e_r);
  b.layer("conv", "conv", out_r);
  b.layer("add", "eltwise", e_r);
  const std::vector<std::int32_t> w = random_values(16 * 8 * 9, -5, 5, 3);
  b.load_weights("conv", b.add_weights(w, 1), 0, w.size());
  x::Instr& conv = b.instr("conv");
  conv.mutable_wait()->set_weights(true);
  set_conv(conv, {in_r, out_r, window(3, 1, 1), 1, 0, 1, {}, requant({1}, {0}, {4}, -128, 127), 0, 0});
  x::Instr& add = b.instr("add");
  add.mutable_wait()->set_conv(wait_conv);
  x::Eltwise& e = *add.mutable_eltwise();
  *e.mutable_a() = a_r;
  *e.mutable_b() = a_r;
  *e.mutable_output() = e_r;
  e.add_input_multiplier(1);
  e.add_input_multiplier(1);
  *e.mutable_requant() = requant({1}, {0}, {0}, -128, 127);
  return b.program();
}

std::vector<IntTensor> conv_then_eltwise_inputs() {
  return {random_tensor(8, 12, 12, -100, 100, 5), random_tensor(4, 4, 4, -50, 50, 6)};
}

TEST(XdnnSimTiming, DependencyFlagsOrderUnitsAndNoFlagsOverlap) {
  const SimResult ordered = simulate(conv_then_eltwise(true), config(), conv_then_eltwise_inputs(), {});
  const SimResult overlapped = simulate(conv_then_eltwise(false), config(), conv_then_eltwise_inputs(), {});
  const auto& conv_o = layer_stats(ordered, "conv");
  const auto& add_o = layer_stats(ordered, "add");
  const auto& conv_p = layer_stats(overlapped, "conv");
  const auto& add_p = layer_stats(overlapped, "add");
  // With the flag the eltwise is issued only once the conv has completed, and waited for it;
  // that wait is the conv's time, so the add's span starts when the conv ends.
  EXPECT_EQ(add_o.start_cycle, conv_o.end_cycle);
  EXPECT_GT(add_o.stall_cycles, 0u);
  EXPECT_EQ(cause(add_o, TimeCause::DependencyWait), 0u);
  EXPECT_EQ(cause(add_o, TimeCause::PoolEltwise), 16u);
  EXPECT_GT(add_o.end_cycle, conv_o.end_cycle);
  // ceil(4/96) * 4 * 4 = 16 cycles after it starts; issue happens when the conv completes.
  EXPECT_EQ(add_o.end_cycle, conv_o.end_cycle + 16);
  // Without it the eltwise runs while the conv does.
  EXPECT_LT(add_p.start_cycle, conv_p.end_cycle);
  EXPECT_LT(add_p.end_cycle, conv_p.end_cycle);
  EXPECT_EQ(add_p.stall_cycles, 0u);
  EXPECT_LT(overlapped.total_cycles, ordered.total_cycles);
  // The conv waited for its weights (the weights flag): its stall covers the load.
  EXPECT_GT(conv_o.stall_cycles, 0u);
  // The same values either way.
  EXPECT_EQ(ordered.outputs[0].values, overlapped.outputs[0].values);
  EXPECT_EQ(ordered.outputs[1].values, overlapped.outputs[1].values);
  // Layers' cycles are their spans; the causes add up to them, and the spans less their
  // overlap to the run.
  for (const SimResult* r : {&ordered, &overlapped}) {
    std::uint64_t spans = 0;
    for (const auto& l : r->layers) {
      EXPECT_EQ(l.cycles, l.end_cycle - l.start_cycle) << l.name;
      EXPECT_EQ(std::accumulate(l.time.cycles.begin(), l.time.cycles.end(), std::uint64_t{0}), l.cycles) << l.name;
      spans += l.cycles;
    }
    EXPECT_LE(spans - r->overlapped_cycles, r->total_cycles);
  }
  EXPECT_EQ(ordered.overlapped_cycles, 0u);
  EXPECT_EQ(overlapped.overlapped_cycles, add_p.cycles);  // the add runs inside the conv's span
  // The conv's array time is its busy time; before it, it waited for its weights.
  EXPECT_EQ(cause(conv_o, TimeCause::Array), conv_o.array_busy_cycles);
  EXPECT_GT(cause(conv_o, TimeCause::WeightsDdr), 0u);
  EXPECT_EQ(conv_o.array_macs, 16u * 8 * 9 * 144);
  EXPECT_GT(conv_o.array_mac_slots, conv_o.array_macs);
}

TEST(XdnnSimTiming, TimingOnlyRunGivesIdenticalCycles) {
  const HwConfig hw = config();
  const SimResult full = simulate(conv_then_eltwise(true), hw, conv_then_eltwise_inputs(), {});
  const SimResult timing = simulate(conv_then_eltwise(true), hw, conv_then_eltwise_inputs(), timing_only());
  const SimResult again = simulate(conv_then_eltwise(true), hw, conv_then_eltwise_inputs(), {});
  for (const SimResult* r : {&timing, &again}) {
    EXPECT_EQ(r->total_cycles, full.total_cycles);
    ASSERT_EQ(r->layers.size(), full.layers.size());
    for (std::size_t i = 0; i < full.layers.size(); ++i) {
      const auto& a = full.layers[i];
      const auto& b = r->layers[i];
      EXPECT_EQ(a.cycles, b.cycles) << a.name;
      EXPECT_EQ(a.start_cycle, b.start_cycle) << a.name;
      EXPECT_EQ(a.end_cycle, b.end_cycle) << a.name;
      EXPECT_EQ(a.stall_cycles, b.stall_cycles) << a.name;
      EXPECT_EQ(a.array_busy_cycles, b.array_busy_cycles) << a.name;
      EXPECT_EQ(a.ddr_weight_bytes, b.ddr_weight_bytes) << a.name;
    }
    ASSERT_EQ(r->units.size(), full.units.size());
    for (std::size_t u = 0; u < full.units.size(); ++u) {
      EXPECT_EQ(r->units[u].busy_cycles, full.units[u].busy_cycles) << full.units[u].unit;
      EXPECT_EQ(r->units[u].stall_cycles, full.units[u].stall_cycles) << full.units[u].unit;
    }
  }
  EXPECT_EQ(again.outputs[0].values, full.outputs[0].values);
}

TEST(XdnnSimTiming, ConvCyclesFollowTheArrayFormula) {
  const SimResult r = simulate(conv_then_eltwise(true), config(), conv_then_eltwise_inputs(), {});
  // ceil(8/96) * ceil(16/16) * ceil(144/2) * 3 * 3 + 96 + 16 = 648 + 112 = 760
  EXPECT_EQ(layer_stats(r, "conv").array_busy_cycles, 760u);
  EXPECT_EQ(unit_stats(r, "array").busy_cycles, 760u);
  // A 28x32 v2 array: ceil(8/28) * ceil(16/32) * 72 * 9 + 28 + 32 = 648 + 60 = 708
  const SimResult v2 = simulate(conv_then_eltwise(true), config("v2_28", {"am_width_align=1"}),
                                conv_then_eltwise_inputs(), timing_only());
  EXPECT_EQ(layer_stats(v2, "conv").array_busy_cycles, 708u);
}

TEST(XdnnSimTrace, ChromeTraceHasOneTrackPerUnitAndOneEventPerInstruction) {
  const auto dir = std::filesystem::temp_directory_path() / "wb_test_xdnn_trace";
  std::filesystem::create_directories(dir);
  const auto path = dir / "trace.json";
  std::filesystem::remove(path);
  const x::Program program = conv_then_eltwise(true);
  const SimResult r = simulate(program, config(), conv_then_eltwise_inputs(), trace_options(path));
  std::ifstream in(path);
  ASSERT_TRUE(in.good());
  const nlohmann::json trace = nlohmann::json::parse(in);  // throws if not valid JSON
  const nlohmann::json& events = trace.is_array() ? trace : trace.at("traceEvents");
  std::map<std::int64_t, std::string> tracks;
  for (const auto& e : events) {
    if (e.at("ph") == "M" && e.at("name") == "thread_name") {
      tracks[e.at("tid").get<std::int64_t>()] = e.at("args").at("name").get<std::string>();
    }
  }
  // A track per unit, named as the report names units, and the DDR channel's.
  std::set<std::string> track_names;
  for (const auto& [tid, name] : tracks) track_names.insert(name);
  std::set<std::string> unit_names = {"ddr_channel"};
  for (const auto& u : r.units) unit_names.insert(u.unit);
  EXPECT_EQ(track_names, unit_names);
  std::size_t on_units = 0;
  std::uint64_t channel_bytes = 0;
  std::set<std::string> names;
  std::map<std::int64_t, int> flows;  // id -> +1 per start, +2 per finish
  std::map<std::string, std::int64_t> last_counter;
  for (const auto& e : events) {
    if (e.at("ph") == "s") flows[e.at("id").get<std::int64_t>()] += 1;
    if (e.at("ph") == "f") flows[e.at("id").get<std::int64_t>()] += 2;
    if (e.at("ph") == "C") {
      for (const auto& [series, value] : e.at("args").items()) last_counter[e.at("name").get<std::string>()] = value;
    }
    if (e.at("ph") != "X") continue;
    const auto& args = e.at("args");
    ASSERT_TRUE(tracks.count(e.at("tid").get<std::int64_t>())) << e.dump();
    ASSERT_TRUE(args.contains("layer"));
    ASSERT_TRUE(args.contains("id"));
    if (tracks.at(e.at("tid").get<std::int64_t>()) == "ddr_channel") {
      EXPECT_EQ(e.at("cat"), "transfer");
      EXPECT_EQ(args.at("src"), "ddr");
      channel_bytes += args.at("bytes").get<std::uint64_t>();
      continue;
    }
    ++on_units;
    names.insert(e.at("name").get<std::string>());
    if (e.at("name") == "conv") {
      // 760 cycles at 700 MHz = 1.0857 us
      EXPECT_NEAR(e.at("dur").get<double>(), 760.0 / 700.0, 1e-6);
      EXPECT_EQ(args.at("layer"), "conv");
      EXPECT_EQ(args.at("mnemonic"), "XNConv");
    }
    if (e.at("name") == "load_weights") {
      EXPECT_EQ(args.at("dst"), "filter_cache");
      EXPECT_GT(args.at("bytes").get<std::uint64_t>(), 0u);
    }
  }
  EXPECT_EQ(on_units, static_cast<std::size_t>(program.instrs_size()));
  EXPECT_EQ(names, (std::set<std::string>{"load_weights", "conv", "eltwise"}));
  EXPECT_EQ(channel_bytes, r.ddr_channel.bytes);
  // The conv waited for its weights, the add for the conv: an arrow each, both ends present.
  EXPECT_EQ(flows.size(), 2u);
  for (const auto& [id, ends] : flows) EXPECT_EQ(ends, 3) << "flow " << id;
  // The counters come back to zero when the run ends.
  EXPECT_EQ(last_counter.at("busy_units"), 0);
  EXPECT_EQ(last_counter.at("ddr_bytes_in_flight"), 0);
  // Written atomically: no temporary left beside it.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wb::test::xdnn
