#include "compiler/xdnn/am_allocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>

#include "support/error.h"
#include "isa/hw_config.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Buffers each step touches (reads or writes).
std::vector<std::vector<int>> touched_by_step(const BufferPlan& plan, const std::vector<int>& order) {
  std::vector<int> position(order.size());
  for (std::size_t s = 0; s < order.size(); ++s) position[static_cast<std::size_t>(order[s])] = static_cast<int>(s);
  std::vector<std::vector<int>> touched(order.size());
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    if (plan.buffers[b].ddr_resident) continue;  // never in AM
    std::set<int> steps;
    for (const int w : plan.buffers[b].writers) steps.insert(position[static_cast<std::size_t>(w)]);
    for (const int r : plan.buffers[b].readers) steps.insert(position[static_cast<std::size_t>(r)]);
    for (const int s : steps) touched[static_cast<std::size_t>(s)].push_back(static_cast<int>(b));
  }
  return touched;
}

struct Placed {
  std::uint64_t address, bytes;
  Interval live;
};

bool overlap_in_time(const Interval& a, const Interval& b) { return a.first <= b.last && b.first <= a.last; }

// Offline placement with one strategy; returns addresses (kNever where it did not fit).
std::vector<std::uint64_t> place_offline(const BufferPlan& plan, const std::vector<Interval>& live,
                                         std::uint64_t am_bytes, AllocatorChoice strategy, std::uint64_t alignment) {
  std::vector<int> items;
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    if (live[b].first <= live[b].last) items.push_back(static_cast<int>(b));
  }
  std::stable_sort(items.begin(), items.end(), [&](int a, int b) {
    if (strategy == AllocatorChoice::BySize) return plan.buffers[static_cast<std::size_t>(a)].bytes > plan.buffers[static_cast<std::size_t>(b)].bytes;
    return live[static_cast<std::size_t>(a)].first < live[static_cast<std::size_t>(b)].first;
  });
  std::vector<std::uint64_t> address(plan.buffers.size(), kNever);
  std::vector<Placed> placed;
  for (const int b : items) {
    const std::uint64_t size = align_up<std::uint64_t>(plan.buffers[static_cast<std::size_t>(b)].bytes, alignment);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> busy;  // [begin, end) overlapping in time
    for (const Placed& p : placed) {
      if (overlap_in_time(p.live, live[static_cast<std::size_t>(b)])) busy.emplace_back(p.address, p.address + p.bytes);
    }
    std::sort(busy.begin(), busy.end());
    // Free gaps between the busy ranges.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
    std::uint64_t cursor = 0;
    for (const auto& [lo, hi] : busy) {
      if (lo > cursor) gaps.emplace_back(cursor, lo);
      cursor = std::max(cursor, hi);
    }
    if (cursor < am_bytes) gaps.emplace_back(cursor, am_bytes);
    std::uint64_t chosen = kNever;
    std::uint64_t best_gap = kNever;
    for (const auto& [lo, hi] : gaps) {
      if (hi - lo < size) continue;
      if (strategy == AllocatorChoice::Bottom) {
        chosen = hi - size;  // the highest fitting gap wins: keep the last one
      } else if (strategy == AllocatorChoice::BestFit) {
        if (hi - lo < best_gap) {
          best_gap = hi - lo;
          chosen = lo;
        }
      } else if (chosen == kNever) {
        chosen = lo;
      }
    }
    if (chosen == kNever) continue;
    chosen = chosen / alignment * alignment;
    address[static_cast<std::size_t>(b)] = chosen;
    placed.push_back({chosen, size, live[static_cast<std::size_t>(b)]});
  }
  return address;
}

}  // namespace

