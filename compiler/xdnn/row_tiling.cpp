#include "compiler/xdnn/row_tiling.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/xdnn/am_allocation.h"
#include "support/error.h"
#include "isa/hw_config.h"
#include "isa/xdnn_program.h"
#include "support/math.h"

namespace wb::xdnn {

namespace {

using quant::QNode;

// Input rows a window reads for output rows `out`, clipped to [0, in_height).
RowRange through_window(const QNode& node, RowRange out, std::uint32_t in_height) {
  const std::int64_t stride = node.strides[0], pad = node.pads_begin[0];
  const std::int64_t reach = (node.kernel[0] - 1) * node.dilations[0] + 1;
  // Over a zero-inserted input (a transposed conv), row r of it is input row r / s when s divides it.
  const std::int64_t step = node.kind == quant::QOpKind::Conv ? node.input_dilations[0] : 1;
  const std::int64_t lo = std::int64_t{out.begin} * stride - pad;
  const std::int64_t hi = (std::int64_t{out.end} - 1) * stride - pad + reach;
  const auto clip = [&](std::int64_t v) { return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, in_height)); };
  const auto ceil_div = [](std::int64_t a, std::int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  return {clip(ceil_div(lo, step)), clip(ceil_div(hi, step))};
}

std::uint32_t rows_of(const quant::QTensor& t) {
  return t.shape.size() == 4 ? static_cast<std::uint32_t>(t.shape[2]) : 1U;
}

class RowTiler {
 public:
  RowTiler(const quant::QGraph& graph, const LayerMapping& mapping, BufferPlan& plan, const Schedule& schedule,
           std::uint64_t am_bytes, const std::vector<std::string>& names)
      : graph_(graph), mapping_(mapping), plan_(plan), order_(schedule.order), am_bytes_(am_bytes), names_(names),
        ddr_(plan.buffers.size(), false), live_(live_intervals(plan, schedule.order)) {
    for (const int l : order_) {
      const XLayer& layer = mapping_.layers[static_cast<std::size_t>(l)];
      std::set<int> operands;
      for (const int t : layer.inputs) operands.insert(buffer_of(t));
      operands.insert(buffer_of(layer.output));
      operands_[l] = operands;
    }
  }

  void run() {
    if (!needs_tiling()) return;
    choose_ddr_resident();
    std::vector<int> tiled;
    for (const int l : order_) {
      if (touches_ddr(l) && !on_host(l)) tiled.push_back(l);
    }
    for (const int l : tiled) plan_stripes(l);
    for (std::size_t b = 0; b < ddr_.size(); ++b) {
      if (!ddr_[b]) continue;
      plan_.buffers[b].ddr_resident = true;
      plan_.buffers[b].bytes = 0;
      ++plan_.ddr_resident_buffers;
    }
  }

 private:
  int buffer_of(int tensor) const { return plan_.homes.at(resolve_alias(mapping_, tensor)).buffer; }
  const XLayer& layer_at(int l) const { return mapping_.layers[static_cast<std::size_t>(l)]; }
  std::uint64_t size_of(int b) const {
    return align_up<std::uint64_t>(plan_.buffers[static_cast<std::size_t>(b)].bytes, plan_.section_channels);
  }
  std::uint64_t size_with_rows(int b, std::uint32_t rows) const {
    Buffer stripe = plan_.buffers[static_cast<std::size_t>(b)];
    stripe.height = rows;
    return align_up<std::uint64_t>(isa::xdnn::buffer_bytes(buffer_layout(plan_, stripe)), plan_.section_channels);
  }
  bool touches_ddr(int l) const {
    return std::any_of(operands_.at(l).begin(), operands_.at(l).end(), [&](int b) { return ddr_[static_cast<std::size_t>(b)]; });
  }
  bool needs_tiling() const {
    return std::any_of(order_.begin(), order_.end(), [&](int l) { return fixed_bytes(l) > am_bytes_; });
  }

  // AM bytes of the layer's buffers that stay whole in AM.
  std::uint64_t fixed_bytes(int l) const {
    std::uint64_t sum = 0;
    for (const int b : operands_.at(l)) {
      if (!ddr_[static_cast<std::size_t>(b)]) sum += size_of(b);
    }
    return sum;
  }

