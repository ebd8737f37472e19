#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "support/error.h"
#include "support/cpu_threads.h"
#include "support/interrupt.h"
#include "support/progress.h"
#include "sim/common/bandwidth_target.h"
#include "isa/xdnn_program.h"
#include "sim/xdnn/access_counts.h"
#include "sim/xdnn/memory.h"
#include "sim/xdnn/overlay.h"
#include "sim/xdnn/timing.h"
#include "sim/xdnn/trace.h"
#include "sim/xdnn/xdnn_sim.h"

namespace wb::sim::xdnn {

namespace {

using isa::xdnn::Instr;

MemoryModelSlot& ddr_model() {
  static MemoryModelSlot slot("bind_ddr_model", "DDR", "xDNN");
  return slot;
}

sc_core::sc_time clock_period(const HwConfig& config) {
  return sc_core::sc_time(1000.0 / config.clock_mhz, sc_core::SC_NS);
}

// The overlays of this process, the most PEs a card may carry, each with its DDR channel
// (SystemC elaborates once), built at the first run, with its config. A bound DDR model
// (bind_ddr_model) is PE 0's; the others keep the default channel.
struct Elaborated {
  std::vector<std::unique_ptr<Overlay>> pes;
  std::vector<std::unique_ptr<BandwidthTarget>> default_ddr;  // per PE; PE 0's null when a model was bound
  sc_core::sc_trace_file* vcd = nullptr;
  bool started = false;

