#include "sim/pulp/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sim/pulp/kernels.h"
#include "sim/pulp/tensor_io.h"

namespace wb::sim::pulp {

// --- DMA channel ------------------------------------------------------------------------

void DmaChannel::reset(int outstanding) {
  outstanding_ = std::max(outstanding, 1);
  free_at_ = 0;
  last_completion_ = 0;
  completions_.clear();
  busy_.clear();
}

std::pair<std::uint64_t, std::uint64_t> DmaChannel::schedule(std::uint64_t now, std::uint64_t busy,
                                                            std::uint64_t latency) {
  while (!completions_.empty() && completions_.front() <= now) completions_.pop_front();
  std::uint64_t start = std::max(now, free_at_);
  // A full queue: the transfer waits for the oldest one in flight to complete.
  while (static_cast<int>(completions_.size()) >= outstanding_) {
    start = std::max(start, completions_.front());
    completions_.pop_front();
  }
  const std::uint64_t done = start + busy + latency;
  free_at_ = start + busy;
  completions_.insert(std::upper_bound(completions_.begin(), completions_.end(), done), done);
  last_completion_ = std::max(last_completion_, done);
  if (busy > 0) busy_.emplace_back(start, start + busy);
  while (busy_.size() > 64) busy_.pop_front();
  return {start, done};
}

std::uint64_t DmaChannel::busy_within(std::uint64_t begin, std::uint64_t end) const {
  std::uint64_t total = 0;
  for (const auto& [b, e] : busy_) {
    const std::uint64_t lo = std::max(b, begin), hi = std::min(e, end);
    if (hi > lo) total += hi - lo;
  }
  return total;
}

// --- cluster ----------------------------------------------------------------------------

Cluster::Cluster(sc_core::sc_module_name name) : sc_core::sc_module(name), period_(1, sc_core::SC_NS) {
  SC_THREAD(fabric_controller);
  for (int core = 0; core < kMaxCores; ++core) {
    sc_core::sc_spawn_options options;
    sc_core::sc_spawn([this, core] { core_thread(core); }, fmt::format("core{}", core).c_str(), &options);
  }
}

void Cluster::run(RunState& state) {
  state_ = &state;
  done_ = false;
  start_ = sc_core::sc_time_stamp();
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) start_event_.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  state_ = nullptr;
}

std::uint64_t Cluster::now() const {
  return static_cast<std::uint64_t>((sc_core::sc_time_stamp() - start_).value() / period_.value());
}

void Cluster::wait_until(std::uint64_t cycle) {
  const std::uint64_t t = now();
  if (cycle > t) wait(period_ * static_cast<double>(cycle - t));
}

void Cluster::fabric_controller() {
  while (true) {
    if (state_ == nullptr || done_) {
      wait(start_event_);
      continue;
    }
    const PulpParams& hw = *state_->hw;
    dma_in_.reset(hw.dma_outstanding_transfers);
    dma_out_.reset(hw.dma_outstanding_transfers);
    udma_.reset(1);
    udma_prefetch_done_ = 0;
    for (std::size_t l = 0; l < static_cast<std::size_t>(state_->network->layers_size()); ++l) run_layer(l);
    state_->total_cycles = now();
    done_ = true;
  }
}

