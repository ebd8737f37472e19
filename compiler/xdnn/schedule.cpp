#include "compiler/xdnn/schedule.h"

#include <algorithm>
#include <numeric>

namespace wb::xdnn {

namespace {

struct ChannelRange {
  int buffer;
  std::uint32_t begin, end;
};

ChannelRange range_of(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan, int tensor) {
  const int t = resolve_alias(mapping, tensor);
  const TensorHome& home = plan.homes.at(t);
  const std::uint32_t channels = image_dims(graph.tensor(t)).channels;
  return {home.buffer, home.channel_offset, home.channel_offset + channels};
}

bool overlaps(const ChannelRange& a, const ChannelRange& b) {
  return a.buffer == b.buffer && a.begin < b.end && b.begin < a.end;
}

// Enumerates the topological orders of one region depth first.
class RegionSearch {
 public:
  RegionSearch(const BufferPlan& plan, const std::vector<std::vector<int>>& deps, const std::vector<bool>& off_array,
               std::vector<int> prefix, std::vector<int> region, std::vector<int> suffix, std::size_t budget)
      : plan_(plan), deps_(deps), off_array_(off_array), prefix_(std::move(prefix)), region_(std::move(region)),
        suffix_(std::move(suffix)), budget_(budget), placed_(region_.size(), false), position_(deps_.size(), -1) {
    for (std::size_t i = 0; i < region_.size(); ++i) position_[static_cast<std::size_t>(region_[i])] = static_cast<int>(i);
  }

  void run() {
    best_ = region_;
    best_peak_ = evaluate(region_);
    best_lateness_ = lateness(region_);
    current_.clear();
    explore();
  }
  const std::vector<int>& best() const { return best_; }
  std::uint64_t explored() const { return explored_; }
  bool truncated() const { return explored_ >= budget_; }

 private:
  std::uint64_t evaluate(const std::vector<int>& region_order) const {
    std::vector<int> order = prefix_;
    order.insert(order.end(), region_order.begin(), region_order.end());
    order.insert(order.end(), suffix_.begin(), suffix_.end());
    return peak_footprint(plan_, order);
  }

  // Among orders of equal peak, the one that issues the pool/eltwise unit's layers
  // earliest: they then run beside the array instead of after it.
  std::uint64_t lateness(const std::vector<int>& region_order) const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < region_order.size(); ++i) {
      if (off_array_[static_cast<std::size_t>(region_order[i])]) sum += i;
    }
    return sum;
  }

  bool ready(std::size_t i) const {
    for (const int dep : deps_[static_cast<std::size_t>(region_[i])]) {
      const int j = position_[static_cast<std::size_t>(dep)];
      if (j >= 0 && !placed_[static_cast<std::size_t>(j)]) return false;
    }
    return true;
  }

  void explore() {
    if (explored_ >= budget_) return;
    if (current_.size() == region_.size()) {
      ++explored_;
      const std::uint64_t peak = evaluate(current_);
      const std::uint64_t late = lateness(current_);
      if (peak < best_peak_ || (peak == best_peak_ && late < best_lateness_)) {
        best_peak_ = peak;
        best_lateness_ = late;
        best_ = current_;
      }
      return;
    }
    for (std::size_t i = 0; i < region_.size(); ++i) {
      if (placed_[i] || !ready(i)) continue;
      placed_[i] = true;
      current_.push_back(region_[i]);
      explore();
      current_.pop_back();
      placed_[i] = false;
    }
  }

  const BufferPlan& plan_;
  const std::vector<std::vector<int>>& deps_;
  const std::vector<bool>& off_array_;
  std::vector<int> prefix_, region_, suffix_;
  std::size_t budget_;
  std::vector<bool> placed_;
  std::vector<int> position_;  // a layer's index in region_, or -1 outside it
  std::vector<int> current_, best_;
  std::uint64_t best_peak_ = 0;
  std::uint64_t best_lateness_ = 0;
  std::uint64_t explored_ = 0;
};

}  // namespace

std::vector<std::vector<int>> layer_dependencies(const LayerMapping& mapping, const BufferPlan& plan,
                                                 const quant::QGraph& graph) {
  const std::size_t n = mapping.layers.size();
  std::vector<ChannelRange> writes(n);
  for (std::size_t l = 0; l < n; ++l) writes[l] = range_of(graph, mapping, plan, mapping.layers[l].output);
  std::vector<std::vector<int>> deps(n);
  for (std::size_t j = 0; j < n; ++j) {
    for (const int t : mapping.layers[j].inputs) {
      const ChannelRange read = range_of(graph, mapping, plan, t);
      for (std::size_t i = 0; i < j; ++i) {
        if (overlaps(read, writes[i]) &&
            std::find(deps[j].begin(), deps[j].end(), static_cast<int>(i)) == deps[j].end()) {
          deps[j].push_back(static_cast<int>(i));
        }
      }
    }
  }
  return deps;
}

