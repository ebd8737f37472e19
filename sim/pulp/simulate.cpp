#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "isa/pulp_program.h"
#include "support/error.h"
#include "isa/extent.h"
#include "support/interrupt.h"
#include "support/progress.h"
#include "sim/common/trace_file.h"
#include "sim/pulp/cluster.h"
#include "sim/pulp/kernels/kernels.h"
#include "sim/pulp/memory_targets.h"
#include "sim/pulp/pulp_sim.h"
#include "sim/pulp/memory_tensors.h"

namespace wb::sim::pulp {

namespace {

MemoryModelSlot& l2_model() {
  static MemoryModelSlot slot("bind_l2_model", "L2", "PULP");
  return slot;
}

MemoryModelSlot& l3_model() {
  static MemoryModelSlot slot("bind_l3_model", "L3", "PULP");
  return slot;
}

// The one cluster of this process and its memory models (SystemC elaborates once), built at
// the first run, with its config.
struct Elaborated {
  Cluster cluster{"pulp_cluster"};
  std::unique_ptr<L2Target> default_l2;  // null when a model was bound (bind_l2_model)
  std::unique_ptr<L3Target> default_l3;  // null when a model was bound (bind_l3_model)

  explicit Elaborated(const HwConfig& config) {
    if (tlm::tlm_target_socket<>* model = l2_model().elaborate(config)) {
      cluster.l2_socket().bind(*model);
    } else {
      default_l2 = std::make_unique<L2Target>("l2");
      cluster.l2_socket().bind(default_l2->socket);
    }
    if (tlm::tlm_target_socket<>* model = l3_model().elaborate(config)) {
      cluster.l3_socket().bind(*model);
    } else {
      default_l3 = std::make_unique<L3Target>("l3");
      cluster.l3_socket().bind(default_l3->socket);
    }
  }
};

Elaborated& elaborated(const HwConfig& config) {
  static Elaborated instance(config);
  return instance;
}

// The memories' sizes: what the pre-run checks need (they allocate nothing).
struct MemorySizes {
  std::uint64_t l1 = 0, l2 = 0, l3 = 0;
  std::uint64_t of(isa::pulp::Memory m) const {
    return m == isa::pulp::MEMORY_L1 ? l1 : m == isa::pulp::MEMORY_L2 ? l2 : m == isa::pulp::MEMORY_L3 ? l3 : 0;
  }
};

// "" when the copy stays inside its memories and moves between the ones its field allows.
std::string copy_problem(const isa::pulp::DmaCopy& c, const MemorySizes& m, isa::pulp::Memory from_a,
                         isa::pulp::Memory to_a, isa::pulp::Memory from_b, isa::pulp::Memory to_b) {
  const bool allowed = (c.source_memory() == from_a && c.destination_memory() == to_a) ||
                       (c.source_memory() == from_b && c.destination_memory() == to_b);
  if (!allowed) {
    return fmt::format("copies {} -> {}, which this field does not do", isa::pulp::memory_name(c.source_memory()),
                       isa::pulp::memory_name(c.destination_memory()));
  }
  if (c.chunk_bytes() == 0 || c.count() == 0) return {};
  const auto src_span = isa::strided_span(c.rows(), c.source_row_stride(), c.count(), c.source_stride(), c.chunk_bytes());
  const auto dst_span = isa::strided_span(c.rows(), c.destination_row_stride(), c.count(), c.destination_stride(),
                                          c.chunk_bytes());
  if (!src_span || !dst_span) return "its rows, strides and count span more than 2^64 bytes";
  if (!isa::inside(c.source(), *src_span, m.of(c.source_memory()))) {
    return fmt::format("reads {} bytes of {} at {}, beyond its {} bytes", *src_span, isa::pulp::memory_name(c.source_memory()),
                       c.source(), m.of(c.source_memory()));
  }
  if (!isa::inside(c.destination(), *dst_span, m.of(c.destination_memory()))) {
    return fmt::format("writes {} bytes of {} at {}, beyond its {} bytes", *dst_span,
                       isa::pulp::memory_name(c.destination_memory()), c.destination(), m.of(c.destination_memory()));
  }
  return {};
}

// "" when a row gather reads its ids from L1 and its rows from L3, writes them into L2, and
// every byte it may touch lies inside its memory (whichever ids arrive).
std::string row_gather_problem(const isa::pulp::RowGather& g, const MemorySizes& m) {
  using isa::pulp::memory_name;
  if (g.table_memory() != isa::pulp::MEMORY_L3 || g.destination_memory() != isa::pulp::MEMORY_L2) {
    return fmt::format("copies rows {} -> {}; the uDMA copies them L3 -> L2", memory_name(g.table_memory()),
                       memory_name(g.destination_memory()));
  }
  if (g.count() == 0 || g.rows() == 0 || g.row_bytes() == 0) return "no ids, no rows or rows of no bytes";
  if (g.destination_stride() < g.row_bytes()) {
    return fmt::format("rows of {} bytes written {} bytes apart overlap", g.row_bytes(), g.destination_stride());
  }
  if (!isa::inside(g.ids(), 2 * std::uint64_t{g.count()}, m.l1)) {
    return fmt::format("reads {} ids at L1 {}, beyond its {} bytes", g.count(), g.ids(), m.l1);
  }
  if (!isa::inside(g.table(), std::uint64_t{g.rows()} * g.row_bytes(), m.l3)) {
    return fmt::format("its table of {} rows of {} bytes at L3 {} lies beyond its {} bytes", g.rows(), g.row_bytes(),
                       g.table(), m.l3);
  }
  const auto span = isa::strided_span(1, 0, g.count(), g.destination_stride(), g.row_bytes());
  if (!span || !isa::inside(g.destination(), *span, m.l2)) {
    return fmt::format("writes {} rows at L2 {}, beyond its {} bytes", g.count(), g.destination(), m.l2);
  }
  return {};
}

// The shape of an IO tensor's bytes: its own, with a token id (16-bit) two bytes of channel.
std::vector<std::int64_t> io_byte_shape(const isa::pulp::IoTensor& io) {
  std::vector<std::int64_t> shape(io.shape().begin(), io.shape().end());
  if (io.bits() == 16 && shape.size() >= 2) shape[shape.size() == 3 ? 2 : 1] *= 2;
  return shape;
}

// The L1 bytes an L2 -> L1 copy may write, [first, second): its destination's span.
std::pair<std::uint64_t, std::uint64_t> l1_bytes_written(const isa::pulp::DmaCopy& c) {
  if (c.destination_memory() != isa::pulp::MEMORY_L1 || c.chunk_bytes() == 0 || c.count() == 0) return {0, 0};
  const auto span = isa::strided_span(c.rows(), c.destination_row_stride(), c.count(), c.destination_stride(),
                                      c.chunk_bytes());
  return {c.destination(), c.destination() + span.value_or(0)};
}

// A matmul call with matmul_b_transposed reads the scratch an earlier call of its layer left:
// "" when one did (a by-rows call that transposed, with the same im2col, c_in and c_out) and no
// L2 -> L1 copy or kernel output has written the scratch since, else what is wrong. That the
// earlier call's b is this call's is the compiler's promise (the golden comparison checks it).
class TransposedScratch {
 public:
  // The step's copies into L1 count before its call (a prefetch lands while the call runs).
  std::string step_problem(const isa::pulp::Step& step) {
    for (const auto* copies : {&step.load(), &step.prefetch()}) {
      for (const auto& c : *copies) overwritten_if(l1_bytes_written(c));
    }
    const isa::pulp::KernelCall& call = step.compute();
    std::string problem;
    if (call.kind() == isa::pulp::KERNEL_MATMUL && call.matmul_b_by_rows()) {
      const Scratch now{call.im2col(), call.c_in(), call.c_out()};
      if (!call.matmul_b_transposed()) {
        held_ = now;
        holds_ = true;
      } else if (!holds_) {
        problem = "matmul_b_transposed, but no earlier call of the layer transposed b into its scratch (or a copy or "
                  "an output has written over it since)";
      } else if (!(held_ == now)) {
        problem = fmt::format("matmul_b_transposed reads {} x {} bytes at {}, but the earlier call transposed {} x {} "
                              "at {}",
                              now.c_out, now.c_in, now.address, held_.c_out, held_.c_in, held_.address);
      }
    }
    // The kernel's output may overwrite it too.
    overwritten_if({call.output(), call.output() + output_extent(call)});
    return problem;
  }

