#include "compiler/xdnn/weight_staging.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <limits>
#include <optional>

#include "isa/xdnn_program.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

struct Occupied {
  Interval steps;
  std::uint64_t begin = 0, end = 0;  // AM bytes [begin, end)
};

// The lowest address with `bytes` free over steps [first, last], or nothing.
std::optional<std::uint64_t> lowest_free(const std::vector<Occupied>& occupied, int first, int last,
                                         std::uint64_t bytes, std::uint64_t am_bytes) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> busy;
  for (const Occupied& o : occupied) {
    if (o.steps.first <= last && first <= o.steps.last) busy.emplace_back(o.begin, o.end);
  }
  std::sort(busy.begin(), busy.end());
  std::uint64_t cursor = 0;
  for (const auto& [lo, hi] : busy) {
    if (lo >= cursor && lo - cursor >= bytes) return cursor;
    cursor = std::max(cursor, hi);
  }
  if (cursor <= am_bytes && am_bytes - cursor >= bytes) return cursor;
  return std::nullopt;
}

// `wanted` of the indices [0, n), in bit-reversed order: every prefix spreads evenly over [0, n).
std::vector<std::uint64_t> spread_order(std::uint64_t n, std::uint64_t wanted) {
  std::uint64_t bits = 0;
  while ((std::uint64_t{1} << bits) < n) ++bits;
  std::vector<std::uint64_t> order;
  for (std::uint64_t i = 0; i < (std::uint64_t{1} << bits) && order.size() < wanted; ++i) {
    std::uint64_t reversed = 0;
    for (std::uint64_t b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    if (reversed < n) order.push_back(reversed);
  }
  return order;
}

}  // namespace

StagingRates staging_rates(const HwConfig& config) {
  const XdnnParams& hw = config.xdnn();
  StagingRates rates;
  rates.ddr_bytes_per_cycle = isa::xdnn::ddr_bytes_per_cycle(config);
  rates.am_bytes_per_cycle = static_cast<double>(hw.array.rows);
  rates.peak_macs_per_cycle = static_cast<double>(hw.array.rows) * hw.array.cols * hw.array.macs_per_dsp_int8;
  return rates;
}