std::vector<Interval> live_intervals(const BufferPlan& plan, const std::vector<int>& order) {
  std::vector<int> position(order.size());
  for (std::size_t s = 0; s < order.size(); ++s) position[static_cast<std::size_t>(order[s])] = static_cast<int>(s);
  std::vector<Interval> live(plan.buffers.size());
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer& buffer = plan.buffers[b];
    int first = std::numeric_limits<int>::max();
    int last = -1;
    if (buffer.ddr_resident) {
      live[b] = {first, last};
      continue;
    }
    for (const int w : buffer.writers) first = std::min(first, position[static_cast<std::size_t>(w)]);
    for (const int r : buffer.readers) {
      first = std::min(first, position[static_cast<std::size_t>(r)]);
      last = std::max(last, position[static_cast<std::size_t>(r)]);
    }
    for (const int w : buffer.writers) last = std::max(last, position[static_cast<std::size_t>(w)]);
    live[b] = {first, last};
  }
  return live;
}

namespace {

// Every step must at least hold the buffers it touches; else one error naming the layer and the
// AM that would compile the network.
void check_every_step_fits(const BufferPlan& plan, const std::vector<int>& order,
                           const std::vector<std::vector<int>>& touched, std::uint64_t am_bytes, std::uint64_t alignment,
                           const std::vector<std::string>& layer_names) {
  const std::size_t steps = order.size();
  std::uint64_t smallest_am = 0;
  int worst_step = 0;
  for (std::size_t s = 0; s < steps; ++s) {
    std::uint64_t need = 0;
    for (const int b : touched[s]) need += align_up<std::uint64_t>(plan.buffers[static_cast<std::size_t>(b)].bytes, alignment);
    if (need > smallest_am) {
      smallest_am = need;
      worst_step = static_cast<int>(s);
    }
  }
  if (smallest_am > am_bytes && smallest_am > static_cast<std::uint64_t>(kMaxAmBytes)) {
    throw UserError(fmt::format(
        "layer '{}' needs {} bytes of AM for its input and output buffers, more than any xDNN config can have "
        "(am_bytes is at most {} bytes); the layer cannot run on xDNN",
        layer_names[static_cast<std::size_t>(order[static_cast<std::size_t>(worst_step)])], smallest_am,
        kMaxAmBytes));
  }
  if (smallest_am > am_bytes) {
    throw UserError(fmt::format(
        "layer '{}' needs {} bytes of AM for its input and output buffers, but AM has {} bytes; the smallest AM "
        "that compiles this network is {} bytes (--set am_bytes={})",
        layer_names[static_cast<std::size_t>(order[static_cast<std::size_t>(worst_step)])], smallest_am, am_bytes,
        smallest_am, smallest_am));
  }

}

// The offline strategies (every buffer one address for its whole life): the one of the least
// extent that fits, its addresses and the network's uploads and downloads in `allocation`;
// false when none fits.
bool place_offline_best(const BufferPlan& plan, const std::vector<Interval>& live,
                        const std::vector<std::vector<int>>& touched, std::uint64_t am_bytes, AllocatorChoice choice,
                        std::uint64_t alignment, Allocation& allocation) {
  const std::size_t steps = touched.size();
  const std::vector<AllocatorChoice> strategies =
      choice == AllocatorChoice::Auto
          ? std::vector<AllocatorChoice>{AllocatorChoice::Top, AllocatorChoice::Bottom, AllocatorChoice::BySize,
                                         AllocatorChoice::BestFit}
          : std::vector<AllocatorChoice>{choice};
  std::vector<std::uint64_t> best_address;
  std::uint64_t best_extent = kNever;
  for (const AllocatorChoice strategy : strategies) {
    const auto address = place_offline(plan, live, am_bytes, strategy, alignment);
    bool fits = true;
    std::uint64_t extent = 0;
    for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
      if (live[b].first > live[b].last) continue;
      if (address[b] == kNever) {
        fits = false;
        break;
      }
      extent = std::max(extent, address[b] + plan.buffers[b].bytes);
    }
    allocation.strategy_extents[allocator_name(strategy)] = fits ? extent : 0;
    if (fits && extent < best_extent) {
      best_extent = extent;
      best_address = address;
      allocation.strategy = allocator_name(strategy);
    }
  }
  if (!best_address.empty()) {
    allocation.extent_bytes = best_extent;
    for (std::size_t s = 0; s < steps; ++s) {
      for (const int b : touched[s]) {
        allocation.steps[s].address[b] = best_address[static_cast<std::size_t>(b)];
      }
    }
    for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
      if (live[b].first > live[b].last) continue;
      const Buffer& buffer = plan.buffers[b];
      if (buffer.network_input && !buffer.streamed) {
        allocation.steps[static_cast<std::size_t>(live[b].first)].before.push_back(
            {Transfer::Kind::Upload, static_cast<int>(b), best_address[b], false});
      }
      if (buffer.network_output) {
        allocation.steps[static_cast<std::size_t>(live[b].last)].after.push_back(
            {Transfer::Kind::Download, static_cast<int>(b), best_address[b], false});
      }
    }
    return true;
  }
  return false;

}

