#include "perf/pulp/timeline.h"

#include <algorithm>
#include <vector>

#include "isa/pulp_program.h"

namespace wb::perf::pulp {

using namespace isa::pulp;  // the program format this model reads

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

std::uint64_t DmaChannel::start_at(std::uint64_t now) const {
  // schedule()'s rule: completions up to `now` have left the queue; a full queue waits for
  // the oldest transfers in flight until one place is free.
  const auto first = std::upper_bound(completions_.begin(), completions_.end(), now);
  const auto in_flight = completions_.end() - first;
  std::uint64_t start = std::max(now, free_at_);
  if (in_flight >= outstanding_) start = std::max(start, *(first + (in_flight - outstanding_)));
  return start;
}

std::uint64_t DmaChannel::busy_within(std::uint64_t begin, std::uint64_t end) const {
  std::uint64_t total = 0;
  for (const auto& [b, e] : busy_) {
    const std::uint64_t lo = std::max(b, begin), hi = std::min(e, end);
    if (hi > lo) total += hi - lo;
  }
  return total;
}

std::uint64_t Clock::channel_cycles(const DmaCopy& copy, Track track, std::uint64_t, const PulpParams& hw) {
  return track == Track::Udma ? l3_cycles(copy, hw) : dma_cost(copy, hw).busy_cycles;
}

void Channels::reset(const PulpParams& hw) {
  dma_in.reset(hw.dma_outstanding_transfers);
  dma_out.reset(hw.dma_outstanding_transfers);
  udma.reset(1);
  weight_prefetch_pending.clear();
  weight_prefetch.clear();
}

namespace {

class LayerRun {
 public:
  LayerRun(const PulpParams& hw, Channels& channels, Clock& clock) : hw_(hw), ch_(channels), clock_(clock) {}

  // Cluster-DMA copies, each programmed by the controller core; their last completion.
  std::uint64_t issue(const google::protobuf::RepeatedPtrField<DmaCopy>& copies, bool to_l1, std::size_t step) {
    std::uint64_t done = 0;
    DmaChannel& channel = to_l1 ? ch_.dma_in : ch_.dma_out;
    const Track track = to_l1 ? Track::DmaIn : Track::DmaOut;
    for (const auto& copy : copies) {
      const DmaCost cost = dma_cost(copy, hw_);
      const std::uint64_t before = clock_.now();
      // In DORY's layer loop the cores program the copies as part of its code (tile_loop).
      if (!dory_loop_) clock_.wait_until(before + cost.issue_cycles);
      t_.dma_issue_cycles += clock_.now() - before;
      const std::uint64_t busy = clock_.channel_cycles(copy, track, channel.start_at(clock_.now()), hw_);
      const auto [start, end] =
          channel.schedule(clock_.now(), busy, static_cast<std::uint64_t>(hw_.dma_latency_cycles));
      done = std::max(done, end);
      transfers_.push_back({track, start, start + busy, copy_bytes(copy)});
      (to_l1 ? t_.l1_bytes_in : t_.l1_bytes_out) += copy_bytes(copy);
      t_.dma_busy_cycles += busy;
      clock_.copied(copy, track, start, end, step);
    }
    return done;
  }

  // One uDMA copy; when it lands.
  std::uint64_t l3_copy(const DmaCopy& copy, bool into_l2, std::size_t step) {
    const std::uint64_t cycles = clock_.channel_cycles(copy, Track::Udma, ch_.udma.start_at(clock_.now()), hw_);
    const auto [start, end] = ch_.udma.schedule(clock_.now(), cycles, 0);
    transfers_.push_back({Track::Udma, start, start + cycles, copy_bytes(copy)});
    (into_l2 ? t_.l3_bytes_in : t_.l3_bytes_out) += copy_bytes(copy);
    t_.l3_busy_cycles += cycles;
    clock_.copied(copy, Track::Udma, start, end, step);
    return end;
  }

  // uDMA copies; the cluster waits for them when `blocking`.
  std::uint64_t l3(const google::protobuf::RepeatedPtrField<DmaCopy>& copies, bool blocking, bool into_l2,
                   std::size_t step) {
    std::uint64_t done = 0;
    for (const auto& copy : copies) done = std::max(done, l3_copy(copy, into_l2, step));
    if (blocking) wait(done, t_.l3_cycles);
    return done;
  }