std::vector<StagedBlock> plan_weight_staging(const BufferPlan& plan, const Schedule& schedule,
                                             const Allocation& allocation,
                                             const std::vector<StagingCandidate>& candidates,
                                             const StagingRates& rates, std::uint64_t am_bytes) {
  if (allocation.strategy == "spill" || rates.am_bytes_per_cycle <= rates.ddr_bytes_per_cycle) return {};
  const double bound_bytes_per_mac = rates.bound_bytes_per_mac();
  const std::uint64_t alignment = std::max<std::uint64_t>(plan.section_channels, 1);
  std::vector<int> step_of(schedule.order.size(), -1);
  for (std::size_t s = 0; s < schedule.order.size(); ++s) {
    step_of[static_cast<std::size_t>(schedule.order[s])] = static_cast<int>(s);
  }

  // Every buffer at its one address over its live interval.
  const std::vector<Interval> live = live_intervals(plan, schedule.order);
  std::vector<Occupied> occupied;
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    if (live[b].first > live[b].last || plan.buffers[b].bytes == 0) continue;
    const auto& at = allocation.steps[static_cast<std::size_t>(live[b].first)].address;
    const auto found = at.find(static_cast<int>(b));
    if (found == at.end()) continue;
    occupied.push_back({live[b], found->second, found->second + align_up<std::uint64_t>(plan.buffers[b].bytes, alignment)});
  }

  const auto total_bytes = [](const StagingCandidate& c) {
    std::uint64_t bytes = 0;
    for (const std::uint64_t b : c.block_bytes) bytes += b;
    return bytes;
  };
  const auto intensity = [&](const StagingCandidate& c) {
    return static_cast<double>(total_bytes(c)) / static_cast<double>(c.macs);
  };
  std::vector<const StagingCandidate*> bound;
  int first_bound_step = static_cast<int>(schedule.order.size());
  for (const StagingCandidate& c : candidates) {
    if (c.macs == 0 || c.block_bytes.empty() || intensity(c) <= bound_bytes_per_mac) continue;
    bound.push_back(&c);
    first_bound_step = std::min(first_bound_step, step_of[static_cast<std::size_t>(c.layer)]);
  }
  std::stable_sort(bound.begin(), bound.end(), [&](const StagingCandidate* a, const StagingCandidate* b) {
    if (intensity(*a) != intensity(*b)) return intensity(*a) > intensity(*b);
    return step_of[static_cast<std::size_t>(a->layer)] < step_of[static_cast<std::size_t>(b->layer)];
  });
  // The DDR time the layers before the first weight-bound one leave idle, in bytes: a layer
  // computing M MACs at the peak while its own W weight bytes load leaves M x B - W. Uploads
  // beyond it would still be running when the weight-bound layers need the channel.
  double upload_budget = 0;
  for (const StagingCandidate& c : candidates) {
    if (step_of[static_cast<std::size_t>(c.layer)] >= first_bound_step) continue;
    upload_budget += std::max(0.0, static_cast<double>(c.macs) * bound_bytes_per_mac - static_cast<double>(total_bytes(c)));
  }
  double uploaded = 0;

  // Each layer's blocks to stage, in an order whose every prefix is spread evenly over the
  // layer (bit-reversed indices).
  std::vector<std::vector<std::uint64_t>> wanted_blocks;
  for (const StagingCandidate* c : bound) {
    const auto n = static_cast<std::uint64_t>(c->block_bytes.size());
    const std::uint64_t total = total_bytes(*c);
    const double excess = (static_cast<double>(total) - static_cast<double>(c->macs) * bound_bytes_per_mac) /
                          (1.0 - rates.ddr_bytes_per_cycle / rates.am_bytes_per_cycle);
    const auto wanted = std::min<std::uint64_t>(
        n, static_cast<std::uint64_t>(std::ceil(excess * static_cast<double>(n) / static_cast<double>(total))));
    wanted_blocks.push_back(spread_order(n, wanted));
  }

  // Round by round, one block of each layer that wants more, in the layers' order: when AM runs
  // out, every weight-bound layer has had its share (the peak-rate estimate of a layer's need
  // is high, so filling the first layers' needs first would leave later ones nothing).
  std::vector<StagedBlock> staged;
  for (std::size_t round = 0;; ++round) {
    bool any = false;
    for (std::size_t k = 0; k < bound.size(); ++k) {
      if (round >= wanted_blocks[k].size()) continue;
      any = true;
      const StagingCandidate& c = *bound[k];
      const auto block = static_cast<std::size_t>(wanted_blocks[k][round]);
      const int use = step_of[static_cast<std::size_t>(c.layer)];
      const std::uint64_t bytes = align_up<std::uint64_t>(c.block_bytes[block], alignment);
      if (uploaded + static_cast<double>(c.block_bytes[block]) > upload_budget) continue;
      // The earliest upload step whose region stays free up to the use. The free space over a
      // longer span is a subset of a shorter one's, so the scan stops at the first miss.
      std::optional<StagedBlock> best;
      for (int upload = std::min(use, first_bound_step) - 1; upload >= 0; --upload) {
        const auto address = lowest_free(occupied, std::max(upload - 1, 0), use, bytes, am_bytes);
        if (!address) break;
        best = StagedBlock{c.layer, static_cast<int>(block), upload, use, *address, c.block_bytes[block]};
      }
      if (!best) continue;
      occupied.push_back({{std::max(best->upload_step - 1, 0), use}, best->am_address, best->am_address + bytes});
      uploaded += static_cast<double>(best->bytes);
      staged.push_back(*best);
    }
    if (!any) break;
  }
  std::sort(staged.begin(), staged.end(), [](const StagedBlock& a, const StagedBlock& b) {
    return std::tie(a.upload_step, a.use_step, a.layer, a.block) < std::tie(b.upload_step, b.use_step, b.layer, b.block);
  });
  return staged;
}

}  // namespace wb::xdnn