  explicit Elaborated(const HwConfig& config) {
    for (int p = 0; p < kMaxXdnnPes; ++p) {
      const std::string suffix = p == 0 ? "" : fmt::format("_pe{}", p);
      pes.push_back(std::make_unique<Overlay>(("xdnn" + suffix).c_str()));
      tlm::tlm_target_socket<>* model = p == 0 ? ddr_model().elaborate(config) : nullptr;
      if (model != nullptr) {
        pes.back()->ddr_socket().bind(*model);
        default_ddr.push_back(nullptr);
      } else {
        default_ddr.push_back(std::make_unique<BandwidthTarget>(("ddr" + suffix).c_str()));
        pes.back()->ddr_socket().bind(default_ddr.back()->socket);
      }
    }
  }
  Overlay& overlay() { return *pes.front(); }
};

Elaborated& elaborated(const HwConfig& config) {
  static Elaborated instance(config);
  return instance;
}

// The Dedicated Block's parameters as an array of its own (throughput mode): its rows and
// columns, everything else the PE's.
XdnnParams dedicated_block(const XdnnParams& hw) {
  XdnnParams block = hw;
  block.array.rows = hw.dedicated.rows;
  block.array.cols = hw.dedicated.cols;
  return block;
}

UnitId unit_of(const Instr& instr) {
  if (instr.block() == isa::xdnn::BLOCK_DEDICATED) {
    return instr.has_load_weights() ? UnitId::DedicatedWeights : UnitId::DedicatedArray;
  }
  switch (instr.op_case()) {
    case Instr::kConv: return instr.conv().on_host() ? UnitId::Host : UnitId::Array;
    case Instr::kPool:
    case Instr::kEltwise: return UnitId::PoolEltwise;
    case Instr::kUpload: return UnitId::Upload;
    case Instr::kDownload: return UnitId::Download;
    case Instr::kLoadWeights: return UnitId::Weights;
    case Instr::kHostElementwise: return UnitId::Host;
    case Instr::OP_NOT_SET: break;
  }
  return UnitId::Array;
}

std::vector<std::int64_t> shape_of(const isa::xdnn::IoTensor& io) { return {io.shape().begin(), io.shape().end()}; }

// The region's tensor as NCHW integers.
IntTensor read_tensor(const isa::xdnn::Region& region, const Memories& memories, std::vector<std::int64_t> shape) {
  const DenseTensor dense = read_region(region, memories);
  return IntTensor{std::move(shape), dense.values};
}

void write_input(const isa::xdnn::IoTensor& io, const IntTensor& tensor, Memories& memories) {
  const auto& l = io.region().layout();
  const std::size_t expected = std::size_t{l.channels()} * l.height() * l.width();
  if (tensor.values.size() != expected) {
    throw UserError(fmt::format("input '{}': {} values given, the program expects {} ({} x {} x {})", io.name(),
                                tensor.values.size(), expected, l.channels(), l.height(), l.width()));
  }
  const std::int64_t lo = l.is_signed() ? -(std::int64_t{1} << (8 * l.element_bytes() - 1)) : 0;
  const std::int64_t hi = l.is_signed() ? (std::int64_t{1} << (8 * l.element_bytes() - 1)) - 1
                                        : (std::int64_t{1} << (8 * l.element_bytes())) - 1;
  for (const std::int32_t v : tensor.values) {
    if (v < lo || v > hi) throw UserError(fmt::format("input '{}': value {} outside [{}, {}]", io.name(), v, lo, hi));
  }
  write_region_rows(io.region(), memories, tensor.values, 0, l.height(), 0);
}

// Each layer's bounds and the run's (docs/report.md, "Bounds"). Every unit runs one instruction
// at a time and the DDR channel one transfer at a time, and each counts for a layer only
// within its span (an instruction may start before it, while the span waits for another
// layer's instruction), so neither bound can exceed the span.
void add_bounds(const RunState& state, const std::vector<std::size_t>& layer_of, const XdnnParams& hw,
                SimResult& result) {
  const auto& instrs = state.program->instrs();
  std::vector<std::array<std::uint64_t, kUnits>> work(result.layers.size());
  std::array<std::uint64_t, kUnits> run_work{}, run_loss{};
  // The empty MAC slots' share of a pass cycle, in cycles: (slots - MACs) / slots per cycle.
  const XdnnParams dedicated = dedicated_block(hw);
  const auto mapping_loss = [&](const isa::xdnn::Conv& conv, const XdnnParams& array_hw, std::uint64_t cycles) {
    const std::uint64_t slots = array_mac_slots(conv, array_hw), macs = conv_macs(conv);
    if (slots == 0 || macs >= slots) return std::uint64_t{0};
    return static_cast<std::uint64_t>(static_cast<double>(cycles) * static_cast<double>(slots - macs) /
                                      static_cast<double>(slots));
  };
  for (std::size_t i = 0; i < state.records.size(); ++i) {
    const InstrRecord& r = state.records[i];
    if (!r.ran) continue;
    LayerStats& layer = result.layers[layer_of[i]];
    const auto unit = static_cast<std::size_t>(r.unit);
    const bool array = r.unit == UnitId::Array || r.unit == UnitId::DedicatedArray;
    const XdnnParams& array_hw = r.unit == UnitId::DedicatedArray ? dedicated : hw;
    if (array || r.unit == UnitId::PoolEltwise || r.unit == UnitId::Host) {
      const std::uint64_t peak = array ? array_peak_cycles(instrs.Get(static_cast<int>(i)).conv(), array_hw) : state.cycles_of[i];
      const std::uint64_t lo = std::max(r.start, layer.start_cycle), hi = std::min(r.end, layer.end_cycle);
      const std::uint64_t within = std::min(peak, hi > lo ? hi - lo : 0);
      work[layer_of[i]][unit] += within;
      run_work[unit] += peak;
      if (array) {
        const isa::xdnn::Conv& conv = instrs.Get(static_cast<int>(i)).conv();
        layer.mapping_loss_cycles += mapping_loss(conv, array_hw, within);
        run_loss[unit] += mapping_loss(conv, array_hw, peak);
      }
    }
    if (r.ddr_end > r.ddr_start) {
      const std::uint64_t lo = std::max(r.ddr_start, layer.start_cycle), hi = std::min(r.ddr_end, layer.end_cycle);
      if (hi > lo) {
        layer.ddr_bound_cycles += hi - lo;
        layer.ddr_bound_bytes += r.bytes * (hi - lo) / (r.ddr_end - r.ddr_start);
      }
    }
  }
  for (std::size_t l = 0; l < result.layers.size(); ++l) {
    result.layers[l].compute_bound_cycles = *std::max_element(work[l].begin(), work[l].end());
  }
  // The bound is the busiest unit's work. The empty slots reported with it are the main array's,
  // or the Dedicated Block's when its array is the busiest (the two work side by side).
  const auto busiest = std::max_element(run_work.begin(), run_work.end());
  result.compute_bound_cycles = *busiest;
  const auto dedicated_array = static_cast<std::size_t>(UnitId::DedicatedArray);
  result.mapping_loss_cycles = run_loss[static_cast<std::size_t>(busiest - run_work.begin()) == dedicated_array
                                            ? dedicated_array
                                            : static_cast<std::size_t>(UnitId::Array)];
}

}  // namespace

void bind_ddr_model(MemoryModelFactory factory) { ddr_model().set(std::move(factory)); }

BandwidthPortParams ddr_channel_params(const HwConfig& config) {
  BandwidthPortParams ddr;
  ddr.bytes_per_cycle = ddr_bytes_per_cycle(config);
  ddr.latency_cycles = ddr_latency_cycles(config);
  ddr.clock_period = clock_period(config);
  return ddr;
}

void elaborate_ahead() {
  // An unbound slot does not read the config.
  if (!ddr_model().bound()) elaborated(HwConfig{});
}

namespace {

// Each instruction's layer, by the layer name the instruction carries.
std::vector<std::size_t> instruction_layers(const isa::xdnn::Program& program) {
  std::map<std::string, std::size_t> layer_index;
  for (int l = 0; l < program.layers_size(); ++l) layer_index[program.layers(l).name()] = static_cast<std::size_t>(l);
  std::vector<std::size_t> layer_of(static_cast<std::size_t>(program.instrs_size()));
  for (int i = 0; i < program.instrs_size(); ++i) layer_of[static_cast<std::size_t>(i)] = layer_index.at(program.instrs(i).layer());
  return layer_of;
}

// A region in the image queue's slot 0 (a Dedicated Block's output the Main Block streams) as
// image `image` holds it: in its own slot.
isa::xdnn::Region in_image_slot(const isa::xdnn::Region& region, const isa::xdnn::Program& program, std::size_t image) {
  const isa::xdnn::ImageQueue& queue = program.image_queue();
  if (queue.slots() == 0 || region.memory() != isa::xdnn::MEMORY_DDR || region.address() < queue.address() ||
      region.address() >= queue.address() + queue.slot_bytes()) {
    return region;
  }
  isa::xdnn::Region moved = region;
  moved.set_address(region.address() + (image % queue.slots()) * queue.slot_bytes());
  return moved;
}

// Images a run streams when SimOptions::images leaves it to the simulator: one, or with a
// Dedicated Block three (the first fills the pipeline, the last runs in the steady state); on
// a card of several PEs three each (the first round starts together, the others in the card's
// steady state).
std::size_t default_images(const isa::xdnn::Program& program, std::size_t pes) {
  if (pes > 1) return 3 * pes;
  return program.image_queue().slots() > 0 ? 3 : 1;
}

// Bytes of `tensors` as they cross the host link.
std::uint64_t link_bytes(const google::protobuf::RepeatedPtrField<isa::xdnn::IoTensor>& tensors) {
  std::uint64_t bytes = 0;
  for (const auto& io : tensors) bytes += link_tensor_bytes(io.region().layout());
  return bytes;
}

// The memories (DDR holding the weights) and each instruction's unit and compute cycles.
void prepare_run(RunState& state, const isa::xdnn::Program& program, const HwConfig& config, const SimOptions& options,
                 std::size_t images) {
  const XdnnParams& hw = config.xdnn();
  state.program = &program;
  state.config = &config;
  state.data = options.data;
  state.period = clock_period(config);
  state.memories.am = BackingStore(static_cast<std::uint64_t>(hw.am_bytes), "Active Memory");
  state.memories.filter_cache = BackingStore(static_cast<std::uint64_t>(hw.filter_cache_bytes), "filter cache");
  state.dedicated_filter_cache = BackingStore(static_cast<std::uint64_t>(hw.filter_cache_bytes), "Dedicated Block's filter cache");
  state.memories.ddr = BackingStore(program.ddr_bytes_used(), "DDR");
  // A timing-only run reads no byte, so the weights stay in the program and no page is written.
  if (options.data) {
    std::copy(program.weights().begin(), program.weights().end(),
              state.memories.ddr.begin() + static_cast<std::ptrdiff_t>(program.weights_address()));
  }
  const XdnnParams dedicated = dedicated_block(hw);
  const auto& instrs = program.instrs();
  state.unit_of.resize(static_cast<std::size_t>(instrs.size()));
  state.cycles_of.resize(static_cast<std::size_t>(instrs.size()));
  state.host_bytes.resize(static_cast<std::size_t>(instrs.size()));
  state.images = images;
  state.records.resize(static_cast<std::size_t>(instrs.size()) * state.images);
  for (int i = 0; i < instrs.size(); ++i) {
    const Instr& instr = instrs.Get(i);
    state.unit_of[static_cast<std::size_t>(i)] = unit_of(instr);
    std::uint64_t cycles = 0;
    if (instr.has_conv()) {
      const XdnnParams& array = instr.block() == isa::xdnn::BLOCK_DEDICATED ? dedicated : hw;
      cycles = instr.conv().on_host() ? host_cycles(instr.conv(), config) : array_cycles(instr.conv(), array);
    } else if (instr.has_pool()) {
      cycles = pool_cycles(instr.pool(), hw);
    } else if (instr.has_eltwise()) {
      cycles = eltwise_cycles(instr.eltwise(), hw);
    } else if (instr.has_host_elementwise()) {
      cycles = host_elementwise_cycles(instr.host_elementwise(), config);
    } else if (instr.has_load_weights() && instr.load_weights().source_memory() == isa::xdnn::MEMORY_AM) {
      cycles = am_weight_load_cycles(instr.load_weights(), hw);
    }
    state.cycles_of[static_cast<std::size_t>(i)] = cycles;
    state.host_bytes[static_cast<std::size_t>(i)] = host_link_bytes(instr);
  }
}

// --vcd: each unit's busy signal into a VCD file; SystemC opens trace files before it starts,
// so only the first simulation of a process can.
void open_vcd(Elaborated& e, const std::filesystem::path& path) {
  if (e.started) {
    throw UserError("--vcd works for the first simulation of a process only (SystemC opens trace files before it "
                    "starts)");
  }
  std::string stem = path.string();
  if (stem.size() > 4 && stem.substr(stem.size() - 4) == ".vcd") stem.resize(stem.size() - 4);
  e.vcd = sc_core::sc_create_vcd_trace_file(stem.c_str());
  for (std::size_t u = 0; u < kUnits; ++u) {
    std::string name = unit_name(static_cast<UnitId>(u));
    for (char& ch : name) {
      if (ch == ' ' || ch == '/') ch = '_';
    }
    sc_core::sc_trace(e.vcd, e.overlay().busy(static_cast<UnitId>(u)), name + "_busy");
  }
}

// Instruction i's bytes, busy cycles and on-chip accesses into its layer's statistics, and the
// cause of its work for the time attribution.
void account_instruction(const isa::xdnn::Instr& instr, const InstrRecord& r, const XdnnParams& hw, LayerStats& ls,
                         SimResult& result, InstrTiming& timing) {
  const std::uint64_t busy = r.end - r.start;
  OnChipAccess access;
  switch (r.unit) {
    case UnitId::Array:
    case UnitId::DedicatedArray: {
      const isa::xdnn::Conv& conv = instr.conv();
      const XdnnParams array_hw = r.unit == UnitId::DedicatedArray ? dedicated_block(hw) : hw;
      ls.array_busy_cycles += busy;
      // A streamed input; the Dedicated Block's output into the image queue.
      const std::uint64_t written =
          conv.output().memory() == isa::xdnn::MEMORY_DDR ? isa::xdnn::buffer_bytes(conv.output().layout()) : 0;
      ls.ddr_read_bytes += r.bytes - written;
      ls.ddr_write_bytes += written;
      ls.ddr_intermediate_bytes += written;
      ls.array_macs += conv_macs(conv);
      ls.array_mac_slots += array_mac_slots(conv, array_hw);
      access = conv_access(conv, array_hw);
      ++ls.tiles;
      break;
    }
    case UnitId::PoolEltwise:
      access = instr.has_pool() ? pool_access(instr.pool()) : eltwise_access(instr.eltwise());
      ls.pool_busy_cycles += busy;
      ++ls.tiles;
      timing.work = TimeCause::PoolEltwise;
      break;
    case UnitId::Upload:
    case UnitId::Download: {
      const auto& copy = instr.has_upload() ? instr.upload() : instr.download();
      ls.ddr_busy_cycles += busy;
      access = copy_access(copy, r.bytes);
      if (instr.has_upload() && instr.upload().staged_weights()) {
        ls.ddr_weight_bytes += r.bytes;  // weights on their way to AM, for a later layer
        timing.work = TimeCause::WeightsDdr;
        break;
      }
      (r.unit == UnitId::Upload ? ls.ddr_read_bytes : ls.ddr_write_bytes) += r.bytes;
      if (copy.intermediate()) ls.ddr_intermediate_bytes += r.bytes;
      timing.work = TimeCause::ActivationDdr;
      break;
    }
    case UnitId::Weights:
    case UnitId::DedicatedWeights:
      access = copy_access(instr.load_weights(), r.bytes);
      if (instr.load_weights().source_memory() == isa::xdnn::MEMORY_AM) {
        ls.am_weight_bytes += r.bytes;
        timing.work = TimeCause::WeightsAm;
        break;
      }
      ls.ddr_weight_bytes += r.bytes;
      ls.ddr_busy_cycles += busy;
      timing.work = TimeCause::WeightsDdr;
      break;
    case UnitId::Host:
      ls.host_cycles += busy;
      result.host_cycles += busy;
      ++ls.tiles;
      timing.work = TimeCause::Host;
      break;
    case UnitId::kCount: break;
  }
  ls.am_read_bytes += access.am_read_bytes;
  ls.am_write_bytes += access.am_write_bytes;
  ls.filter_cache_read_bytes += access.filter_cache_read_bytes;
  ls.filter_cache_write_bytes += access.filter_cache_write_bytes;
  ls.pool_eltwise_elements += access.pool_eltwise_elements;
}

// The layers' and units' statistics from the run's records, and each layer's time attributed
// to its causes (attribute_time).
void collect_statistics(const RunState& state, const std::vector<std::size_t>& layer_of, const XdnnParams& hw,
                        SimResult& result) {
  const isa::xdnn::Program& program = *state.program;
  const auto& instrs = program.instrs();
  for (std::size_t u = 0; u < kUnits; ++u) result.units.push_back({track_name(static_cast<UnitId>(u)), 0, 0, 0, 0});
  result.layers.resize(static_cast<std::size_t>(program.layers_size()));
  for (int l = 0; l < program.layers_size(); ++l) {
    auto& ls = result.layers[static_cast<std::size_t>(l)];
    ls.name = program.layers(l).name();
    ls.type = program.layers(l).type();
    ls.unit = program.layers(l).unit();
    ls.macs = program.layers(l).macs();
    ls.ops = program.layers(l).ops();
  }
  CompletedAt completed_at;
  for (std::size_t i = 0; i < state.records.size(); ++i) {
    if (state.records[i].ran) completed_at[state.records[i].end].push_back(i);
  }
  // Whether a wait of instruction i that ended at `cycle` ended with another layer's instruction
  // completing (on `unit` only, for a queue wait).
  const auto ended_by_other = [&](std::size_t i, std::uint64_t cycle, std::optional<UnitId> unit) {
    const auto it = completed_at.find(cycle);
    if (it == completed_at.end()) return false;
    bool other = false;
    for (const std::size_t j : it->second) {
      if (j >= i || (unit && state.records[j].unit != *unit)) continue;
      if (layer_of[j] == layer_of[i]) return false;
      other = true;
    }
    return other;
  };
  std::vector<InstrTiming> timings;
  timings.reserve(state.records.size());
  for (std::size_t i = 0; i < state.records.size(); ++i) {
    const InstrRecord& r = state.records[i];
    if (!r.ran) continue;
    const isa::xdnn::Instr& instr = instrs.Get(static_cast<int>(i));
    LayerStats& ls = result.layers[layer_of[i]];
    UnitStats& us = result.units[static_cast<std::size_t>(r.unit)];
    ++us.instructions;
    us.busy_cycles += r.end - r.start;
    us.stall_cycles += r.stall;
    us.bytes += r.bytes;
    ++ls.instructions;
    ls.stall_cycles += r.stall;
    result.total_cycles = std::max(result.total_cycles, r.end);
    InstrTiming timing{layer_of[i], TimeCause::Array, r.issue, r.stall, r.start, r.end, state.cycles_of[i],
                       r.unit == UnitId::Weights || r.unit == UnitId::DedicatedWeights ||
                           (instr.has_upload() && instr.upload().staged_weights()),
                       r.stall > 0 && ended_by_other(i, r.issue, std::nullopt),
                       r.start > r.issue && ended_by_other(i, r.start, r.unit)};
    account_instruction(instr, r, hw, ls, result, timing);
    timings.push_back(timing);
  }
  // The Dedicated Block's units only where it ran (throughput mode).
  std::erase_if(result.units, [](const UnitStats& u) {
    return u.instructions == 0 && (u.unit == track_name(UnitId::DedicatedArray) || u.unit == track_name(UnitId::DedicatedWeights));
  });
  const std::vector<LayerTime> times =
      attribute_time(timings, result.layers.size(), static_cast<std::uint64_t>(hw.instr_issue_cycles));
  for (std::size_t l = 0; l < result.layers.size(); ++l) {
    LayerStats& ls = result.layers[l];
    ls.time = times[l];
    ls.start_cycle = times[l].begin;
    ls.end_cycle = times[l].end;
    ls.cycles = times[l].span();
  }
  result.overlapped_cycles = overlapped_cycles(times);
}

}  // namespace

SimResult simulate(const isa::xdnn::Program& program, const HwConfig& config, const std::vector<IntTensor>& inputs,
                   const SimOptions& options) {
  validate_program(program, config);
  fit_threads_to_idle_cpus();
  const XdnnParams& hw = config.xdnn();
  if (static_cast<int>(inputs.size()) != program.inputs_size() && options.data) {
    throw UserError(fmt::format("{} input tensor(s) given, the program has {}", inputs.size(), program.inputs_size()));
  }
  const auto pes = static_cast<std::size_t>(hw.pes);
  if (pes > 1 && ddr_model().bound()) {
    throw UserError(fmt::format("the DDR model bound with bind_ddr_model is one PE's channel; this config's card has "
                                "pes={}: run it with pes=1",
                                pes));
  }
  const std::size_t images = options.images != 0 ? options.images : default_images(program, pes);
  if (images < pes) {
    throw UserError(fmt::format("{} image(s) for a card of pes={}: give every PE one at least (--images {} or more)",
                                images, pes, pes));
  }
  // Images are dealt to the PEs in turn (ML Suite's runtime): image j runs on PE j % pes as its
  // (j / pes)-th. PE 0's last image gives the layers' statistics and the outputs.
  std::vector<RunState> states(pes);
  for (std::size_t p = 0; p < pes; ++p) {
    prepare_run(states[p], program, config, options, images / pes + (p < images % pes ? 1 : 0));
  }
  RunState& state = states.front();
  const std::vector<std::size_t> layer_of = instruction_layers(program);
  SimResult result;
  // Each image's input is on the card when its PE starts: the first at the start, each next
  // one sent over the host link as its PE starts the one before. It is written into the PE's
  // DDR when the block reading it starts it (the previous image has read it). Its outputs are
  // read when the Main Block has finished it, then sent back over the link (the PE goes on).
  const std::uint64_t input_link_bytes = link_bytes(program.inputs());
  const std::uint64_t output_link_bytes = link_bytes(program.outputs());
  CardSharedStages* card = nullptr;
  std::vector<std::vector<sc_core::sc_time>> input_ready(pes);
  std::vector<std::uint64_t> image_done(images, 0);
  std::vector<std::vector<std::vector<IntTensor>>> pe_outputs(pes);
  for (std::size_t p = 0; p < pes; ++p) {
    RunState& pe = states[p];
    input_ready[p].assign(pe.images, sc_core::SC_ZERO_TIME);
    pe.on_image_start = [&, p](std::size_t k) {
      RunState& own = states[p];
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      if (k > 0 && input_ready[p][k] > now) sc_core::wait(input_ready[p][k] - now);
      if (k + 1 < own.images) input_ready[p][k + 1] = card->link_transfer(CardSharedStages::Direction::ToCard, input_link_bytes);
      if (!options.data) return;
      for (int i = 0; i < program.inputs_size(); ++i) {
        write_input(program.inputs(i), inputs[static_cast<std::size_t>(i)], own.memories);
      }
    };
    pe.on_image_end = [&, p](std::size_t k) {
      RunState& own = states[p];
      const sc_core::sc_time back = card->link_transfer(CardSharedStages::Direction::ToHost, output_link_bytes);
      image_done[k * pes + p] = static_cast<std::uint64_t>((back - own.start) / own.period + 0.5);
      if (!options.data) return;
      std::vector<IntTensor> outputs;
      for (const auto& io : program.outputs()) outputs.push_back(read_tensor(io.region(), own.memories, shape_of(io)));
      pe_outputs[p].push_back(std::move(outputs));
    };
  }

  // Layer outputs are captured when every instruction of the layer has completed: the units
  // run apart, so the last in program order (a network output's download on one unit) may
  // finish before an earlier one (a gather's upload on another).
  std::vector<std::size_t> unfinished(static_cast<std::size_t>(program.layers_size()), 0);
  for (std::size_t i = 0; i < layer_of.size(); ++i) {
    // The Dedicated Block loads its weights for the first image only.
    const Instr& instr = program.instrs(static_cast<int>(i));
    if (state.images > 1 && instr.block() == isa::xdnn::BLOCK_DEDICATED && instr.has_load_weights()) continue;
    ++unfinished[layer_of[i]];
  }
  ProgressPhase progress("simulation", layer_of.size(), "instructions");
  const bool capture = options.capture_layer_outputs && options.data;
  state.on_complete = [&](std::size_t i) {
    progress.step();
    if (capture) {
      const std::size_t l = layer_of[i];
      if (--unfinished[l] != 0) return;
      const auto& layer = program.layers(static_cast<int>(l));
      for (const auto& [tensor, region] : isa::xdnn::checked_outputs(layer)) {
        if (!region_problem(*region, state.memories.sizes()).empty()) continue;
        const auto& lay = region->layout();
        result.layer_outputs[*tensor] =
            read_tensor(in_image_slot(*region, program, state.images - 1), state.memories,
                        {1, lay.channels(), lay.height(), lay.width()});
      }
    }
  };

  Elaborated& e = elaborated(config);
  for (std::size_t p = 0; p < pes; ++p) {
    if (e.default_ddr[p]) e.default_ddr[p]->configure(ddr_channel_params(config));
  }
  if (!options.vcd_path.empty()) open_vcd(e, options.vcd_path);
  e.started = true;
  CardSharedStages shared(config);
  card = &shared;
  for (std::size_t p = 0; p < pes; ++p) shared.preloaded(input_link_bytes);
  for (std::size_t p = 0; p < pes; ++p) {
    states[p].card = card;
    e.pes[p]->begin(states[p]);
  }
  sc_core::sc_start();
  // Every PE's run ends (its state let go) before the first stall is thrown.
  std::exception_ptr stalled;
  for (std::size_t p = 0; p < pes; ++p) {
    try {
      e.pes[p]->end();
    } catch (...) {
      if (!stalled) stalled = std::current_exception();
    }
  }
  if (stalled) std::rethrow_exception(stalled);
  progress.finish();
  if (e.vcd != nullptr) {
    sc_core::sc_close_vcd_trace_file(e.vcd);
    e.vcd = nullptr;
  }
  throw_if_interrupted();
  for (std::size_t p = 0; p < pes; ++p) {
    if (!states[p].error.empty()) throw UserError(pes == 1 ? states[p].error : fmt::format("PE {}: {}", p, states[p].error));
  }
  result.card = shared.finish(static_cast<int>(pes), std::move(image_done));
  // Every image's outputs, PE 0's last: the backend checks each against the last.
  for (std::size_t p = pes; p-- > 0;) {
    for (auto& outputs : pe_outputs[p]) result.image_outputs.push_back(std::move(outputs));
  }

  result.clock_mhz = config.clock_mhz;
  result.image_begin = state.image_begin;
  result.image_end = state.image_end;
  // The statistics are the last image's (the steady state of a stream).
  const std::size_t n = static_cast<std::size_t>(program.instrs_size());
  state.records.erase(state.records.begin(), state.records.end() - static_cast<std::ptrdiff_t>(n));
  collect_statistics(state, layer_of, hw, result);
  add_bounds(state, layer_of, hw, result);
  result.ddr_channel = state.ddr_channel;
  if (options.data && !result.image_outputs.empty()) result.outputs = result.image_outputs.back();
  if (!options.trace_path.empty()) {
    CompletedAt completed_at;
    for (std::size_t i = 0; i < state.records.size(); ++i) {
    if (state.records[i].ran) completed_at[state.records[i].end].push_back(i);
  }
    write_trace(options.trace_path, program, state.records, flag_wait_sources(state.records, completed_at),
                config.clock_mhz);
  }
  return result;
}

}  // namespace wb::sim::xdnn