// Online allocation with spills (Belady: evict the furthest next use), step by step.
void allocate_with_spills(const BufferPlan& plan, const std::vector<int>& order,
                          const std::vector<Interval>& live, const std::vector<std::vector<int>>& touched,
                          std::uint64_t am_bytes, std::uint64_t alignment, Allocation& allocation) {
  const std::size_t steps = order.size();
  allocation.strategy = "spill";
  std::vector<std::vector<int>> uses(plan.buffers.size());  // steps touching each buffer
  for (std::size_t s = 0; s < steps; ++s) {
    for (const int b : touched[s]) uses[static_cast<std::size_t>(b)].push_back(static_cast<int>(s));
  }
  const auto next_use = [&](int b, int after_step) -> std::uint64_t {
    for (const int s : uses[static_cast<std::size_t>(b)]) {
      if (s > after_step) return static_cast<std::uint64_t>(s);
    }
    return kNever;
  };
  std::map<int, std::uint64_t> resident;   // buffer -> address
  std::vector<bool> has_data(plan.buffers.size(), false);   // written (or an input) at some point
  std::vector<bool> in_ddr(plan.buffers.size(), false);     // DDR holds the current data
  std::set<int> spilled;
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    if (plan.buffers[b].network_input) has_data[b] = in_ddr[b] = true;
  }
  const auto size_of = [&](int b) { return align_up<std::uint64_t>(plan.buffers[static_cast<std::size_t>(b)].bytes, alignment); };
  const auto find_gap = [&](std::uint64_t size) -> std::uint64_t {
    std::uint64_t cursor = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> busy;
    for (const auto& [b, a] : resident) busy.emplace_back(a, a + size_of(b));
    std::sort(busy.begin(), busy.end());
    for (const auto& [lo, hi] : busy) {
      if (lo >= cursor + size) return cursor;
      cursor = std::max(cursor, hi);
    }
    return cursor + size <= am_bytes ? cursor : kNever;
  };
  // Evicts resident buffer `victim` before step s, downloading it when its data is needed
  // (later, or at this very step when it only moves).
  const auto evict = [&](AllocationStep& step, int victim, std::size_t s, bool needed_now) {
    const auto vb = static_cast<std::size_t>(victim);
    const bool still_needed =
        needed_now || next_use(victim, static_cast<int>(s)) != kNever || plan.buffers[vb].network_output;
    if (still_needed && has_data[vb] && !in_ddr[vb]) {
      step.before.push_back({Transfer::Kind::Download, victim, resident[victim], true});
      allocation.spill_download_bytes += plan.buffers[vb].bytes;
      in_ddr[vb] = true;
      spilled.insert(victim);
    }
    resident.erase(victim);
  };
  // Places the step's buffers in `order`, evicting (Belady) what is not needed now; false
  // when what the step needs is resident but scattered so that no gap is left.
  const auto place_step = [&](AllocationStep& step, std::size_t s, const std::vector<int>& placing,
                              const std::set<int>& needed) {
    for (const int b : placing) {
      if (resident.count(b) != 0) continue;
      std::uint64_t address = find_gap(size_of(b));
      while (address == kNever) {
        int victim = -1;
        std::uint64_t furthest = 0;
        for (const auto& [r, a] : resident) {
          if (needed.count(r) != 0) continue;
          const std::uint64_t nu = next_use(r, static_cast<int>(s));
          if (victim < 0 || nu > furthest) {
            victim = r;
            furthest = nu;
          }
        }
        if (victim < 0) return false;
        evict(step, victim, s, false);
        address = find_gap(size_of(b));
      }
      resident[b] = address;
      if (has_data[static_cast<std::size_t>(b)] && !plan.buffers[static_cast<std::size_t>(b)].streamed) {
        const bool input_load = plan.buffers[static_cast<std::size_t>(b)].network_input && !spilled.count(b);
        step.before.push_back({Transfer::Kind::Upload, b, address, !input_load});
        if (!input_load) allocation.spill_upload_bytes += plan.buffers[static_cast<std::size_t>(b)].bytes;
      }
    }
    return true;
  };
  for (std::size_t s = 0; s < steps; ++s) {
    AllocationStep& step = allocation.steps[s];
    const std::set<int> needed(touched[s].begin(), touched[s].end());
    const auto saved_resident = resident;
    const auto saved_has_data = has_data;
    const auto saved_in_ddr = in_ddr;
    const auto saved_spilled = spilled;
    const std::uint64_t saved_down = allocation.spill_download_bytes, saved_up = allocation.spill_upload_bytes;
    // Fragmented: undo, then move the step's resident buffers out of the way too and place
    // them largest first; failing that, empty AM first (they fit: the step was checked to).
    std::vector<int> largest_first = touched[s];
    std::stable_sort(largest_first.begin(), largest_first.end(), [&](int a, int b) { return size_of(a) > size_of(b); });
    for (int attempt = 0; !place_step(step, s, attempt == 0 ? touched[s] : largest_first, needed); ++attempt) {
      if (attempt == 2) {
        throw std::logic_error("allocate_am: the step's buffers do not fit an empty AM although they were checked to");
      }
      resident = saved_resident;
      has_data = saved_has_data;
      in_ddr = saved_in_ddr;
      spilled = saved_spilled;
      allocation.spill_download_bytes = saved_down;
      allocation.spill_upload_bytes = saved_up;
      step.before.clear();
      std::vector<int> moving;
      for (const auto& [r, a] : resident) {
        if (attempt == 1 || needed.count(r) != 0) moving.push_back(r);
      }
      for (const int r : moving) evict(step, r, s, needed.count(r) != 0);
    }
    for (const int b : touched[s]) {
      step.address[b] = resident[b];
      allocation.extent_bytes = std::max(allocation.extent_bytes, resident[b] + size_of(b));
    }
    // The layer writes its output: the DDR copy (if any) is stale now.
    for (const int b : touched[s]) {
      const Buffer& buffer = plan.buffers[static_cast<std::size_t>(b)];
      const auto layer = order[s];
      if (std::find(buffer.writers.begin(), buffer.writers.end(), layer) != buffer.writers.end()) {
        has_data[static_cast<std::size_t>(b)] = true;
        in_ddr[static_cast<std::size_t>(b)] = false;
      }
    }
    // Network outputs go to DDR once complete; dead buffers leave AM.
    for (const int b : touched[s]) {
      const auto bi = static_cast<std::size_t>(b);
      if (live[bi].last == static_cast<int>(s)) {
        if (plan.buffers[bi].network_output && !in_ddr[bi]) {
          step.after.push_back({Transfer::Kind::Download, b, resident[b], false});
          in_ddr[bi] = true;
        }
        resident.erase(b);
      }
    }
  }
  allocation.spilled_buffers = static_cast<int>(spilled.size());
}

}  // namespace

Allocation allocate_am(const BufferPlan& plan, const Schedule& schedule, std::uint64_t am_bytes,
                       AllocatorChoice choice, const std::vector<std::string>& layer_names) {
  const std::vector<int>& order = schedule.order;
  const std::uint64_t alignment = plan.section_channels;
  const auto live = live_intervals(plan, order);
  const auto touched = touched_by_step(plan, order);
  Allocation allocation;
  allocation.steps.resize(order.size());
  check_every_step_fits(plan, order, touched, am_bytes, alignment, layer_names);
  if (place_offline_best(plan, live, touched, am_bytes, choice, alignment, allocation)) return allocation;
  allocate_with_spills(plan, order, live, touched, am_bytes, alignment, allocation);
  return allocation;
}

}  // namespace wb::xdnn
