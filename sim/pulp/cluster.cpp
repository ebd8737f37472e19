#include "sim/pulp/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "support/error.h"
#include "perf/pulp/cost.h"
#include "isa/pulp_program.h"
#include "sim/common/watchdog.h"
#include "sim/pulp/kernels.h"
#include "sim/pulp/tensor_io.h"

namespace wb::sim::pulp {

// --- cluster ----------------------------------------------------------------------------

Cluster::Cluster(sc_core::sc_module_name name)
    : sc_core::sc_module(name), period_(1, sc_core::SC_NS), dma_("l2_socket", "L2"), udma_("l3_socket", "L3") {
  SC_THREAD(fabric_controller);
  for (int core = 0; core < kMaxCores; ++core) {
    sc_core::sc_spawn_options options;
    sc_core::sc_spawn([this, core] { core_thread(core); }, fmt::format("core{}", core).c_str(), &options);
  }
}

void Cluster::run(RunState& state) {
  state_ = &state;
  done_ = false;
  period_ = state.period;
  start_ = sc_core::sc_time_stamp();
  current_layer_ = 0;
  at_barrier_ = false;
  core_running_.fill(false);
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) start_event_.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  if (state.error.empty()) check_finished();
  state_ = nullptr;
}

void Cluster::check_finished() const {
  if (done_) return;
  const auto& network = *state_->network;
  std::vector<UnitState> units;
  std::string controller = "not started";
  if (current_layer_ < static_cast<std::size_t>(network.layers_size())) {
    controller = fmt::format("in layer {} '{}'", current_layer_, network.layers(static_cast<int>(current_layer_)).name());
    if (at_barrier_) controller += fmt::format(", at the barrier: {} of {} cores arrived", arrived_, active_cores_);
  }
  units.push_back({"fabric controller", controller});
  for (int c = 0; c < state_->hw->cores; ++c) {
    units.push_back({fmt::format("core {}", c), core_running_[static_cast<std::size_t>(c)] ? "running a kernel" : "idle"});
  }
  throw SimulationStalled(now(), units);
}

std::uint64_t Cluster::now() const {
  return static_cast<std::uint64_t>((sc_core::sc_time_stamp() - start_).value() / period_.value());
}

void Cluster::wait_until(std::uint64_t cycle) {
  const std::uint64_t t = now();
  if (cycle > t) wait(period_ * static_cast<double>(cycle - t));
}

// The timeline's clock in SystemC time: waits are real waits, a kernel call runs on the core threads.
class Cluster::SystemCClock final : public perf::pulp::Clock {
 public:
  SystemCClock(Cluster& cluster, std::size_t layer) : cluster_(cluster), layer_(layer) {}
  std::uint64_t now() const override { return cluster_.now(); }
  void wait_until(std::uint64_t cycle) override { cluster_.wait_until(cycle); }
  void compute(const isa::pulp::KernelCall& call, const perf::pulp::KernelCost& cost, std::size_t step) override {
    cluster_.compute(call, cost, layer_, step);
  }
  void copied(const isa::pulp::DmaCopy& copy, perf::pulp::Track track, std::uint64_t start, std::uint64_t end,
              std::size_t step) override {
    cluster_.move(copy);
    if (cluster_.state_->trace) {
      const bool load = copy.destination_memory() < copy.source_memory();  // towards L1
      cluster_.state_->events.push_back({kMaxCores + static_cast<int>(track), start, end, layer_, step,
                                         load ? "load" : "store", isa::pulp::copy_bytes(copy),
                                         isa::pulp::memory_name(copy.source_memory()),
                                         isa::pulp::memory_name(copy.destination_memory())});
    }
  }
  std::uint64_t channel_cycles(const isa::pulp::DmaCopy& copy, perf::pulp::Track track, std::uint64_t start,
                               const PulpParams&) override {
    return cluster_.memory_cycles(copy, track, start, layer_);
  }

 private:
  Cluster& cluster_;
  std::size_t layer_;
};

void Cluster::fabric_controller() {
  while (true) {
    if (state_ == nullptr || done_) {
      wait(start_event_);
      continue;
    }
    const PulpParams& hw = *state_->hw;
    perf::pulp::Channels channels;
    channels.reset(hw);
    const auto& network = *state_->network;
    for (std::size_t l = 0; l < static_cast<std::size_t>(network.layers_size()); ++l) {
      const auto& layer = network.layers(static_cast<int>(l));
      current_layer_ = l;
      LayerStats& stats = state_->layers[l];
      stats.core_busy_cycles.assign(static_cast<std::size_t>(hw.cores), 0);
      stats.core_calls.assign(static_cast<std::size_t>(hw.cores), 0);
      SystemCClock clock(*this, l);
      const perf::pulp::LayerTiming t = perf::pulp::run_layer(layer, hw, channels, clock);
      stats.start_cycle = t.start;
      stats.end_cycle = t.end;
      stats.cycles = t.end - t.start;
      stats.compute_cycles = t.compute_cycles;
      stats.core_cycles = t.core_cycles;
      stats.conflict_cycles = t.conflict_cycles;
      stats.dispatch_cycles = t.dispatch_cycles;
      stats.barrier_cycles = t.barrier_cycles;
      stats.dma_issue_cycles = t.dma_issue_cycles;
      stats.dma_wait_cycles = t.dma_wait_cycles;
      stats.l3_cycles = t.l3_cycles;
      stats.l1_bytes_in = t.l1_bytes_in;
      stats.l1_bytes_out = t.l1_bytes_out;
      stats.l3_bytes_in = t.l3_bytes_in;
      stats.l3_bytes_out = t.l3_bytes_out;
      stats.tiles = t.tiles;
      stats.compute_bound_cycles = t.compute_bound_cycles;
      stats.dma_in_bound = t.dma_in_bound;
      stats.dma_out_bound = t.dma_out_bound;
      stats.udma_bound = t.udma_bound;
      state_->dma_busy_cycles += t.dma_busy_cycles;
      state_->l3_busy_cycles += t.l3_busy_cycles;
      if (state_->capture && state_->data && layer.steps_size() > 0) {
        const std::vector<std::int64_t> shape(layer.output_shape().begin(), layer.output_shape().end());
        state_->layer_outputs[layer.output()] = read_hwc(state_->memories.of(layer.output_memory()),
                                                         layer.output_address(), shape,
                                                         layer.steps(0).compute().output_signed(),
                                                         layer.output_pixel_bytes());
      }
      if (state_->progress != nullptr) state_->progress->step();
      if (!state_->error.empty()) break;
    }
    state_->total_cycles = now();
    done_ = true;
  }
}

