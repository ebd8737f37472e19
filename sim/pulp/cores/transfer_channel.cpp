#include "sim/pulp/cores/transfer_channel.h"

#include <algorithm>

#include "support/math.h"

namespace wb::sim::pulp {

void TransferChannel::reset(int outstanding, std::uint64_t latency) {
  outstanding_ = std::max(outstanding, 1);
  latency_ = latency;
  free_at_ = drained_ = 0;
  in_flight_.clear();
  moving_.clear();
  bursts_.clear();
}

std::uint64_t TransferChannel::start_of(std::uint64_t now) const {
  std::uint64_t start = std::max(now, free_at_);
  // Completions in flight at `start`: a full window waits for the oldest of them.
  const auto first = std::upper_bound(in_flight_.begin(), in_flight_.end(), start);
  const auto still = in_flight_.end() - first;
  if (still >= outstanding_) start = *(first + (still - outstanding_));
  return start;
}

TransferChannel::Slot TransferChannel::issue(std::uint64_t now, std::uint64_t moving_cycles) {
  Slot slot;
  slot.start = start_of(now);
  while (!in_flight_.empty() && in_flight_.front() <= slot.start) in_flight_.pop_front();
  slot.moved = slot.start + moving_cycles;
  slot.done = slot.moved + latency_;
  free_at_ = slot.moved;
  in_flight_.insert(std::upper_bound(in_flight_.begin(), in_flight_.end(), slot.done), slot.done);
  drained_ = std::max(drained_, slot.done);
  if (moving_cycles > 0) moving_.emplace_back(slot.start, slot.moved);
  while (moving_.size() > 64) moving_.pop_front();
  return slot;
}

std::uint64_t TransferChannel::moving_within(std::uint64_t begin, std::uint64_t end) const {
  std::uint64_t total = 0;
  for (const auto& [b, e] : moving_) {
    const std::uint64_t lo = std::max(b, begin), hi = std::min(e, end);
    if (hi > lo) total += hi - lo;
  }
  return total;
}

void TransferChannel::log_l1_bursts(const isa::pulp::DmaCopy& copy, bool into_l1, std::uint64_t burst_bytes,
                                    const Slot& slot) {
  const std::uint64_t rows = std::max<std::uint64_t>(copy.rows(), 1);
  const std::uint64_t base = into_l1 ? copy.destination() : copy.source();
  const std::uint64_t row_stride = into_l1 ? copy.destination_row_stride() : copy.source_row_stride();
  const std::uint64_t stride = into_l1 ? copy.destination_stride() : copy.source_stride();
  const std::uint64_t chunk = copy.chunk_bytes();
  const std::uint64_t step = std::max<std::uint64_t>(burst_bytes, 1);
  std::vector<LoggedBurst> bursts;
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (std::uint64_t i = 0; i < copy.count(); ++i) {
      const std::uint64_t run = base + r * row_stride + i * stride;
      for (std::uint64_t b = 0; b < chunk; b += step) {
        bursts.push_back({0, static_cast<std::uint32_t>(run + b), static_cast<std::uint32_t>(std::min(step, chunk - b))});
      }
    }
  }
  if (bursts.empty()) return;
  // Evenly over the moving cycles: the memory target decided how long the whole copy takes.
  const std::uint64_t span = slot.moved - slot.start;
  for (std::size_t k = 0; k < bursts.size(); ++k) {
    bursts[k].cycle = slot.start + span * k / bursts.size();
  }
  // Copies on one channel move one after another, so the log stays in cycle order.
  bursts_.insert(bursts_.end(), bursts.begin(), bursts.end());
}

DmaL1Traffic TransferChannel::l1_traffic(std::uint64_t from, std::uint64_t horizon, int bytes_per_cycle) {
  DmaL1Traffic traffic;
  traffic.bytes_per_cycle = bytes_per_cycle;
  const std::uint64_t per_cycle = static_cast<std::uint64_t>(std::max(bytes_per_cycle, 1));
  // A burst that began before `from` and is still moving counts with the bytes it has left.
  while (!bursts_.empty() && bursts_.front().cycle + ceil_div<std::uint64_t>(bursts_.front().bytes, per_cycle) <= from) {
    bursts_.pop_front();
  }
  for (const LoggedBurst& b : bursts_) {
    if (b.cycle >= from + horizon) break;
    if (b.cycle >= from) {
      traffic.bursts.push_back({b.cycle - from, b.l1_address, b.bytes});
    } else {
      const std::uint64_t done = (from - b.cycle) * per_cycle;
      if (done < b.bytes) {
        traffic.bursts.push_back({0, static_cast<std::uint32_t>(b.l1_address + done), static_cast<std::uint32_t>(b.bytes - done)});
      }
    }
  }
  return traffic;
}

}  // namespace wb::sim::pulp