 private:
  struct Scratch {
    std::uint64_t address = 0;
    std::uint32_t c_in = 0, c_out = 0;
    bool operator==(const Scratch&) const = default;
    std::uint64_t end() const { return address + std::uint64_t{c_in} * c_out; }
  };
  static std::uint64_t output_extent(const isa::pulp::KernelCall& c) {
    return std::uint64_t{c.h_out()} * std::max(c.w_out(), 1u) * c.c_out();
  }
  void overwritten_if(std::pair<std::uint64_t, std::uint64_t> bytes) {
    if (holds_ && bytes.first < held_.end() && held_.address < bytes.second) holds_ = false;
  }
  Scratch held_;
  bool holds_ = false;
};

bool known_memory(isa::pulp::Memory m) {
  return m == isa::pulp::MEMORY_L1 || m == isa::pulp::MEMORY_L2 || m == isa::pulp::MEMORY_L3;
}

// L3 ends where the image does when the image lies in the flash beyond l3_bytes.
MemorySizes memory_sizes(const isa::pulp::Network& network, const PulpParams& hw) {
  if (!isa::inside(network.l3_image_address(), network.l3_image().size(),
                   static_cast<std::uint64_t>(hw.l3_bytes + hw.l3_flash_bytes))) {
    throw UserError(fmt::format("program: its weights ({} bytes at L3 byte {}) end beyond l3_bytes + l3_flash_bytes ({})",
                                network.l3_image().size(), network.l3_image_address(), hw.l3_bytes + hw.l3_flash_bytes));
  }
  return {static_cast<std::uint64_t>(hw.l1_bytes), static_cast<std::uint64_t>(hw.l2_bytes),
          std::max<std::uint64_t>(static_cast<std::uint64_t>(hw.l3_bytes),
                                  network.l3_image_address() + network.l3_image().size())};
}

void validate_io(const isa::pulp::Network& network, const MemorySizes& m) {
  for (const auto* ios : {&network.inputs(), &network.outputs()}) {
    for (const auto& io : *ios) {
      const char* what = ios == &network.inputs() ? "input" : "output";
      if (!known_memory(io.memory())) {
        throw UserError(fmt::format("program {} '{}': unknown memory {}", what, io.name(), static_cast<int>(io.memory())));
      }
      if (io.bits() != 8 && !(io.bits() == 16 && ios == &network.inputs() && !io.is_signed())) {
        throw UserError(fmt::format("program {} '{}': {}-bit{}; the cluster's tensors are 8-bit, its token-id inputs "
                                    "16-bit unsigned",
                                    what, io.name(), io.bits(), io.is_signed() ? " signed" : ""));
      }
      const std::string p = hwc_problem(m.of(io.memory()), io.address(), io_byte_shape(io));
      if (!p.empty()) throw UserError(fmt::format("program {} '{}': {}", what, io.name(), p));
    }
  }
}

}  // namespace

void bind_l2_model(MemoryModelFactory factory) { l2_model().set(std::move(factory)); }
void bind_l3_model(MemoryModelFactory factory) { l3_model().set(std::move(factory)); }

void validate_network(const isa::pulp::Network& network, const HwConfig& config) {
  using isa::pulp::MEMORY_L1;
  using isa::pulp::MEMORY_L2;
  using isa::pulp::MEMORY_L3;
  const MemorySizes m = memory_sizes(network, config.pulp());
  validate_io(network, m);
  for (int l = 0; l < network.layers_size(); ++l) {
    const auto& layer = network.layers(l);
    const auto fail = [&](int step, const std::string& what, int index, const std::string& problem) {
      throw UserError(fmt::format("program layer {} '{}', step {}: {} {}: {}", l, layer.name(), step, what, index,
                                  problem));
    };
    if (layer.steps_size() > 0) {
      std::string p = known_memory(layer.output_memory()) ? "" : "unknown memory";
      if (p.empty()) {
        p = hwc_problem(m.of(layer.output_memory()), layer.output_address(),
                        {layer.output_shape().begin(), layer.output_shape().end()}, layer.output_pixel_bytes());
      }
      if (!p.empty()) throw UserError(fmt::format("program layer {} '{}': output {}", l, layer.name(), p));
    }
    for (int i = 0; i < layer.l3_prefetch_size(); ++i) {
      const std::string p = copy_problem(layer.l3_prefetch(i), m, MEMORY_L3, MEMORY_L2, MEMORY_L3, MEMORY_L2);
      if (!p.empty()) fail(0, "l3_prefetch copy", i, p);
    }
    TransposedScratch scratch;
    for (int s = 0; s < layer.steps_size(); ++s) {
      const auto& step = layer.steps(s);
      const auto check = [&](const auto& copies, const char* what, isa::pulp::Memory fa, isa::pulp::Memory ta,
                             isa::pulp::Memory fb, isa::pulp::Memory tb) {
        for (int i = 0; i < copies.size(); ++i) {
          const std::string p = copy_problem(copies.Get(i), m, fa, ta, fb, tb);
          if (!p.empty()) fail(s, what, i, p);
        }
      };
      check(step.l3_load(), "l3_load copy", MEMORY_L3, MEMORY_L2, MEMORY_L3, MEMORY_L2);
      check(step.l3_prefetch(), "l3_prefetch copy", MEMORY_L3, MEMORY_L2, MEMORY_L3, MEMORY_L2);
      check(step.load(), "load copy", MEMORY_L2, MEMORY_L1, MEMORY_L2, MEMORY_L1);
      check(step.prefetch(), "prefetch copy", MEMORY_L2, MEMORY_L1, MEMORY_L2, MEMORY_L1);
      check(step.write_back(), "write_back copy", MEMORY_L1, MEMORY_L2, MEMORY_L1, MEMORY_L2);
      check(step.l3_store(), "l3_store copy", MEMORY_L2, MEMORY_L3, MEMORY_L2, MEMORY_L3);
      // A gather of pixels or of rows is copies alone; every other layer's step runs a kernel.
      const bool copies_only = isa::pulp::copies_only(layer.kind());
      if (step.has_compute() == copies_only) {
        fail(s, "kernel call", 0,
             copies_only ? fmt::format("a {} layer's steps are copies alone, but this one has a kernel call",
                                       isa::pulp::kernel_kind_name(layer.kind()))
                         : std::string("the step has no kernel call (only a pixel_gather or embedding layer's steps "
                                       "are copies alone)"));
      }
      const bool gathers_rows = layer.kind() == isa::pulp::KERNEL_EMBEDDING;
      if (step.has_row_gather() != gathers_rows) {
        fail(s, "row gather", 0,
             gathers_rows ? "an embedding layer's step gathers rows, but this one has no row_gather"
                          : "only an embedding layer's steps gather rows by id");
      }
      if (gathers_rows) {
        if (const std::string p = row_gather_problem(step.row_gather(), m); !p.empty()) fail(s, "row gather", 0, p);
      }
      std::string p = step.has_compute() ? kernel_problem(step.compute(), m.l1) : "";
      if (p.empty()) p = scratch.step_problem(step);
      if (!p.empty()) fail(s, "kernel call", 0, p);
    }
  }
}

namespace {

// Chrome/Perfetto trace (docs/report.md, "Traces"): a track per core, per cluster-DMA direction
// and for the uDMA, and counters of busy cores and bytes in flight.
void write_trace(const std::filesystem::path& path, const isa::pulp::Network& network, const RunState& state,
                 int cores, double clock_mhz) {
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "pulp"}}}});
  for (int c = 0; c < cores; ++c) {
    events.push_back(
        {{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", c}, {"args", {{"name", fmt::format("core{}", c)}}}});
  }
  const char* channels[] = {"cluster_dma_in", "cluster_dma_out", "udma"};
  for (int i = 0; i < 3; ++i) {
    events.push_back(
        {{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", kMaxCores + i}, {"args", {{"name", channels[i]}}}});
  }
  const double us_per_cycle = 1.0 / clock_mhz;
  std::vector<std::pair<std::uint64_t, std::int64_t>> busy_cores, bytes_in_flight;
  for (const TraceEvent& e : state.events) {
    const auto& layer = network.layers(static_cast<int>(e.layer));
    const bool transfer = e.track >= kMaxCores;
    nlohmann::json args = {{"layer", layer.name()}, {"tile", e.step}};
    if (transfer) {
      args["bytes"] = e.bytes;
      args["src"] = e.src;
      args["dst"] = e.dst;
      bytes_in_flight.emplace_back(e.start, static_cast<std::int64_t>(e.bytes));
      bytes_in_flight.emplace_back(e.end, -static_cast<std::int64_t>(e.bytes));
    } else {
      busy_cores.emplace_back(e.start, 1);
      busy_cores.emplace_back(e.end, -1);
    }
    events.push_back({{"name", e.what},
                      {"cat", transfer ? "transfer" : "compute"},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", e.track},
                      {"ts", static_cast<double>(e.start) * us_per_cycle},
                      {"dur", static_cast<double>(e.end - e.start) * us_per_cycle},
                      {"args", std::move(args)}});
  }
  add_counter_events(events, "busy_cores", "cores", std::move(busy_cores), us_per_cycle);
  add_counter_events(events, "bytes_in_flight", "bytes", std::move(bytes_in_flight), us_per_cycle);
  write_trace_file(path, std::move(events));
}

}  // namespace

void elaborate_ahead() {
  // An unbound slot does not read the config.
  if (!l2_model().bound() && !l3_model().bound()) elaborated(HwConfig{});
}

SimResult simulate(const isa::pulp::Network& network, const HwConfig& config, const std::vector<IntTensor>& inputs,
                   const SimOptions& options) {
  const PulpParams& hw = config.pulp();
  if (!options.vcd_path.empty()) {
    throw UserError("--vcd: the PULP model writes no VCD; use --trace (a track per core and per DMA channel)");
  }
  if (options.images > 1) {
    throw UserError(fmt::format("--images {}: the PULP cluster model runs one image (a stream of images is "
                                "xDNN's, for its throughput mode)",
                                options.images));
  }
  if (hw.cores > kMaxCores) {
    throw UserError(fmt::format("cores {}: the cluster model has at most {} cores", hw.cores, kMaxCores));
  }
  RunState state;
  state.network = &network;
  state.hw = &hw;
  state.period = sc_core::sc_time(1000.0 / config.clock_mhz, sc_core::SC_NS);
  state.data = options.data;
  state.capture = options.capture_layer_outputs;
  state.trace = !options.trace_path.empty();
  validate_network(network, config);
  const MemorySizes sizes = memory_sizes(network, hw);
  state.memories.l1 = BackingStore(sizes.l1, "L1");
  state.memories.l2 = BackingStore(sizes.l2, "L2");
  state.memories.l3 = BackingStore(sizes.l3, "L3");
  // A timing-only run reads no byte, so the weights stay in the program and no page is written.
  if (options.data) {
    std::copy(network.l3_image().begin(), network.l3_image().end(),
              state.memories.l3.begin() + static_cast<std::ptrdiff_t>(network.l3_image_address()));
    if (static_cast<int>(inputs.size()) != network.inputs_size()) {
      throw UserError(fmt::format("{} input tensors given, the program has {}", inputs.size(), network.inputs_size()));
    }
    for (int i = 0; i < network.inputs_size(); ++i) {
      const auto& io = network.inputs(i);
      const IntTensor& t = inputs[static_cast<std::size_t>(i)];
      const std::vector<std::int64_t> shape(io.shape().begin(), io.shape().end());
      if (t.values.size() != hwc_bytes(shape)) {
        throw UserError(fmt::format("input '{}': {} values given, the program expects {}", io.name(), t.values.size(),
                                    hwc_bytes(shape)));
      }
      const bool ids = io.bits() == 16;
      const std::int32_t lo = io.is_signed() ? -128 : 0, hi = ids ? 65535 : io.is_signed() ? 127 : 255;
      for (const std::int32_t v : t.values) {
        if (v < lo || v > hi) throw UserError(fmt::format("input '{}': value {} outside [{}, {}]", io.name(), v, lo, hi));
      }
      if (ids) {
        write_token_ids(state.memories.of(io.memory()), io.address(), t);
      } else {
        write_hwc(state.memories.of(io.memory()), io.address(), t);
      }
    }
  }
  state.layers.resize(static_cast<std::size_t>(network.layers_size()));
  for (int l = 0; l < network.layers_size(); ++l) {
    LayerStats& s = state.layers[static_cast<std::size_t>(l)];
    s.name = network.layers(l).name();
    s.type = network.layers(l).type();
    s.macs = network.layers(l).macs();
    s.ops = network.layers(l).ops();
  }
  ProgressPhase progress("simulation", static_cast<std::uint64_t>(network.layers_size()), "layers");
  state.progress = &progress;
  Elaborated& e = elaborated(config);
  if (e.default_l2) e.default_l2->configure(l2_port_params(hw, state.period));
  if (e.default_l3) e.default_l3->configure(l3_params(hw, state.period));
  e.cluster.run(state);
  progress.finish();
  throw_if_interrupted();
  if (!state.error.empty()) throw UserError(state.error);

  SimResult result;
  result.total_cycles = state.total_cycles;
  result.clock_mhz = config.clock_mhz;
  result.layers = std::move(state.layers);
  result.layer_outputs = std::move(state.layer_outputs);
  result.dma_busy_cycles = state.dma_busy_cycles;
  result.l3_busy_cycles = state.l3_busy_cycles;
  result.kernel_calls = state.kernel_calls;
  result.kernel_calls_reused = state.kernel_calls_reused;
  if (options.data) {
    for (const auto& io : network.outputs()) {
      const std::vector<std::int64_t> shape(io.shape().begin(), io.shape().end());
      result.outputs.push_back(read_hwc(state.memories.of(io.memory()), io.address(), shape, io.is_signed()));
    }
  }
  if (!options.trace_path.empty()) write_trace(options.trace_path, network, state, hw.cores, config.clock_mhz);
  return result;
}

}  // namespace wb::sim::pulp