  // Rows of DDR-resident buffer b the layer's stripes of `per_stripe` output rows hold at most.
  std::uint32_t stripe_rows(int l, int b, std::uint32_t per_stripe) const {
    const XLayer& layer = layer_at(l);
    const std::uint32_t height = output_rows(graph_, layer);
    if (b == buffer_of(layer.output)) return std::min(per_stripe, height);
    const std::uint32_t in_height = plan_.buffers[static_cast<std::size_t>(b)].height;
    std::uint32_t most = 0;
    for (std::uint32_t r = 0; r < height; r += per_stripe) {
      most = std::max(most, input_rows(graph_, layer, {r, std::min(height, r + per_stripe)}, in_height).size());
    }
    return most;
  }

  // A layer on the host reads and writes DDR: its DDR-resident operands take no AM.
  bool on_host(int l) const { return layer_at(l).on_host || layer_at(l).kind == XLayerKind::HostElementwise; }

  std::uint64_t stripe_bytes(int l, std::uint32_t per_stripe, std::uint32_t slots) const {
    if (on_host(l)) return 0;
    std::uint64_t sum = 0;
    for (const int b : operands_.at(l)) {
      if (ddr_[static_cast<std::size_t>(b)]) sum += slots * size_with_rows(b, stripe_rows(l, b, per_stripe));
    }
    return sum;
  }

  // A pool or an add takes every operand over the same rows: with an operand whole in AM it
  // runs as one stripe (its DDR-resident operands come up whole).
  bool one_stripe(int l) const {
    const XLayer& layer = layer_at(l);
    if (layer.kind == XLayerKind::Conv) return false;
    return std::any_of(operands_.at(l).begin(), operands_.at(l).end(), [&](int b) { return !ddr_[static_cast<std::size_t>(b)]; });
  }

  std::uint32_t shortest_stripe(int l) const { return one_stripe(l) ? output_rows(graph_, layer_at(l)) : 1; }

  std::uint64_t least_bytes(int l) const { return fixed_bytes(l) + stripe_bytes(l, shortest_stripe(l), 1); }

  bool eligible(int b) const {
    const Buffer& buffer = plan_.buffers[static_cast<std::size_t>(b)];
    if (buffer.streamed || buffer.height < 2) return false;
    std::vector<int> layers = buffer.readers;
    layers.insert(layers.end(), buffer.writers.begin(), buffer.writers.end());
    return std::all_of(layers.begin(), layers.end(), [&](int l) {
      const XLayer& layer = layer_at(l);
      return layer.kind == XLayerKind::Conv || layer.kind == XLayerKind::Pool || layer.kind == XLayerKind::Eltwise ||
             layer.kind == XLayerKind::HostElementwise;
    });
  }

  // Greedy: while a step does not fit even in its shortest stripes, its largest buffer that
  // may leave AM does.
  void choose_ddr_resident() {
    for (;;) {
      const auto over = std::find_if(order_.begin(), order_.end(), [&](int l) { return least_bytes(l) > am_bytes_; });
      if (over == order_.end()) return;
      int best = -1;
      for (const int b : operands_.at(*over)) {
        if (ddr_[static_cast<std::size_t>(b)] || !eligible(b)) continue;
        if (best < 0 || size_of(b) > size_of(best)) best = b;
      }
      if (best < 0) fail(*over);
      ddr_[static_cast<std::size_t>(best)] = true;
    }
  }

  [[noreturn]] void fail(int l) {
    // The smallest AM: every buffer that may leave AM does, one row at a time.
    std::vector<bool> chosen = ddr_;
    for (std::size_t b = 0; b < ddr_.size(); ++b) {
      if (eligible(static_cast<int>(b))) ddr_[b] = true;
    }
    std::uint64_t smallest = 0;
    for (const int x : order_) smallest = std::max(smallest, least_bytes(x));
    const std::uint64_t need = least_bytes(l);
    ddr_ = chosen;
    const std::string& name = names_[static_cast<std::size_t>(l)];
    if (smallest > static_cast<std::uint64_t>(kMaxAmBytes)) {
      throw UserError(fmt::format(
          "layer '{}' needs {} bytes of AM even in its shortest row stripes, more than any xDNN config can have (am_bytes "
          "is at most {} bytes); the layer cannot run on xDNN",
          name, need, kMaxAmBytes));
    }
    throw UserError(fmt::format(
        "layer '{}' needs {} bytes of AM even in its shortest row stripes (a buffer that cannot stay in DDR stays "
        "whole in AM), but AM has {} bytes; the smallest AM that compiles this network is {} bytes (--set am_bytes={})",
        name, need, am_bytes_, smallest, smallest));
  }