std::uint64_t peak_footprint(const BufferPlan& plan, const std::vector<int>& order) {
  const std::size_t steps = order.size();
  std::vector<int> position(steps, 0);
  for (std::size_t s = 0; s < steps; ++s) position[static_cast<std::size_t>(order[s])] = static_cast<int>(s);
  std::vector<std::int64_t> delta(steps + 1, 0);
  for (const Buffer& b : plan.buffers) {
    int first = static_cast<int>(steps);
    int last = -1;
    if (b.network_input) first = 0;
    for (const int w : b.writers) first = std::min(first, position[static_cast<std::size_t>(w)]);
    for (const int r : b.readers) last = std::max(last, position[static_cast<std::size_t>(r)]);
    for (const int w : b.writers) last = std::max(last, position[static_cast<std::size_t>(w)]);
    if (b.network_output) last = static_cast<int>(steps) - 1;
    if (first > last) continue;
    delta[static_cast<std::size_t>(first)] += static_cast<std::int64_t>(b.bytes);
    delta[static_cast<std::size_t>(last) + 1] -= static_cast<std::int64_t>(b.bytes);
  }
  std::int64_t live = 0;
  std::int64_t peak = 0;
  for (std::size_t s = 0; s < steps; ++s) {
    live += delta[s];
    peak = std::max(peak, live);
  }
  return static_cast<std::uint64_t>(peak);
}

Schedule schedule_layers(const quant::QGraph& graph, const LayerMapping& mapping, const BufferPlan& plan, bool search,
                         std::size_t budget) {
  Schedule schedule;
  const std::size_t n = mapping.layers.size();
  schedule.order.resize(n);
  std::iota(schedule.order.begin(), schedule.order.end(), 0);
  schedule.default_peak_bytes = peak_footprint(plan, schedule.order);
  if (!search || n == 0) {
    schedule.peak_bytes = schedule.default_peak_bytes;
    schedule.valid_schedules = 1;
    schedule.regions = 1;
    return schedule;
  }
  const auto deps = layer_dependencies(mapping, plan, graph);
  std::vector<bool> off_array(n, false);
  for (std::size_t l = 0; l < n; ++l) off_array[l] = mapping.layers[l].kind != XLayerKind::Conv;

  // Cuts: after step k, count buffers written at or before k and read after k.
  std::vector<int> last_reader(plan.buffers.size(), -1), first_writer(plan.buffers.size(), static_cast<int>(n));
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    for (const int r : plan.buffers[b].readers) last_reader[b] = std::max(last_reader[b], r);
    for (const int w : plan.buffers[b].writers) first_writer[b] = std::min(first_writer[b], w);
    if (plan.buffers[b].network_input) first_writer[b] = -1;
  }
  std::vector<std::pair<int, int>> regions;  // [begin, end)
  int begin = 0;
  for (int k = 0; k < static_cast<int>(n); ++k) {
    int open = 0;
    for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
      if (first_writer[b] <= k && last_reader[b] > k) ++open;
    }
    if (open <= 1 || k + 1 == static_cast<int>(n)) {
      regions.emplace_back(begin, k + 1);
      begin = k + 1;
    }
  }

  std::vector<int> order = schedule.order;
  for (const auto& [rb, re] : regions) {
    ++schedule.regions;
    if (re - rb < 2) {
      ++schedule.valid_schedules;
      continue;
    }
    std::vector<int> prefix(order.begin(), order.begin() + rb);
    std::vector<int> region(order.begin() + rb, order.begin() + re);
    std::vector<int> suffix(order.begin() + re, order.end());
    const std::size_t region_budget =
        std::max<std::size_t>(1, std::min<std::uint64_t>(budget, kScheduleWorkPerRegion / n));
    RegionSearch region_search(plan, deps, off_array, prefix, region, suffix, region_budget);
    region_search.run();
    schedule.valid_schedules += region_search.explored();
    if (region_search.truncated()) ++schedule.regions_truncated;
    std::copy(region_search.best().begin(), region_search.best().end(), order.begin() + rb);
  }
  schedule.order = order;
  schedule.peak_bytes = peak_footprint(plan, order);
  return schedule;
}

}  // namespace wb::xdnn