void Cluster::core_thread(int core) {
  const auto c = static_cast<std::size_t>(core);
  while (true) {
    wait(go_[c]);
    wait(period_ * static_cast<double>(work_[c]));
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

std::uint64_t Cluster::issue(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies,
                             DmaChannel& channel, std::size_t layer, std::size_t step, int track, bool to_l1) {
  const PulpParams& hw = *state_->hw;
  LayerStats& stats = state_->layers[layer];
  std::uint64_t done = 0;
  for (const auto& copy : copies) {
    const isa::pulp::DmaCost cost = isa::pulp::dma_cost(copy, hw);
    wait_until(now() + cost.issue_cycles);  // the controller core programs the transfer
    const auto [start, end] =
        channel.schedule(now(), cost.busy_cycles, static_cast<std::uint64_t>(hw.dma_latency_cycles));
    done = std::max(done, end);
    move(copy);
    const std::uint64_t bytes = isa::pulp::copy_bytes(copy);
    (to_l1 ? stats.l1_bytes_in : stats.l1_bytes_out) += bytes;
    state_->dma_busy_cycles += cost.busy_cycles;
    if (state_->trace) state_->events.push_back({track, start, end, layer, step, to_l1 ? "dma in" : "dma out"});
  }
  return done;
}

std::uint64_t Cluster::l3_copies(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies,
                                 std::size_t layer, std::size_t step, bool blocking, bool into_l2) {
  LayerStats& stats = state_->layers[layer];
  std::uint64_t done = 0;
  for (const auto& copy : copies) {
    const std::uint64_t cycles = isa::pulp::l3_cycles(copy, *state_->hw);
    const auto [start, end] = udma_.schedule(now(), cycles, 0);
    done = std::max(done, end);
    move(copy);
    (into_l2 ? stats.l3_bytes_in : stats.l3_bytes_out) += isa::pulp::copy_bytes(copy);
    state_->l3_busy_cycles += cycles;
    if (state_->trace) state_->events.push_back({kMaxCores + 2, start, end, layer, step, "udma"});
  }
  if (blocking) wait_until(done);
  return done;
}

void Cluster::compute(const isa::pulp::KernelCall& call, std::size_t layer, std::size_t step) {
  const PulpParams& hw = *state_->hw;
  LayerStats& stats = state_->layers[layer];
  const isa::pulp::KernelCycles counts;
  const isa::pulp::KernelCost cost = isa::pulp::kernel_cost(call, hw, hw.cores, counts);
  const std::uint64_t begin = now();
  // The fabric controller dispatches the call and the event unit wakes the cores.
  wait_until(begin + static_cast<std::uint64_t>(counts.call_overhead + hw.wakeup_cycles));
  const std::uint64_t fork = now();
  std::size_t slowest = 0;
  for (std::size_t c = 0; c < cost.core_cycles.size(); ++c) {
    if (cost.core_cycles[c] > cost.core_cycles[slowest]) slowest = c;
  }
  arrived_ = 0;
  active_cores_ = 0;
  for (std::size_t c = 0; c < cost.core_cycles.size(); ++c) {
    if (cost.core_cycles[c] == 0) continue;
    work_[c] = cost.core_cycles[c] + (c == slowest ? cost.conflict_cycles : 0);
    ++active_cores_;
    stats.core_busy_cycles[c] += work_[c];
    if (state_->trace) state_->events.push_back({static_cast<int>(c), fork, fork + work_[c], layer, step, "kernel"});
    go_[c].notify(sc_core::SC_ZERO_TIME);
  }
  if (active_cores_ > 0) wait(barrier_);
  wait_until(now() + static_cast<std::uint64_t>(hw.barrier_cycles));
  // DMA traffic during the call took TCDM banks from the cores.
  const std::uint64_t end = now();
  const std::uint64_t overlap = dma_in_.busy_within(fork, end) + dma_out_.busy_within(fork, end);
  wait_until(end + isa::pulp::dma_contention_cycles(overlap, isa::pulp::loads_per_cycle(cost), hw, counts));
  stats.compute_cycles += now() - begin;
  if (state_->data) run_kernel(call, state_->memories.l1);
}

void Cluster::run_layer(std::size_t l) {
  const auto& layer = state_->network->layers(static_cast<int>(l));
  LayerStats& st = state_->layers[l];
  st.core_busy_cycles.assign(static_cast<std::size_t>(state_->hw->cores), 0);
  st.start_cycle = now();
  // This layer's weights, loaded by the uDMA while the previous layer ran.
  std::uint64_t t0 = now();
  wait_until(udma_prefetch_done_);
  st.l3_cycles += now() - t0;
  if (layer.l3_prefetch_size() > 0) udma_prefetch_done_ = l3_copies(layer.l3_prefetch(), l, 0, false, true);

  std::uint64_t previous_prefetch = 0;                   // completion of the previous step's prefetch
  std::vector<std::uint64_t> write_backs_upto;           // running max of write-back completions by step
  for (std::size_t i = 0; i < static_cast<std::size_t>(layer.steps_size()); ++i) {
    const auto& step = layer.steps(static_cast<int>(i));
    if (step.l3_load_size() > 0) {
      t0 = now();
      wait_until(std::max(dma_in_.last_completion(), dma_out_.last_completion()));
      st.dma_wait_cycles += now() - t0;
      t0 = now();
      l3_copies(step.l3_load(), l, i, true, true);
      st.l3_cycles += now() - t0;
    }
    const std::uint64_t loaded = issue(step.load(), dma_in_, l, i, kMaxCores, true);
    const std::uint64_t prefetched = issue(step.prefetch(), dma_in_, l, i, kMaxCores, true);
    std::uint64_t ready = std::max(loaded, previous_prefetch);
    if (i >= 2) ready = std::max(ready, write_backs_upto[i - 2]);
    t0 = now();
    wait_until(ready);
    st.dma_wait_cycles += now() - t0;
    compute(step.compute(), l, i);
    const std::uint64_t written = issue(step.write_back(), dma_out_, l, i, kMaxCores + 1, false);
    write_backs_upto.push_back(std::max(written, write_backs_upto.empty() ? 0 : write_backs_upto.back()));
    if (step.l3_store_size() > 0) {
      t0 = now();
      wait_until(dma_out_.last_completion());
      st.dma_wait_cycles += now() - t0;
      t0 = now();
      l3_copies(step.l3_store(), l, i, true, false);
      st.l3_cycles += now() - t0;
    }
    previous_prefetch = prefetched;
    ++st.tiles;
  }
  // The layer ends when its last write-back has landed.
  t0 = now();
  wait_until(std::max(dma_in_.last_completion(), dma_out_.last_completion()));
  st.dma_wait_cycles += now() - t0;
  st.end_cycle = now();
  st.cycles = st.end_cycle - st.start_cycle;
  if (state_->capture && state_->data && layer.steps_size() > 0) {
    const std::vector<std::int64_t> shape(layer.output_shape().begin(), layer.output_shape().end());
    state_->layer_outputs[layer.output()] =
        read_hwc(state_->memories.of(layer.output_memory()), layer.output_address(), shape,
                 layer.steps(0).compute().output_signed());
  }
}

}  // namespace wb::sim::pulp