  // Token ids -> rows: per id the controller's instructions (isa::pulp::row_gather_id_cycles)
  // and one uDMA copy; the cluster waits for the last row. Which rows are picked does not
  // change the cost, so row 0 stands for each.
  void gather_rows(const RowGather& gather, std::size_t step) {
    const std::uint64_t per_row = row_gather_id_cycles(hw_);
    std::uint64_t done = 0;
    for (std::uint32_t t = 0; t < gather.count(); ++t) {
      const std::uint64_t before = clock_.now();
      clock_.wait_until(before + per_row);
      t_.dma_issue_cycles += clock_.now() - before;
      done = std::max(done, l3_copy(row_copy(gather, t, 0), true, step));
    }
    wait(done, t_.l3_cycles);
  }

  // Before L2 -> L1 copies: the wait for this layer's prefetched weights they read.
  void wait_for_prefetched(const google::protobuf::RepeatedPtrField<DmaCopy>& copies) {
    for (const auto& copy : copies) {
      if (copy.source_memory() != MEMORY_L2 || copy_bytes(copy) == 0) continue;
      const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
      const std::uint64_t begin = copy.source();
      const std::uint64_t end = begin + (rows - 1) * copy.source_row_stride() +
                                (std::max<std::uint64_t>(copy.count(), 1) - 1) * copy.source_stride() +
                                copy.chunk_bytes();
      for (const PendingL2Write& w : pending_) {
        if (w.begin < end && begin < w.end) wait(w.done, t_.l3_cycles);
      }
    }
  }

  void wait(std::uint64_t until, std::uint64_t& account) {
    const std::uint64_t before = clock_.now();
    clock_.wait_until(until);
    account += clock_.now() - before;
  }

  std::uint64_t drained() const { return std::max(ch_.dma_in.last_completion(), ch_.dma_out.last_completion()); }

  // DORY's layer loop on the cores, one tile's own code (predictor.dory_tile_loop*).
  void tile_loop() {
    const std::uint64_t cycles = dory_tile_loop_cycles(kind_, hw_);
    clock_.wait_until(clock_.now() + cycles);
    t_.tile_loop_cycles += cycles;
    t_.compute_cycles += cycles;
  }

  void compute(const KernelCall& call, std::size_t step) {
    const KernelCycles& counts = kernel_cycles(hw_);
    const KernelCost cost = kernel_cost(call, hw_, hw_.cores);
    const std::uint64_t begin = clock_.now();
    clock_.compute(call, cost, step);
    // DMA traffic during the call took TCDM banks from the cores: they finish that much later.
    const std::uint64_t end = clock_.now();
    const std::uint64_t overlap = ch_.dma_in.busy_within(begin, end) + ch_.dma_out.busy_within(begin, end);
    clock_.wait_until(end + dma_contention_cycles(overlap, loads_per_cycle(cost), hw_));
    const std::uint64_t total = clock_.now() - begin;
    const std::uint64_t dispatch = static_cast<std::uint64_t>(counts.call_overhead + hw_.wakeup_cycles);
    const std::uint64_t barrier = static_cast<std::uint64_t>(hw_.barrier_cycles);
    const std::uint64_t slowest = cost.cycles - dispatch - barrier;  // its work and its bank conflicts
    std::uint64_t work = 0;
    for (const std::uint64_t cycles : cost.core_cycles) work += cycles;
    const auto cores = static_cast<std::uint64_t>(std::max(hw_.cores, 1));
    t_.compute_bound_cycles += (work + cores - 1) / cores;
    t_.compute_cycles += total;
    t_.dispatch_cycles += dispatch;
    t_.barrier_cycles += barrier;
    t_.core_cycles += slowest - cost.conflict_cycles;
    t_.conflict_cycles += total - cost.cycles + cost.conflict_cycles;
  }

