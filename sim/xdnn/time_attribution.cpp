#include "sim/xdnn/time_attribution.h"

#include <algorithm>
#include <map>
#include <utility>

namespace wb::sim::xdnn {

std::string_view time_cause_name(TimeCause cause) {
  switch (cause) {
    case TimeCause::Array: return "array";
    case TimeCause::PoolEltwise: return "pool_eltwise";
    case TimeCause::Host: return "host";
    case TimeCause::WeightsDdr: return "weights_ddr";
    case TimeCause::WeightsAm: return "weights_am";
    case TimeCause::ActivationDdr: return "activation_ddr";
    case TimeCause::Queued: return "queued";
    case TimeCause::DependencyWait: return "dependency_wait";
    case TimeCause::Issue: return "issue";
    case TimeCause::kCount: break;
  }
  return "?";
}

namespace {

struct Interval {
  std::uint64_t begin, end;
  TimeCause cause;
};

struct LayerIntervals {
  std::vector<Interval> intervals;
  bool anchored = false;  // `begin` is set by an instruction other than a weight load
  std::uint64_t begin = 0;
};

// The intervals of one instruction: issue, flag wait, queue, run (split into compute and a
// streamed input's DDR time).
void add_intervals(const InstrTiming& t, std::uint64_t issue_cycles, LayerIntervals& layer) {
  auto& out = layer.intervals;
  const std::uint64_t end = std::max(t.start, t.end);
  if (t.weight_load) {
    out.push_back({t.start, end, t.work});
    return;
  }
  const std::uint64_t ready = t.issue - std::min(t.stall, t.issue);
  const std::uint64_t reached = ready - std::min(issue_cycles, ready);
  out.push_back({reached, ready, TimeCause::Issue});
  out.push_back({ready, t.issue, TimeCause::DependencyWait});
  // The layer's first instruction other than a weight load starts its span.
  if (!layer.anchored) {
    layer.begin = t.queued_for_other ? t.start : t.waited_for_other ? t.issue : reached;
    layer.anchored = true;
  }
  out.push_back({t.issue, std::max(t.issue, t.start), TimeCause::Queued});
  if (t.work == TimeCause::WeightsDdr || t.work == TimeCause::ActivationDdr) {
    out.push_back({t.start, end, t.work});
  } else {
    const std::uint64_t computed = std::min(end, t.start + t.compute);
    out.push_back({t.start, computed, t.work});
    out.push_back({computed, end, TimeCause::ActivationDdr});
  }
}

// Sweeps the intervals clipped to the span; each elementary segment goes to the
// highest-priority cause active in it, a segment with none to Issue (the controller is at
// other layers' instructions).
LayerTime sweep(const LayerIntervals& layer) {
  LayerTime time;
  bool any = false;
  for (const Interval& i : layer.intervals) {
    if (i.end <= i.begin) continue;
    time.begin = any ? std::min(time.begin, i.begin) : i.begin;
    time.end = any ? std::max(time.end, i.end) : i.end;
    any = true;
  }
  if (!any) return time;
  if (layer.anchored) time.begin = std::min(std::max(time.begin, layer.begin), time.end);
  std::map<std::uint64_t, std::array<int, kTimeCauses>> changes;
  for (const Interval& i : layer.intervals) {
    const std::uint64_t begin = std::max(i.begin, time.begin);
    if (i.end <= begin) continue;
    ++changes[begin][static_cast<std::size_t>(i.cause)];
    --changes[i.end][static_cast<std::size_t>(i.cause)];
  }
  std::array<int, kTimeCauses> active{};
  std::uint64_t at = time.begin;
  for (const auto& [t, delta] : changes) {
    if (t > at) {
      std::size_t cause = static_cast<std::size_t>(TimeCause::Issue);
      for (std::size_t c = 0; c < kTimeCauses; ++c) {
        if (active[c] > 0) {
          cause = c;
          break;
        }
      }
      time.cycles[cause] += t - at;
      at = t;
    }
    for (std::size_t c = 0; c < kTimeCauses; ++c) active[c] += delta[c];
  }
  return time;
}

}  // namespace

std::vector<LayerTime> attribute_time(const std::vector<InstrTiming>& instrs, std::size_t layers,
                                      std::uint64_t issue_cycles) {
  std::vector<LayerIntervals> intervals(layers);
  for (const InstrTiming& t : instrs) {
    if (t.layer < layers) add_intervals(t, issue_cycles, intervals[t.layer]);
  }
  std::vector<LayerTime> result;
  result.reserve(layers);
  for (const auto& list : intervals) result.push_back(sweep(list));
  return result;
}

std::uint64_t overlapped_cycles(const std::vector<LayerTime>& layers) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  std::uint64_t total = 0;
  for (const LayerTime& l : layers) {
    if (l.end > l.begin) {
      spans.emplace_back(l.begin, l.end);
      total += l.span();
    }
  }
  std::sort(spans.begin(), spans.end());
  std::uint64_t covered = 0, reach = 0;
  for (const auto& [begin, end] : spans) {
    const std::uint64_t from = std::max(begin, reach);
    if (end > from) covered += end - from;
    reach = std::max(reach, end);
  }
  return total - covered;
}

}  // namespace wb::sim::xdnn
