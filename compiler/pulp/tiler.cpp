#include "compiler/pulp/tiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "compiler/pulp/tile_copies.h"
#include "isa/error.h"
#include "isa/pulp_cost.h"

namespace wb::pulp {

namespace {

using isa::pulp::KernelKind;
using isa::pulp::Parallel;

constexpr std::uint64_t kDorySlackBytes = 40;  // DORY adds 40 bytes to every L1 tiling

std::uint32_t ceil_div(std::uint32_t a, std::uint32_t b) { return (a + b - 1) / b; }

bool is_matmul(KernelKind kind) {
  return kind == isa::pulp::KERNEL_CONV || kind == isa::pulp::KERNEL_POINTWISE || kind == isa::pulp::KERNEL_LINEAR;
}


// Channels of the input a tile of `c_out` output channels reads.
std::uint32_t tile_c_in(const LayerShape& s, std::uint32_t c_out) { return is_matmul(s.kind) ? s.c_in : c_out; }

// DORY's objective for standard convolutions (g == 1) and for depthwise / pools (g > 1).
std::int64_t dory_score(const LayerShape& s, const TileChoice& t) {
  const std::int64_t n = t.c_out, h = t.h_out, w = t.w_out;
  const std::int64_t c_total = s.c_out, h_total = s.h_out, w_total = s.w_out;
  std::int64_t score = static_cast<std::int64_t>(t.total_bytes);
  if (is_matmul(s.kind)) {
    score += 2000000 * ((h - 1) % 8) + 3000000 * ((w - 1) % 2) + 1000000 * ((n - 1) % 4) + 1000000 * (w * h >= 16);
    score += 100000 * n;
    score += 10000 * ((c_total - 1) % n) + 10000 * (((c_total - 1) % n) % 4) + 20000 * (((h_total - 1) % h) % 8) +
             30000 * (((w_total - 1) % w) % 2);
  } else {
    score += 10000 * (n > 7) + 20000 * ((n - 1) % 16) + 10000 * ((h % 4) == 0);
    score += 1000 * w + 1000 * h + 100 * ((h_total - 1) % h) + 100 * ((w_total - 1) % w);
    score += 100 * (((c_total - 1) % n) > 7);
  }
  return score;
}

void set_tile_counts(const LayerShape& s, TileChoice& t) {
  t.tiles_c = ceil_div(s.c_out, t.c_out);
  t.tiles_h = ceil_div(s.h_out, t.h_out);
  t.tiles_w = ceil_div(s.w_out, t.w_out);
}

// DORY's search space for this kind: which (c, h, w) tiles it considers.
bool in_dory_space(const LayerShape& s, std::uint32_t c, std::uint32_t h, std::uint32_t w) {
  if (s.kind == isa::pulp::KERNEL_LINEAR) return h == s.h_out && w == s.w_out;
  if (s.kind == isa::pulp::KERNEL_ADD) return w == s.w_out;
  if (!is_matmul(s.kind)) {
    if (s.h_in <= 32 && s.w_in <= 32) return h == s.h_out && w == s.w_out;
    return w == s.w_out;
  }
  (void)c;
  return true;
}

// Distinct tile sizes ceil(d / k), k = 1..d: every balanced split of a dimension.
std::vector<std::uint32_t> balanced_sizes(std::uint32_t d) {
  std::set<std::uint32_t> sizes;
  for (std::uint32_t k = 1; k <= d; ++k) sizes.insert(ceil_div(d, k));
  return {sizes.begin(), sizes.end()};
}

std::vector<Parallel> variants(KernelKind kind) {
  switch (kind) {
    case isa::pulp::KERNEL_CONV:
    case isa::pulp::KERNEL_POINTWISE:
      return {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_HOWO, isa::pulp::PARALLEL_CO};
    case isa::pulp::KERNEL_ADD:
    case isa::pulp::KERNEL_MAXPOOL:
    case isa::pulp::KERNEL_AVGPOOL: return {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_CO};
    default: return {isa::pulp::PARALLEL_CO};  // depthwise and linear split channels / outputs
  }
}

// PULP-NN's default variant for a kind (what DORY's generated code calls).
Parallel default_variant(const LayerShape& s) {
  switch (s.kind) {
    case isa::pulp::KERNEL_DEPTHWISE:
    case isa::pulp::KERNEL_LINEAR: return isa::pulp::PARALLEL_CO;
    case isa::pulp::KERNEL_AVGPOOL:
    case isa::pulp::KERNEL_MAXPOOL: return s.h_out < 8 ? isa::pulp::PARALLEL_CO : isa::pulp::PARALLEL_HO;
    default: return isa::pulp::PARALLEL_HO;
  }
}

}  // namespace

const char* objective_name(TilerObjective objective) { return objective == TilerObjective::Dory ? "dory" : "cost"; }

std::uint32_t TileChoice::tiles() const { return tiles_c * tiles_h * tiles_w; }

std::uint32_t input_extent(std::uint32_t out, std::uint32_t kernel, std::uint32_t stride) {
  return (out - 1) * stride + kernel;
}

TileWindow tile_window(std::uint32_t out_begin, std::uint32_t out_size, std::uint32_t in_total, std::uint32_t kernel,
                       std::uint32_t stride, std::uint32_t pad_before) {
  TileWindow t;
  t.out_begin = out_begin;
  t.out_size = out_size;
  const std::int64_t first = static_cast<std::int64_t>(out_begin) * stride - pad_before;
  const std::int64_t last = first + static_cast<std::int64_t>(input_extent(out_size, kernel, stride)) - 1;
  const std::int64_t lo = std::max<std::int64_t>(first, 0);
  const std::int64_t hi = std::min<std::int64_t>(last, static_cast<std::int64_t>(in_total) - 1);
  t.pad_before = static_cast<std::uint32_t>(lo - first);
  t.pad_after = static_cast<std::uint32_t>(last - hi);
  t.in_begin = static_cast<std::uint32_t>(lo);
  t.in_size = static_cast<std::uint32_t>(std::max<std::int64_t>(hi - lo + 1, 0));
  return t;
}

void size_tile(const LayerShape& s, int cores, TileChoice& t) {
  set_tile_counts(s, t);
  t.double_buffered = t.tiles() > 1;
  const std::uint64_t db = t.double_buffered ? 2 : 1;
  const std::uint64_t h_in = std::min(input_extent(t.h_out, s.k_h, s.stride_h), s.h_in);
  const std::uint64_t w_in = std::min(input_extent(t.w_out, s.k_w, s.stride_w), s.w_in);
  const std::uint64_t c_in = tile_c_in(s, t.c_out);
  const std::uint64_t operands = s.kind == isa::pulp::KERNEL_ADD ? 2 : 1;
  t.input_bytes = db * operands * h_in * w_in * c_in;
  t.output_bytes = db * std::uint64_t{t.c_out} * t.h_out * t.w_out;
  t.weight_bytes = 0;
  t.bias_bytes = 0;
  t.im2col_bytes = 0;
  t.constant_bytes = 0;
  const std::uint64_t window = std::uint64_t{s.k_h} * s.k_w;
  const auto n = static_cast<std::uint64_t>(cores);
  if (is_matmul(s.kind)) {
    t.weight_bytes = db * t.c_out * window * c_in;
    t.bias_bytes = db * 4 * std::uint64_t{t.c_out};
    t.constant_bytes = db * 8 * std::uint64_t{t.c_out};  // k and lambda, int32 each
    if (s.kind != isa::pulp::KERNEL_LINEAR) t.im2col_bytes = 2 * n * window * c_in;
  } else if (s.kind == isa::pulp::KERNEL_DEPTHWISE) {
    t.weight_bytes = db * t.c_out * window;
    t.bias_bytes = db * 4 * std::uint64_t{t.c_out};
    t.constant_bytes = db * 8 * std::uint64_t{t.c_out};
    t.im2col_bytes = n * (s.k_h * (h_in + s.pad_top + s.pad_bottom) + s.k_h);
  }
  t.total_bytes = t.input_bytes + t.output_bytes + t.weight_bytes + t.bias_bytes + t.im2col_bytes + t.constant_bytes +
                  kDorySlackBytes;
}

std::uint64_t predict_cycles(const LayerShape& s, const TileChoice& t, const PulpParams& hw) {
  // Tiles iterate H (outer), W, C_out (inner); the input stays in L1 across C_out tiles and
  // the weights across H and W tiles when C_out is one tile (the emitter does the same).
  struct TileCost {
    std::uint64_t compute = 0, in_dma = 0, in_issue = 0, out_dma = 0, out_issue = 0;
  };
  const std::uint32_t nh = ceil_div(s.h_out, t.h_out), nw = ceil_div(s.w_out, t.w_out), nc = ceil_div(s.c_out, t.c_out);
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, std::uint64_t> computed;
  const auto cost_of = [&](std::uint32_t ih, std::uint32_t iw, std::uint32_t ic) {
    TileCost c;
    const std::uint32_t r0 = ih * t.h_out, c0 = iw * t.w_out, k0 = ic * t.c_out;
    const TileGeometry g = tile_geometry(s, r0, std::min(t.h_out, s.h_out - r0), c0, std::min(t.w_out, s.w_out - c0), k0,
                                         std::min(t.c_out, s.c_out - k0));
    const auto key = std::make_tuple(g.rows.out_size * 64 + g.rows.pad_before * 8 + g.rows.pad_after,
                                     g.cols.out_size * 64 + g.cols.pad_before * 8 + g.cols.pad_after, g.c_size,
                                     g.rows.in_size, g.cols.in_size);
    auto it = computed.find(key);
    if (it == computed.end()) {
      it = computed.emplace(key, isa::pulp::kernel_cost(tile_kernel_call(s, g, t.parallel), hw, hw.cores).cycles).first;
    }
    c.compute = it->second;
    const bool first = ih == 0 && iw == 0 && ic == 0;
    for (const auto& copy : tile_input_copies(s, g, ic == 0, nc > 1 || first)) {
      const isa::pulp::DmaCost d = isa::pulp::dma_cost(copy, hw);
      c.in_dma += d.cycles;
      c.in_issue += d.issue_cycles;
    }
    const isa::pulp::DmaCost out = isa::pulp::dma_cost(tile_output_copy(s, g), hw);
    c.out_dma = out.cycles;
    c.out_issue = out.issue_cycles;
    return c;
  };
  std::uint64_t total = 0, previous_write_back = 0;
  TileCost current = cost_of(0, 0, 0);
  total += current.in_issue + current.in_dma;  // the first tile's own load
  for (std::uint32_t ih = 0; ih < nh; ++ih) {
    for (std::uint32_t iw = 0; iw < nw; ++iw) {
      for (std::uint32_t ic = 0; ic < nc; ++ic) {
        const bool last = ih + 1 == nh && iw + 1 == nw && ic + 1 == nc;
        TileCost next;
        if (!last) {
          const std::uint32_t jc = ic + 1 < nc ? ic + 1 : 0;
          const std::uint32_t jw = ic + 1 < nc ? iw : (iw + 1 < nw ? iw + 1 : 0);
          const std::uint32_t jh = (ic + 1 < nc || iw + 1 < nw) ? ih : ih + 1;
          next = cost_of(jh, jw, jc);
        }
        // The next tile's copies and this tile's predecessor's write-back overlap the compute.
        total += next.in_issue + std::max({current.compute, next.in_dma, previous_write_back}) + current.out_issue;
        previous_write_back = current.out_dma;
        current = next;
      }
    }
  }
  return total + previous_write_back;
}

TileChoice choose_tiling(const LayerShape& s, const PulpParams& hw, TilerObjective objective,
                         const std::string& layer_name) {
  const std::uint64_t budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  const Parallel dory_variant = default_variant(s);
  // The smallest tile of this space and what it needs, for the error message.
  TileChoice smallest;
  smallest.c_out = 1;
  smallest.h_out = s.h_out;
  smallest.w_out = s.w_out;
  for (std::uint32_t h = 1; h <= s.h_out; ++h) {
    if (in_dory_space(s, 1, h, s.w_out)) {
      smallest.h_out = h;
      break;
    }
  }
  for (std::uint32_t w = 1; w <= s.w_out; ++w) {
    if (in_dory_space(s, 1, smallest.h_out, w)) {
      smallest.w_out = w;
      break;
    }
  }
  size_tile(s, hw.cores, smallest);

  // DORY: the whole layer when it fits (no double buffering), else the exact maximum of its
  // score over its space, C_out from the largest down.
  bool found = false;
  TileChoice dory;
  dory.c_out = s.c_out;
  dory.h_out = s.h_out;
  dory.w_out = s.w_out;
  dory.parallel = dory_variant;
  size_tile(s, hw.cores, dory);
  found = dory.total_bytes <= budget;
  std::int64_t best_score = std::numeric_limits<std::int64_t>::min();
  for (std::uint32_t h = s.h_out; h >= 1 && !found; --h) {
    for (std::uint32_t w = s.w_out; w >= 1; --w) {
      if (!in_dory_space(s, s.c_out, h, w)) continue;
      for (std::uint32_t c = s.c_out; c >= 1; --c) {
        TileChoice t;
        t.c_out = c;
        t.h_out = h;
        t.w_out = w;
        t.parallel = dory_variant;
        size_tile(s, hw.cores, t);
        if (t.total_bytes > budget) continue;
        const std::int64_t score = dory_score(s, t);
        if (score > best_score) {
          best_score = score;
          dory = t;
        }
        // Bound: no smaller C_out can score more than its bonuses (at most 21.4e6 with a full
        // L1) plus 110000 per channel.
        if (is_matmul(s.kind) && 21500000 + 110000 * static_cast<std::int64_t>(c) < best_score) break;
      }
    }
  }
  found = found || best_score > std::numeric_limits<std::int64_t>::min();
  if (!found) {
    // The smallest tile still does not fit: say which buffer dominates and what would fit.
    throw UserError(fmt::format(
        "layer '{}': no L2-L1 tiling fits the L1 tile budget of {} bytes (l1_tile_budget_bytes); its smallest tile "
        "({} output channel, {} rows, {} columns) needs {} bytes: input {}, output {}, weights {}, im2col {}, constants {}. "
        "Use --set l1_tile_budget_bytes={} or more, or a smaller layer",
        layer_name, budget, smallest.c_out, smallest.h_out, smallest.w_out, smallest.total_bytes, smallest.input_bytes, smallest.output_bytes, smallest.weight_bytes,
        smallest.im2col_bytes, smallest.constant_bytes + smallest.bias_bytes, smallest.total_bytes));
  }
  dory.predicted_cycles = predict_cycles(s, dory, hw);
  if (objective == TilerObjective::Dory) return dory;

  // Cost: every balanced split of each dimension and every variant, plus DORY's choice.
  TileChoice best = dory;
  const auto hs = balanced_sizes(s.h_out), ws = balanced_sizes(s.w_out), cs = balanced_sizes(s.c_out);
  for (const Parallel p : variants(s.kind)) {
    TileChoice candidate = dory;
    candidate.parallel = p;
    candidate.predicted_cycles = predict_cycles(s, candidate, hw);
    if (candidate.predicted_cycles < best.predicted_cycles) best = candidate;
  }
  for (const std::uint32_t h : hs) {
    for (const std::uint32_t w : ws) {
      if (s.kind == isa::pulp::KERNEL_LINEAR && (h != s.h_out || w != s.w_out)) continue;
      for (const std::uint32_t c : cs) {
        TileChoice t;
        t.c_out = c;
        t.h_out = h;
        t.w_out = w;
        size_tile(s, hw.cores, t);
        if (t.total_bytes > budget) continue;
        for (const Parallel p : variants(s.kind)) {
          t.parallel = p;
          t.predicted_cycles = predict_cycles(s, t, hw);
          if (t.predicted_cycles < best.predicted_cycles) best = t;
        }
      }
    }
  }
  return best;
}

}  // namespace wb::pulp