  LayerTiming run(const Layer& layer) {
    t_.start = clock_.now();
    dory_loop_ = layer.tiling().dory_tile_loop();
    kind_ = layer.kind();
    // This layer's weights, loaded by the uDMA while the previous layer ran: the first copy
    // before anything starts (all of them when they are one copy, as DORY's), the others
    // before the first L2 -> L1 copy that reads them.
    pending_ = std::move(ch_.weight_prefetch_pending);
    ch_.weight_prefetch_pending.clear();
    if (!pending_.empty()) wait(pending_.front().done, t_.l3_cycles);
    transfers_ = std::move(ch_.weight_prefetch);
    ch_.weight_prefetch.clear();
    if (layer.l3_prefetch_size() > 0) {
      const std::size_t own = transfers_.size();
      for (const auto& copy : layer.l3_prefetch()) {
        const std::uint64_t done = l3_copy(copy, true, 0);
        ch_.weight_prefetch_pending.push_back({copy.destination(), copy.destination() + copy_bytes(copy), done});
      }
      ch_.weight_prefetch.assign(transfers_.begin() + static_cast<std::ptrdiff_t>(own), transfers_.end());
      transfers_.resize(own);
    }
    std::uint64_t previous_prefetch = 0;
    std::uint64_t chunk_prefetch_done = 0;     // the next chunk's weights, over the uDMA
    std::vector<std::uint64_t> written_upto;  // write-back completions, running maximum by step
    for (std::size_t i = 0; i < static_cast<std::size_t>(layer.steps_size()); ++i) {
      const Step& step = layer.steps(static_cast<int>(i));
      if (step.wait_l3_prefetch()) wait(chunk_prefetch_done, t_.l3_cycles);
      if (step.l3_load_size() > 0) {
        wait(drained(), t_.dma_wait_cycles);
        l3(step.l3_load(), true, true, i);
      }
      if (step.l3_prefetch_size() > 0) chunk_prefetch_done = l3(step.l3_prefetch(), false, true, i);
      wait_for_prefetched(step.load());
      const std::uint64_t loaded = issue(step.load(), true, i);
      wait_for_prefetched(step.prefetch());
      const std::uint64_t prefetched = issue(step.prefetch(), true, i);
      if (dory_loop_) tile_loop();
      std::uint64_t ready = std::max(loaded, previous_prefetch);
      if (i >= 2) ready = std::max(ready, written_upto[i - 2]);
      wait(ready, t_.dma_wait_cycles);
      if (step.has_compute()) compute(step.compute(), i);
      if (step.has_row_gather()) gather_rows(step.row_gather(), i);
      const std::uint64_t written = issue(step.write_back(), false, i);
      if (step.wait_write_back()) wait(written, t_.dma_wait_cycles);
      written_upto.push_back(std::max(written, written_upto.empty() ? 0 : written_upto.back()));
      if (step.l3_store_size() > 0) {
        wait(ch_.dma_out.last_completion(), t_.dma_wait_cycles);
        l3(step.l3_store(), true, false, i);
      }
      previous_prefetch = prefetched;
      ++t_.tiles;
    }
    // The layer ends when its last write-back has landed (and, in a program whose tiles read
    // only some of the prefetched weights, when the rest has).
    wait(drained(), t_.dma_wait_cycles);
    for (const PendingL2Write& w : pending_) wait(w.done, t_.l3_cycles);
    t_.end = clock_.now();
    add_channel_bounds();
    return t_;
  }

  // Each channel moves one transfer at a time, so its cycles within the span never exceed it.
  void add_channel_bounds() {
    for (const Transfer& transfer : transfers_) {
      const std::uint64_t lo = std::max(transfer.begin, t_.start), hi = std::min(transfer.end, t_.end);
      if (hi <= lo) continue;
      LayerTiming::ChannelShare& share = transfer.track == Track::DmaIn    ? t_.dma_in_bound
                                         : transfer.track == Track::DmaOut ? t_.dma_out_bound
                                                                           : t_.udma_bound;
      share.cycles += hi - lo;
      share.bytes += transfer.bytes * (hi - lo) / (transfer.end - transfer.begin);
    }
  }

 private:
  const PulpParams& hw_;
  Channels& ch_;
  Clock& clock_;
  bool dory_loop_ = false;
  KernelKind kind_ = KERNEL_CONV;
  LayerTiming t_;
  std::vector<Transfer> transfers_;  // this layer's, for its channel bounds
  std::vector<PendingL2Write> pending_;  // its weights the previous layer prefetched
};


}  // namespace

LayerTiming run_layer(const Layer& layer, const PulpParams& hw, Channels& channels, Clock& clock) {
  return LayerRun(hw, channels, clock).run(layer);
}

std::uint64_t CountingClock::now() const { return now_; }
void CountingClock::wait_until(std::uint64_t cycle) { now_ = std::max(now_, cycle); }
void CountingClock::compute(const KernelCall&, const KernelCost& cost, std::size_t) { now_ += cost.cycles; }
void CountingClock::copied(const DmaCopy&, Track, std::uint64_t, std::uint64_t, std::size_t) {}

std::uint64_t layer_cycles(const Layer& layer, const PulpParams& hw) {
  Channels channels;
  channels.reset(hw);
  CountingClock clock;
  const LayerTiming t = run_layer(layer, hw, channels, clock);
  return t.end - t.start;
}

}  // namespace wb::perf::pulp
