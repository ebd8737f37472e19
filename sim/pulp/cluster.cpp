#include "sim/pulp/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "support/error.h"
#include "support/interrupt.h"
#include "isa/pulp_program.h"
#include "sim/common/watchdog.h"
#include "sim/pulp/programs/kernel_programs.h"
#include "sim/pulp/kernels/kernels.h"
#include "sim/pulp/memory_tensors.h"

namespace wb::sim::pulp {

// --- cluster ----------------------------------------------------------------------------

Cluster::Cluster(sc_core::sc_module_name name)
    : sc_core::sc_module(name), period_(1, sc_core::SC_NS), dma_port_("l2_socket", "L2"), udma_port_("l3_socket", "L3") {
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

namespace {

// Whether a copy's chunks follow one another on both sides (one run per row).
bool chunks_run_on(const isa::pulp::DmaCopy& copy) {
  return copy.count() <= 1 ||
         (copy.source_stride() == copy.chunk_bytes() && copy.destination_stride() == copy.chunk_bytes());
}

// The 2-D transfers the controller core programs for a copy: one per row, or one for a copy
// that is a single contiguous run on both sides.
std::uint64_t dma_commands(const isa::pulp::DmaCopy& copy) {
  const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
  const std::uint64_t row_bytes = copy.chunk_bytes() * std::max<std::uint64_t>(copy.count(), 1);
  const bool rows_run_on = rows == 1 || (chunks_run_on(copy) && copy.source_row_stride() == row_bytes &&
                                         copy.destination_row_stride() == row_bytes);
  return rows_run_on ? 1 : rows;
}

// L2 bytes [begin, end) a uDMA copy writes, landed at `done`: the next layer's weights.
struct PendingWrite {
  std::uint64_t begin = 0, end = 0, done = 0;
};

// The L2 bytes an L2 -> L1 copy reads, [begin, end).
std::pair<std::uint64_t, std::uint64_t> l2_span(const isa::pulp::DmaCopy& copy) {
  const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
  const std::uint64_t begin = copy.source();
  return {begin, begin + (rows - 1) * copy.source_row_stride() +
                     (std::max<std::uint64_t>(copy.count(), 1) - 1) * copy.source_stride() + copy.chunk_bytes()};
}

enum class Channel { DmaIn, DmaOut, Udma };

struct Moved {
  Channel channel = Channel::DmaIn;
  std::uint64_t begin = 0, end = 0, bytes = 0;
};

}  // namespace

// What carries from one layer to the next: the weights the previous layer had the uDMA
// prefetch (isa/pulp.proto, Layer.l3_prefetch) and their transfers.
struct Cluster::Carried {
  std::vector<PendingWrite> weights;
  std::vector<Moved> transfers;
};

// One layer of the tile program, walked by the fabric controller in Step's order.
class Cluster::LayerWalk {
 public:
  LayerWalk(Cluster& cluster, std::size_t index, Carried& carried)
      : c_(cluster), hw_(*cluster.state_->hw), index_(index), stats_(cluster.state_->layers[index]), carried_(carried) {}

  void run(const isa::pulp::Layer& layer) {
    stats_.start_cycle = c_.now();
    dory_loop_ = layer.tiling().dory_tile_loop();
    dory_depthwise_ = layer.kind() == isa::pulp::KERNEL_DEPTHWISE;
    // This layer's weights, prefetched while the previous layer ran: the first copy before
    // anything starts, the others before the first L2 -> L1 copy that reads them.
    pending_ = std::move(carried_.weights);
    carried_.weights.clear();
    moved_ = std::move(carried_.transfers);
    carried_.transfers.clear();
    if (!pending_.empty()) wait(pending_.front().done, stats_.l3_cycles);
    const std::size_t own = moved_.size();
    for (const auto& copy : layer.l3_prefetch()) {
      const std::uint64_t done = udma(copy, true, 0);
      carried_.weights.push_back({copy.destination(), copy.destination() + isa::pulp::copy_bytes(copy), done});
    }
    carried_.transfers.assign(moved_.begin() + static_cast<std::ptrdiff_t>(own), moved_.end());
    moved_.resize(own);

    std::uint64_t previous_prefetch = 0, chunk_prefetch = 0;
    std::vector<std::uint64_t> written_by_step;  // write-backs completed, running maximum
    for (std::size_t i = 0; i < static_cast<std::size_t>(layer.steps_size()); ++i) {
      const isa::pulp::Step& step = layer.steps(static_cast<int>(i));
      if (step.wait_l3_prefetch()) wait(chunk_prefetch, stats_.l3_cycles);
      if (step.l3_load_size() > 0) {
        wait(drained(), stats_.dma_wait_cycles);
        std::uint64_t loaded = 0;
        for (const auto& copy : step.l3_load()) loaded = std::max(loaded, udma(copy, true, i));
        wait(loaded, stats_.l3_cycles);
      }
      for (const auto& copy : step.l3_prefetch()) chunk_prefetch = std::max(chunk_prefetch, udma(copy, true, i));
      // DORY's loop: its code programs the copies. Blocking copies (its depthwise code's) are
      // waited for inside it, so the code's time does not hide theirs: it runs first.
      const bool blocking = layer.tiling().depthwise_chw();
      const auto loop_before = [&] {
        std::vector<std::uint32_t> transfers(static_cast<std::size_t>(hw_.cores), 0);
        add_transfers(step.load(), false, 0, transfers);
        add_transfers(step.prefetch(), false, 0, transfers);
        tile_loop(i == 0 ? DoryStretch::Entry : DoryStretch::Before, transfers, i);
      };
      if (dory_loop_ && blocking) loop_before();
      wait_for_weights_read_by(step.load());
      const std::uint64_t loaded = dma(step.load(), true, i);
      wait_for_weights_read_by(step.prefetch());
      const std::uint64_t prefetched = dma(step.prefetch(), true, i);
      if (dory_loop_ && !blocking) loop_before();
      std::uint64_t ready = std::max(loaded, previous_prefetch);
      // The output buffer this step writes was last written back two steps ago.
      if (i >= 2) ready = std::max(ready, written_by_step[i - 2]);
      wait(ready, stats_.dma_wait_cycles);
      if (step.has_compute()) c_.compute(step.compute(), index_, i, /*cores_running=*/dory_loop_);
      if (step.has_row_gather() && !gather_rows(step.row_gather(), i)) return;
      const auto loop_after = [&] {
        std::vector<std::uint32_t> transfers(static_cast<std::size_t>(hw_.cores), 0);
        add_transfers(step.write_back(), true, layer.tiling().tile_c_out(), transfers);
        tile_loop(DoryStretch::After, transfers, i);
      };
      if (dory_loop_ && step.wait_write_back()) loop_after();
      const std::uint64_t written = dma(step.write_back(), false, i);
      if (dory_loop_ && !step.wait_write_back()) loop_after();
      if (step.wait_write_back()) wait(written, stats_.dma_wait_cycles);
      written_by_step.push_back(std::max(written, written_by_step.empty() ? 0 : written_by_step.back()));
      if (step.l3_store_size() > 0) {
        wait(c_.dma_out_.drained(), stats_.dma_wait_cycles);
        std::uint64_t stored = 0;
        for (const auto& copy : step.l3_store()) stored = std::max(stored, udma(copy, false, i));
        wait(stored, stats_.l3_cycles);
      }
      previous_prefetch = prefetched;
      ++stats_.tiles;
    }
    wait(drained(), stats_.dma_wait_cycles);
    for (const PendingWrite& w : pending_) wait(w.done, stats_.l3_cycles);
    stats_.end_cycle = c_.now();
    stats_.cycles = stats_.end_cycle - stats_.start_cycle;
    add_channel_bounds();
  }

 private:
  std::uint64_t drained() const { return std::max(c_.dma_in_.drained(), c_.dma_out_.drained()); }

  void wait(std::uint64_t until, std::uint64_t& account) {
    const std::uint64_t before = c_.now();
    c_.wait_until(until);
    account += c_.now() - before;
  }

  // DORY's layer loop: the cores run one stretch of its code (sim/pulp/programs/dory_tile_loop.h), each
  // programming `transfers[core]` DMA transfers in it.
  void tile_loop(DoryStretch stretch, const std::vector<std::uint32_t>& transfers, std::size_t step) {
    const CallRun& run = c_.tile_loop_run(stretch, dory_depthwise_, transfers);
    const std::uint64_t start = c_.now();
    c_.wait_until(start + run.cycles);
    stats_.tile_loop_cycles += run.cycles;
    stats_.compute_cycles += run.cycles;
    for (std::size_t core = 0; core < run.cores.size(); ++core) {
      const CoreRun& r = run.cores[core];
      stats_.core_instructions += r.instructions;
      stats_.l1_core_accesses += r.loads + r.stores + r.split_accesses;
      stats_.bank_conflict_cycles += r.bank_conflict_cycles;
      if (c_.state_->trace && r.cycles > 0) {
        c_.state_->events.push_back({static_cast<int>(core), start, start + r.cycles, index_, step, "dory_loop"});
      }
    }
  }

  // DORY's copy functions split a copy's image rows over the cores (ceil(rows / cores) each): an
  // input tile one transfer per row (dory_dma_memcpy_3d_custom), a write-back one per pixel
  // (dory_dma_memcpy_3d_custom_out); weights are one transfer. A run of copies alike (a
  // depthwise tile's channel-major planes, one copy per channel) is one call: its channels split.
  void add_transfers(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies, bool write_back,
                     std::uint32_t c_out, std::vector<std::uint32_t>& transfers) const {
    const auto alike = [](const isa::pulp::DmaCopy& a, const isa::pulp::DmaCopy& b) {
      return a.chunk_bytes() == b.chunk_bytes() && a.count() == b.count() && a.rows() == b.rows() &&
             a.source_stride() == b.source_stride() && a.destination_stride() == b.destination_stride();
    };
    for (int i = 0; i < copies.size();) {
      int j = i + 1;
      while (j < copies.size() && alike(copies[i], copies[j])) ++j;
      const isa::pulp::DmaCopy& copy = copies[i];
      // Our copy's rows are the image's when it has several; else its chunks are (a tile's rows
      // of whole channels), unless they run on as one. A copy of one-byte chunks is DORY's
      // transpose of one channel: one 2-D transfer.
      const bool transpose = copy.chunk_bytes() == 1 && !write_back;
      const std::uint64_t image_rows = transpose             ? 1
                                       : copy.rows() > 1     ? copy.rows()
                                       : chunks_run_on(copy) ? 1
                                                             : copy.count();
      const std::uint64_t bytes = isa::pulp::copy_bytes(copy);
      std::uint64_t per_row = 1;
      if (write_back && bytes > 0) per_row = std::max<std::uint64_t>(bytes / image_rows / std::max<std::uint32_t>(c_out, 1), 1);
      const auto rows = static_cast<std::uint32_t>(image_rows * static_cast<std::uint64_t>(j - i));
      for (int core = 0; core < hw_.cores; ++core) {
        transfers[static_cast<std::size_t>(core)] +=
            dory_rows_of_core(rows, hw_.cores, core) * static_cast<std::uint32_t>(per_row);
      }
      i = j;
    }
  }

  // Cluster-DMA copies, each programmed by the controller core (or, in DORY's layer loop, by the
  // cores as they run it: tile_loop); when the last completes.
  std::uint64_t dma(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies, bool into_l1,
                    std::size_t step) {
    TransferChannel& channel = into_l1 ? c_.dma_in_ : c_.dma_out_;
    std::uint64_t done = 0;
    for (const auto& copy : copies) {
      const std::uint64_t before = c_.now();
      if (!dory_loop_) {
        c_.wait_until(before + dma_commands(copy) * static_cast<std::uint64_t>(hw_.dma_command_cycles));
      }
      stats_.dma_issue_cycles += c_.now() - before;
      const std::uint64_t moving = c_.memory_cycles(copy, false, channel.start_of(c_.now()), index_);
      const TransferChannel::Slot slot = channel.issue(c_.now(), moving);
      channel.log_l1_bursts(copy, into_l1, static_cast<std::uint64_t>(hw_.dma_burst_bytes), slot);
      done = std::max(done, slot.done);
      const std::uint64_t bytes = isa::pulp::copy_bytes(copy);
      (into_l1 ? stats_.l1_bytes_in : stats_.l1_bytes_out) += bytes;
      c_.state_->dma_busy_cycles += moving;
      moved_.push_back({into_l1 ? Channel::DmaIn : Channel::DmaOut, slot.start, slot.moved, bytes});
      c_.transferred(copy, into_l1 ? kMaxCores : kMaxCores + 1, slot.start, slot.done, index_, step);
    }
    return done;
  }

  // One uDMA copy; when it lands.
  std::uint64_t udma(const isa::pulp::DmaCopy& copy, bool into_l2, std::size_t step) {
    const std::uint64_t moving = c_.memory_cycles(copy, true, c_.udma_.start_of(c_.now()), index_);
    const TransferChannel::Slot slot = c_.udma_.issue(c_.now(), moving);
    const std::uint64_t bytes = isa::pulp::copy_bytes(copy);
    (into_l2 ? stats_.l3_bytes_in : stats_.l3_bytes_out) += bytes;
    // L3's addresses past its RAM are the flash's (isa/pulp.proto's l3_image_address).
    if ((into_l2 ? copy.source() : copy.destination()) >= static_cast<std::uint64_t>(hw_.l3_bytes)) {
      stats_.l3_flash_bytes += bytes;
    }
    c_.state_->l3_busy_cycles += moving;
    moved_.push_back({Channel::Udma, slot.start, slot.moved, bytes});
    c_.transferred(copy, kMaxCores + 2, slot.start, slot.done, index_, step);
    return slot.done;
  }

  // Token ids -> rows (KERNEL_EMBEDDING). Per id the controller core loads it, computes its
  // row's address and programs one uDMA transfer (isa::pulp::row_gather_id_cycles); the rows
  // land in L2 while it programs the next. Without data the ids are not
  // known: every token reads row 0, the same bytes and transfers (the L3 model's timing does not
  // depend on the address). False when an id lies outside the table (the run's error is set).
  bool gather_rows(const isa::pulp::RowGather& g, std::size_t step) {
    const std::uint64_t per_row = isa::pulp::row_gather_id_cycles(hw_);
    std::uint64_t landed = 0;
    for (std::uint32_t t = 0; t < g.count(); ++t) {
      const std::uint64_t before = c_.now();
      c_.wait_until(before + per_row);
      stats_.dma_issue_cycles += c_.now() - before;
      const std::uint32_t id = c_.token_id(g, t);
      if (id >= g.rows()) {
        if (c_.state_->error.empty()) {
          c_.state_->error = fmt::format("program layer {} '{}', step {}: token id {} (position {} of the step) is "
                                         "outside its table of {} rows",
                                         index_, c_.state_->network->layers(static_cast<int>(index_)).name(), step, id,
                                         t, g.rows());
        }
        return false;
      }
      landed = std::max(landed, udma(isa::pulp::row_copy(g, t, id), true, step));
    }
    wait(landed, stats_.l3_cycles);
    return true;
  }

  void wait_for_weights_read_by(const google::protobuf::RepeatedPtrField<isa::pulp::DmaCopy>& copies) {
    for (const auto& copy : copies) {
      if (copy.source_memory() != isa::pulp::MEMORY_L2 || isa::pulp::copy_bytes(copy) == 0) continue;
      const auto [begin, end] = l2_span(copy);
      for (const PendingWrite& w : pending_) {
        if (w.begin < end && begin < w.end) wait(w.done, stats_.l3_cycles);
      }
    }
  }

  // Each channel moves one transfer at a time, so its cycles within the span never exceed it.
  void add_channel_bounds() {
    for (const Moved& m : moved_) {
      const std::uint64_t lo = std::max(m.begin, stats_.start_cycle), hi = std::min(m.end, stats_.end_cycle);
      if (hi <= lo) continue;
      LayerStats::ChannelShare& share = m.channel == Channel::DmaIn    ? stats_.dma_in_bound
                                        : m.channel == Channel::DmaOut ? stats_.dma_out_bound
                                                                       : stats_.udma_bound;
      share.cycles += hi - lo;
      share.bytes += m.bytes * (hi - lo) / (m.end - m.begin);
    }
  }

  Cluster& c_;
  const PulpParams& hw_;
  bool dory_loop_ = false, dory_depthwise_ = false;
  std::size_t index_;
  LayerStats& stats_;
  Carried& carried_;
  std::vector<PendingWrite> pending_;
  std::vector<Moved> moved_;
};

namespace {

CorePipeline core_pipeline(const PulpParams& hw) {
  CorePipeline pipeline;
  pipeline.load_use_stall_cycles = hw.core.load_use_stall_cycles;
  pipeline.branch_taken_cycles = hw.core.branch_taken_cycles;
  pipeline.divide_cycles = hw.core.divide_cycles;
  pipeline.barrier_cycles = hw.barrier_cycles;
  return pipeline;
}

}  // namespace

void Cluster::fabric_controller() {
  while (true) {
    if (state_ == nullptr || done_) {
      wait(start_event_);
      continue;
    }
    const PulpParams& hw = *state_->hw;
    dma_in_.reset(hw.dma_outstanding_transfers, static_cast<std::uint64_t>(hw.dma_latency_cycles));
    dma_out_.reset(hw.dma_outstanding_transfers, static_cast<std::uint64_t>(hw.dma_latency_cycles));
    udma_.reset(1, 0);
    std::vector<std::uint32_t> stack_tops;
    for (int core = 0; core < hw.cores; ++core) {
      stack_tops.push_back(core_stack_top(hw.l1_bytes, hw.l1_tile_budget_bytes, core, hw.cores));
    }
    stack_tops_ = stack_tops;
    pipeline_ = core_pipeline(hw);
    tile_loop_runs_.clear();
    if (timer_ == nullptr || !timer_->serves(hw.l1_banks, pipeline_, stack_tops)) {
      timer_ = std::make_unique<CallTimer>(hw.l1_banks, pipeline_, std::move(stack_tops));
    }
    timer_->begin_run();
    Carried carried;
    const auto& network = *state_->network;
    for (std::size_t l = 0; l < static_cast<std::size_t>(network.layers_size()); ++l) {
      const auto& layer = network.layers(static_cast<int>(l));
      current_layer_ = l;
      LayerStats& stats = state_->layers[l];
      stats.core_busy_cycles.assign(static_cast<std::size_t>(hw.cores), 0);
      stats.core_calls.assign(static_cast<std::size_t>(hw.cores), 0);
      LayerWalk(*this, l, carried).run(layer);
      if (state_->capture && state_->data && layer.steps_size() > 0) {
        const std::vector<std::int64_t> shape(layer.output_shape().begin(), layer.output_shape().end());
        state_->layer_outputs[layer.output()] = read_hwc(state_->memories.of(layer.output_memory()),
                                                         layer.output_address(), shape,
                                                         isa::pulp::output_signed(layer),
                                                         layer.output_pixel_bytes());
      }
      if (state_->progress != nullptr) state_->progress->step();
      if (interrupt_requested() && state_->error.empty()) state_->error = "interrupted";
      if (!state_->error.empty()) break;
    }
    state_->total_cycles = now();
    state_->kernel_calls = timer_->calls();
    state_->kernel_calls_reused = timer_->cache_hits();
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

void Cluster::transferred(const isa::pulp::DmaCopy& copy, int track, std::uint64_t start, std::uint64_t end,
                          std::size_t layer, std::size_t step) {
  move(copy);
  if (!state_->trace) return;
  const bool load = copy.destination_memory() < copy.source_memory();  // towards L1
  state_->events.push_back({track, start, end, layer, step, load ? "load" : "store", isa::pulp::copy_bytes(copy),
                            isa::pulp::memory_name(copy.source_memory()),
                            isa::pulp::memory_name(copy.destination_memory())});
}

std::uint32_t Cluster::token_id(const isa::pulp::RowGather& gather, std::uint32_t t) const {
  if (!state_->data) return 0;
  const std::uint8_t* id = state_->memories.l1.data() + gather.ids() + 2 * std::uint64_t{t};
  return static_cast<std::uint32_t>(id[0]) | static_cast<std::uint32_t>(id[1]) << 8;
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

std::uint64_t Cluster::memory_cycles(const isa::pulp::DmaCopy& copy, bool udma, std::uint64_t start,
                                     std::size_t layer) {
  if (copy.chunk_bytes() == 0 || copy.count() == 0) return 0;  // nothing moves, no transaction
  const isa::pulp::Memory memory = udma ? isa::pulp::MEMORY_L3 : isa::pulp::MEMORY_L2;
  MemoryInitiator& port = udma ? udma_port_ : dma_port_;
  // Issued now, beginning when the channel takes it: the annotated delay starts at that offset.
  const MemoryInitiator::Outcome out = port.transport(copy_transfer(copy, copy.source_memory() == memory),
                                                      period_ * static_cast<double>(start - now()), period_);
  std::string error = out.error;
  if (error.empty() && out.waited != sc_core::SC_ZERO_TIME) {
    // The channel schedules the transfer from the cycles it gets back.
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

const CallRun& Cluster::tile_loop_run(DoryStretch stretch, bool depthwise, const std::vector<std::uint32_t>& transfers) {
  auto key = std::make_tuple(static_cast<int>(stretch), depthwise, transfers);
  auto found = tile_loop_runs_.find(key);
  if (found == tile_loop_runs_.end()) {
    const std::vector<CoreProgram> programs = dory_tile_loop_programs(stretch, depthwise, transfers, stack_tops_);
    found = tile_loop_runs_.emplace(std::move(key), run_call(programs, state_->hw->l1_banks, pipeline_)).first;
  }
  return found->second;
}

void Cluster::compute(const isa::pulp::KernelCall& call, std::size_t layer, std::size_t step, bool cores_running) {
  const PulpParams& hw = *state_->hw;
  LayerStats& stats = state_->layers[layer];
  const std::uint64_t begin = now();
  // The fabric controller forks the call; the event unit wakes the cores. In DORY's layer loop
  // the cores are running already: its barrier before the kernel releases them (tile_loop).
  if (!cores_running) wait_until(begin + static_cast<std::uint64_t>(hw.wakeup_cycles));
  const std::uint64_t fork = now();
  // The DMA's bursts still moving or to move meet the cores at the banks.
  DmaL1Traffic traffic = dma_in_.l1_traffic(fork, UINT64_MAX / 2, hw.dma_bytes_per_cycle);
  DmaL1Traffic out = dma_out_.l1_traffic(fork, UINT64_MAX / 2, hw.dma_bytes_per_cycle);
  traffic.bursts.insert(traffic.bursts.end(), out.bursts.begin(), out.bursts.end());
  std::stable_sort(traffic.bursts.begin(), traffic.bursts.end(),
                   [](const DmaBurst& a, const DmaBurst& b) { return a.start_cycle < b.start_cycle; });
  const CallRun& run = timer_->time(call, &traffic);
  arrived_ = 0;
  active_cores_ = 0;
  std::size_t slowest = 0;
  std::uint64_t own_work = 0;
  for (std::size_t c = 0; c < run.cores.size(); ++c) {
    const CoreRun& core = run.cores[c];
    work_[c] = core.cycles;
    stats.bank_conflict_cycles += core.bank_conflict_cycles;
    stats.core_instructions += core.instructions;
    stats.core_simd_macs += core.dot_products * kMacsPerDotProduct;
    stats.l1_core_accesses += core.loads + core.stores + core.split_accesses;
    stats.dma_conflict_cycles += core.dma_conflict_cycles;
    own_work += core.cycles - core.bank_conflict_cycles - core.dma_conflict_cycles;
    if (work_[c] == 0) continue;
    if (core.cycles > run.cores[slowest].cycles) slowest = c;
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
  wait_until(now() + static_cast<std::uint64_t>(hw.barrier_cycles));
  const CoreRun& last = run.cores[slowest];
  const std::uint64_t lost = last.bank_conflict_cycles + last.dma_conflict_cycles;
  stats.compute_cycles += now() - begin;
  stats.dispatch_cycles += fork - begin;
  stats.barrier_cycles += static_cast<std::uint64_t>(hw.barrier_cycles);
  stats.core_cycles += last.cycles - lost;
  stats.conflict_cycles += lost;
  const auto cores = static_cast<std::uint64_t>(std::max(hw.cores, 1));
  stats.compute_bound_cycles += (own_work + cores - 1) / cores;
  if (!state_->data || !state_->error.empty()) return;
  try {
    run_kernel(call, state_->memories.l1);
  } catch (const UserError& e) {
    state_->error = fmt::format("program layer {} '{}', step {}: kernel call 0: {}", layer,
                                state_->network->layers(static_cast<int>(layer)).name(), step, e.what());
  }
}

}  // namespace wb::sim::pulp