  // The tallest stripes that fit: beside the layer's whole buffers and, if possible, the
  // buffers live across its step (so they need not spill), two stripe buffers per operand
  // if possible.
  void plan_stripes(int l) {
    const std::size_t step = static_cast<std::size_t>(std::find(order_.begin(), order_.end(), l) - order_.begin());
    const std::uint32_t height = output_rows(graph_, layer_at(l));
    const std::uint64_t fixed = fixed_bytes(l);
    std::uint64_t across = 0;
    for (std::size_t b = 0; b < live_.size(); ++b) {
      if (ddr_[b] || operands_.at(l).count(static_cast<int>(b)) != 0) continue;
      if (live_[b].first <= static_cast<int>(step) && static_cast<int>(step) <= live_[b].last) {
        across += size_of(static_cast<int>(b));
      }
    }
    std::uint32_t rows = 0, slots = 0;
    const std::uint32_t shortest = shortest_stripe(l);
    for (const auto& [try_slots, reserve] :
         {std::pair<std::uint32_t, std::uint64_t>{2, across}, {1, across}, {2, 0}, {1, 0}}) {
      for (std::uint32_t r = height; r >= shortest && rows == 0; --r) {
        if (fixed + reserve + stripe_bytes(l, r, try_slots) <= am_bytes_) {
          rows = r;
          slots = try_slots;
        }
      }
      if (rows != 0) break;
    }
    if (rows == 0) throw std::logic_error("plan_row_tiling: the shortest stripe was checked to fit");
    LayerTiling tiling;
    tiling.stripes = (height + rows - 1) / rows;
    tiling.rows_per_stripe = (height + tiling.stripes - 1) / tiling.stripes;
    slots = std::min(slots, tiling.stripes);
    const int output = buffer_of(layer_at(l).output);
    for (const int b : operands_.at(l)) {
      if (!ddr_[static_cast<std::size_t>(b)]) continue;
      for (std::uint32_t k = 0; k < slots; ++k) {
        Buffer stripe = plan_.buffers[static_cast<std::size_t>(b)];
        stripe.name = fmt::format("{} (stripe {} of {})", stripe.name, k, names_[static_cast<std::size_t>(l)]);
        stripe.height = stripe_rows(l, b, tiling.rows_per_stripe);
        stripe.readers.clear();
        stripe.writers.clear();
        (b == output ? stripe.writers : stripe.readers).push_back(l);
        stripe.network_input = stripe.network_output = stripe.streamed = false;
        stripe.stripe_of = b;
        stripe.bytes = isa::xdnn::buffer_bytes(buffer_layout(plan_, stripe));
        plan_.buffers.push_back(std::move(stripe));
        tiling.slots[b].push_back(static_cast<int>(plan_.buffers.size()) - 1);
      }
    }
    plan_.tiling[l] = std::move(tiling);
  }

  const quant::QGraph& graph_;
  const LayerMapping& mapping_;
  BufferPlan& plan_;
  const std::vector<int>& order_;
  std::uint64_t am_bytes_;
  const std::vector<std::string>& names_;
  std::vector<bool> ddr_;               // chosen to be DDR-resident
  std::vector<Interval> live_;          // of the plan's own buffers
  std::map<int, std::set<int>> operands_;  // layer -> buffers it reads or writes
};

}  // namespace

RowRange input_rows(const quant::QGraph& graph, const XLayer& layer, RowRange out, std::uint32_t input_height) {
  switch (layer.kind) {
    case XLayerKind::Conv: {
      const QNode& conv = graph.nodes[static_cast<std::size_t>(layer.conv_node)];
      RowRange conv_rows = out;
      if (layer.pool_node >= 0) {
        const QNode& pool = graph.nodes[static_cast<std::size_t>(layer.pool_node)];
        conv_rows = through_window(pool, out, rows_of(graph.tensor(conv.output)));
      }
      return through_window(conv, conv_rows, input_height);
    }
    case XLayerKind::Pool:
      return through_window(graph.nodes[static_cast<std::size_t>(layer.pool_node)], out, input_height);
    default:
      return {std::min(out.begin, input_height), std::min(out.end, input_height)};
  }
}

std::uint32_t output_rows(const quant::QGraph& graph, const XLayer& layer) { return rows_of(graph.tensor(layer.output)); }

void plan_row_tiling(const quant::QGraph& graph, const LayerMapping& mapping, BufferPlan& plan,
                     const Schedule& schedule, std::uint64_t am_bytes, const std::vector<std::string>& layer_names) {
  RowTiler(graph, mapping, plan, schedule, am_bytes, layer_names).run();
}

}  // namespace wb::xdnn