void Cluster::core_thread(int core) {
  const auto c = static_cast<std::size_t>(core);
  while (true) {
    wait(go_[c]);
    core_running_[c] = true;
    wait(period_ * static_cast<double>(work_[c]));
    core_running_[c] = false;
    if (++arrived_ == active_cores_) barrier_.notify(sc_core::SC_ZERO_TIME);
  }
}

void Cluster::move(const isa::pulp::DmaCopy& copy) {
  if (!state_->data) return;
  auto& src = state_->memories.of(copy.source_memory());
  auto& dst = state_->memories.of(copy.destination_memory());
  const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (std::uint64_t i = 0; i < copy.count(); ++i) {
      std::memcpy(dst.data() + copy.destination() + r * copy.destination_row_stride() + i * copy.destination_stride(),
                  src.data() + copy.source() + r * copy.source_row_stride() + i * copy.source_stride(),
                  copy.chunk_bytes());
    }
  }
}

std::uint64_t Cluster::memory_cycles(const isa::pulp::DmaCopy& copy, perf::pulp::Track track, std::uint64_t start,
                                     std::size_t layer) {
  if (copy.chunk_bytes() == 0 || copy.count() == 0) return 0;  // nothing moves, no transaction
  const bool udma = track == perf::pulp::Track::Udma;
  const isa::pulp::Memory memory = udma ? isa::pulp::MEMORY_L3 : isa::pulp::MEMORY_L2;
  MemoryInitiator& port = udma ? udma_ : dma_;
  // Issued now, beginning when the channel takes it: the annotated delay starts at that offset.
  const MemoryInitiator::Outcome out = port.transport(copy_transfer(copy, copy.source_memory() == memory),
                                                      period_ * static_cast<double>(start - now()), period_);
  std::string error = out.error;
  if (error.empty() && out.waited != sc_core::SC_ZERO_TIME) {
    // The timeline schedules the transfer on its channel from the cycles it gets back.
    error = fmt::format("the {} model waited inside b_transport; the cluster needs a loosely-timed model that "
                        "annotates the delay instead (docs/tlm.md)", udma ? "L3" : "L2");
  }
  if (!error.empty()) {
    if (state_->error.empty()) {
      state_->error = fmt::format("program layer {} '{}': {}", layer,
                                  state_->network->layers(static_cast<int>(layer)).name(), error);
    }
    return 0;
  }
  return out.cycles;  // from the transfer's start
}

void Cluster::compute(const isa::pulp::KernelCall& call, const perf::pulp::KernelCost& cost, std::size_t layer,
                      std::size_t step) {
  const PulpParams& hw = *state_->hw;
  LayerStats& stats = state_->layers[layer];
  const PulpKernelCycles& counts = hw.predictor;
  const std::uint64_t begin = now();
  // The fabric controller dispatches the call and the event unit wakes the cores.
  wait_until(begin + static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles));
  const std::uint64_t fork = now();
  arrived_ = 0;
  active_cores_ = 0;
  for (std::size_t c = 0; c < cost.core_cycles.size(); ++c) {
    work_[c] = cost.core_cycles[c];
    if (work_[c] == 0) continue;
    ++active_cores_;
    stats.core_busy_cycles[c] += work_[c];
    ++stats.core_calls[c];
    if (state_->trace) {
      state_->events.push_back({static_cast<int>(c), fork, fork + work_[c], layer, step,
                                isa::pulp::kernel_kind_name(call.kind())});
    }
    go_[c].notify(sc_core::SC_ZERO_TIME);
  }
  if (active_cores_ > 0) {
    at_barrier_ = true;
    wait(barrier_);
    at_barrier_ = false;
  }
  // The slowest core's TCDM bank conflicts, then the barrier itself.
  wait_until(begin + cost.cycles);
  if (!state_->data || !state_->error.empty()) return;
  try {
    run_kernel(call, state_->memories.l1);
  } catch (const UserError& e) {
    state_->error = fmt::format("program layer {} '{}', step {}: kernel call 0: {}", layer,
                                state_->network->layers(static_cast<int>(layer)).name(), step, e.what());
  }
}

}  // namespace wb::sim::pulp
