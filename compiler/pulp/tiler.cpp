#include "compiler/pulp/tiler.h"

#include <fmt/format.h>

#include <algorithm>

#include "isa/pulp_program.h"
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "compiler/pulp/dory2021_objective.h"
#include "compiler/pulp/tile_copies.h"
#include "support/error.h"
#include "perf/pulp/cost.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

using isa::pulp::is_matmul;

using isa::pulp::KernelKind;
using isa::pulp::Parallel;

constexpr std::uint64_t kDorySlackBytes = 40;  // DORY adds 40 bytes to every L1 tiling

bool is_grouped(KernelKind kind) { return kind == isa::pulp::KERNEL_GROUPED_CONV; }

// The 1x1 kernels over whole rows, tiled as DORY tiles its add: ADD, LUT, MUL, GATHER, SOFTMAX,
// LAYERNORM, and RESIZE (whole rows: its tiles read every input column their rows' taps name).
bool is_elementwise(KernelKind kind) {
  return kind == isa::pulp::KERNEL_ADD || kind == isa::pulp::KERNEL_LUT || kind == isa::pulp::KERNEL_MUL ||
         kind == isa::pulp::KERNEL_GATHER || kind == isa::pulp::KERNEL_SOFTMAX || kind == isa::pulp::KERNEL_RESIZE ||
         kind == isa::pulp::KERNEL_LAYERNORM;
}

// Kinds whose every tile holds all output channels: a gather's tiles are rows (each reads all
// the channels its indices span); a softmax and a layernorm normalise each pixel over all its
// channels.
bool all_channels(KernelKind kind) {
  return kind == isa::pulp::KERNEL_GATHER || kind == isa::pulp::KERNEL_SOFTMAX || kind == isa::pulp::KERNEL_LAYERNORM;
}

// The 4x2 matmul kernels, whose tiles DORY scores as convolutions: a grouped conv runs the
// conv's kernel per group.
bool scores_as_conv(KernelKind kind) { return is_matmul(kind) || is_grouped(kind); }

// An output-channel tile of a grouped conv holds whole groups; a gather's and a softmax's hold
// every output channel.
bool whole_groups(const LayerShape& s, std::uint32_t c_out) {
  if (all_channels(s.kind)) return c_out == s.c_out;
  return !is_grouped(s.kind) || c_out % s.group_c_out() == 0;
}

// DORY's objective for standard convolutions (g == 1) and for depthwise / pools (g > 1); a
// grouped conv (g > 1, not depthwise) is scored as a standard one, its kernel being the conv's.
std::int64_t dory_score(const LayerShape& s, const TileChoice& t) {
  const std::int64_t n = t.c_out, h = t.h_out, w = t.w_out;
  const std::int64_t c_total = s.c_out, h_total = s.h_out, w_total = s.w_out;
  std::int64_t score = static_cast<std::int64_t>(t.total_bytes);
  if (scores_as_conv(s.kind)) {
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
  t.tiles_c = ceil_div<std::uint32_t>(s.c_out, t.c_out);
  t.tiles_h = ceil_div<std::uint32_t>(s.h_out, t.h_out);
  t.tiles_w = ceil_div<std::uint32_t>(s.w_out, t.w_out);
  t.tiles_cin = is_matmul(s.kind) && t.c_in != 0 ? ceil_div<std::uint32_t>(s.c_in, t.c_in) : 1;
}

// DORY's search space for this kind: which (c, h, w) tiles it considers (for a grouped conv,
// a standard conv's with whole groups).
bool in_dory_space(const LayerShape& s, std::uint32_t c, std::uint32_t h, std::uint32_t w) {
  if (!whole_groups(s, c)) return false;
  if (s.kind == isa::pulp::KERNEL_LINEAR) return h == s.h_out && w == s.w_out;
  if (is_elementwise(s.kind)) return w == s.w_out;
  if (!scores_as_conv(s.kind)) {
    if (s.h_in <= 32 && s.w_in <= 32) return h == s.h_out && w == s.w_out;
    return w == s.w_out;
  }
  return true;
}

// Per-pixel kinds whose columns may be tiled beyond DORY's space when a whole row does not fit
// L1 (Swin's LayerNorm of 384 channels on 28 columns): a pixel's work reads that pixel alone.
bool tiles_columns_beyond_dory(const LayerShape& s) {
  return is_elementwise(s.kind) && s.kind != isa::pulp::KERNEL_RESIZE;
}

// Distinct tile sizes ceil(d / k), k = 1..d: every balanced split of a dimension.
std::vector<std::uint32_t> balanced_sizes(std::uint32_t d) {
  std::set<std::uint32_t> sizes;
  for (std::uint32_t k = 1; k <= d; ++k) sizes.insert(ceil_div<std::uint32_t>(d, k));
  return {sizes.begin(), sizes.end()};
}

std::vector<Parallel> variants(KernelKind kind) {
  switch (kind) {
    case isa::pulp::KERNEL_CONV:
    case isa::pulp::KERNEL_POINTWISE:
    case isa::pulp::KERNEL_GROUPED_CONV:
      return {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_HOWO, isa::pulp::PARALLEL_CO};
    case isa::pulp::KERNEL_ADD:
    case isa::pulp::KERNEL_LUT:
    case isa::pulp::KERNEL_MUL:
    case isa::pulp::KERNEL_GATHER:
    case isa::pulp::KERNEL_MAXPOOL:
    case isa::pulp::KERNEL_AVGPOOL: return {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_CO};
    case isa::pulp::KERNEL_SOFTMAX:
    case isa::pulp::KERNEL_LAYERNORM: return {isa::pulp::PARALLEL_HO};  // a pixel's channels go together
    case isa::pulp::KERNEL_RESIZE: return {isa::pulp::PARALLEL_HO};   // each core its output rows' taps
    default: return {isa::pulp::PARALLEL_CO};  // depthwise and linear split channels / outputs
  }
}

// PULP-NN's default variant for a kind (what DORY's generated code calls: its layer template of
// the MobileNetV1 run, dory 6d01e9c, calls pulp_nn_pointwise_HoWo_parallel for a 1x1 stride-1
// conv and pulp_nn_conv_Ho_parallel for the others; docs/pulp.md, "DORY's generated code").
Parallel default_variant(const LayerShape& s) {
  switch (s.kind) {
    case isa::pulp::KERNEL_POINTWISE: return isa::pulp::PARALLEL_HOWO;
    case isa::pulp::KERNEL_DEPTHWISE:
    case isa::pulp::KERNEL_LINEAR: return isa::pulp::PARALLEL_CO;
    case isa::pulp::KERNEL_AVGPOOL:
    case isa::pulp::KERNEL_MAXPOOL: return s.h_out < 8 ? isa::pulp::PARALLEL_CO : isa::pulp::PARALLEL_HO;
    default: return isa::pulp::PARALLEL_HO;
  }
}

}  // namespace

const char* objective_name(TilerObjective objective) {
  switch (objective) {
    case TilerObjective::Dory: return "dory";
    case TilerObjective::Cost: return "cost";
    case TilerObjective::Energy: return "energy";
  }
  return "dory";
}

std::uint32_t tile_input_channels(const LayerShape& s, const TileChoice& t) {
  if (s.kind == isa::pulp::KERNEL_GATHER) return s.gather_span;
  if (s.kind == isa::pulp::KERNEL_MATMUL) return s.c_in;  // the reduction, never tiled
  if (is_grouped(s.kind)) return t.c_out / s.group_c_out() * s.group_c_in();
  if (!is_matmul(s.kind)) return t.c_out;
  return t.c_in == 0 ? s.c_in : t.c_in;
}

std::uint32_t TileChoice::tiles() const { return tiles_c * tiles_h * tiles_w * tiles_cin; }


void size_tile(const LayerShape& s, int cores, TileChoice& t) {
  set_tile_counts(s, t);
  t.double_buffered = t.tiles() > 1;
  const std::uint64_t db = t.double_buffered ? 2 : 1;
  const std::uint64_t h_in = max_input_rows(s, t.h_out);
  const std::uint64_t w_in = max_input_cols(s, t.w_out);
  const std::uint64_t c_in = tile_input_channels(s, t);
  const std::uint64_t second =
      has_second_operand(s.kind) ? second_operand_bytes(s, static_cast<std::uint32_t>(h_in),
                                                        static_cast<std::uint32_t>(w_in), static_cast<std::uint32_t>(c_in))
                                 : 0;
  t.input_bytes = db * (h_in * w_in * c_in + second);
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
  } else if (is_grouped(s.kind)) {
    // PULP-NN's conv per group: its weights, and im2col buffers of one group's channels.
    t.weight_bytes = db * t.c_out * window * s.group_c_in();
    t.bias_bytes = db * 4 * std::uint64_t{t.c_out};
    t.constant_bytes = db * 8 * std::uint64_t{t.c_out};
    t.im2col_bytes = 2 * n * window * s.group_c_in();
  } else if (s.kind == isa::pulp::KERNEL_DEPTHWISE) {
    t.weight_bytes = db * t.c_out * window;
    t.bias_bytes = db * 4 * std::uint64_t{t.c_out};
    t.constant_bytes = db * 8 * std::uint64_t{t.c_out};
    t.im2col_bytes = t.depthwise_plane
                         ? n * isa::pulp::depthwise_plane_scratch_bytes(input_extent(t.h_out, s.span_h(), s.stride_h),
                                                                        input_extent(t.w_out, s.span_w(), s.stride_w))
                         : n * (s.k_h * (h_in + s.pad_top + s.pad_bottom) + s.k_h);
  } else if (table_bytes(s) > 0) {
    t.weight_bytes = table_bytes(s);  // one table for every tile: copied once, never double-buffered
  }
  t.accumulator_bytes = t.tiles_cin > 1 ? 4 * std::uint64_t{t.c_out} * t.h_out * t.w_out : 0;
  t.total_bytes = t.input_bytes + t.output_bytes + t.weight_bytes + t.bias_bytes + t.im2col_bytes + t.constant_bytes +
                  t.accumulator_bytes + kDorySlackBytes;
}

namespace {

// The distinct tile windows along one dimension (first, middle, last and border tiles) and
// how many tiles have each.
template <class WindowOf>
std::vector<std::pair<TileWindow, std::uint32_t>> window_classes(std::uint32_t out_total, std::uint32_t tile,
                                                                 WindowOf&& window_of) {
  std::vector<std::pair<TileWindow, std::uint32_t>> classes;
  for (std::uint32_t begin = 0; begin < out_total; begin += tile) {
    const TileWindow w = window_of(begin, std::min(tile, out_total - begin));
    bool found = false;
    for (auto& [seen, count] : classes) {
      if (seen.out_size == w.out_size && seen.in_size == w.in_size && seen.pad_before == w.pad_before &&
          seen.pad_after == w.pad_after) {
        ++count;
        found = true;
        break;
      }
    }
    if (!found) classes.emplace_back(w, 1);
  }
  return classes;
}

}  // namespace

std::uint64_t predict_cycles(const LayerShape& s, const TileChoice& t, const PulpParams& hw) {
  // Tiles iterate H (outer), W, C_out (inner); a standard convolution's input stays in L1
  // across its C_out tiles, and the weights across every tile when C_out is one tile (the
  // emitter does the same). Each step costs the next tile's DMA programming plus the longest
  // of its compute, the next tile's copies and the previous tile's write-back; tiles of one
  // shape cost the same, so the sum runs over the shapes.
  const auto rows = window_classes(s.h_out, t.h_out, [&](std::uint32_t b, std::uint32_t n) { return row_window(s, b, n); });
  const auto cols = window_classes(s.w_out, t.w_out, [&](std::uint32_t b, std::uint32_t n) { return col_window(s, b, n); });
  const std::uint32_t nc = ceil_div<std::uint32_t>(s.c_out, t.c_out);
  std::vector<std::uint32_t> channel_sizes(nc, t.c_out);
  channel_sizes.back() = s.c_out - (nc - 1) * t.c_out;
  const bool input_per_channel_tile = !is_matmul(s.kind);
  const auto dma = [&](const std::vector<isa::pulp::DmaCopy>& copies) {
    perf::pulp::DmaCost total;
    for (const auto& c : copies) {
      const perf::pulp::DmaCost d = perf::pulp::dma_cost(c, hw);
      total.cycles += d.cycles;
      total.issue_cycles += d.issue_cycles;
    }
    return total;
  };
  // DORY's layer loop on the cores: its own code per tile (TileChoice::dory_tile_loop).
  const std::uint64_t tile_loop = t.dory_tile_loop ? perf::pulp::dory_tile_loop_cycles(s.kind, hw) : 0;
  // In DORY's loop the cores program the copies as part of that code.
  const auto issue = [&](const perf::pulp::DmaCost& d) { return t.dory_tile_loop ? 0 : d.issue_cycles; };
  std::uint64_t total = 0;
  bool first = true;
  std::uint64_t last_write_back = 0;
  for (const auto& [rw, rcount] : rows) {
    for (const auto& [cw, ccount] : cols) {
      TileGeometry g;
      g.rows = rw;
      g.cols = cw;
      // One (row, column) group: its output-channel tiles in order, each over its input-channel
      // tiles. Output-channel tiles 1 .. nc-2 are alike, so one of them stands for all.
      const std::uint32_t nci = t.tiles_cin;
      const std::uint32_t cin_tile = nci > 1 ? t.c_in : s.c_in;
      const auto geometry = [&](std::uint32_t ic, std::uint32_t jc) {
        TileGeometry x = g;
        const std::uint32_t cin_begin = jc * cin_tile;
        set_tile_channels(s, x, ic * t.c_out, channel_sizes[ic], cin_begin,
                          nci > 1 ? std::min(cin_tile, s.c_in - cin_begin) : 0);
        return x;
      };
      const auto step = [&](std::uint32_t ic, std::uint32_t jc, std::uint64_t previous_write_back) {
        const TileGeometry here = geometry(ic, jc);
        const std::uint64_t compute =
            perf::pulp::kernel_cost(tile_kernel_call(s, here, t.parallel, {}, t.depthwise_plane, t.depthwise_chw), hw,
                                    hw.cores)
                .cycles;
        if (first) {
          const perf::pulp::DmaCost own = dma(tile_input_copies(s, here, true, true));
          total += issue(own) + own.cycles;
          first = false;
        }
        // The next tile: the next input-channel tile, the next output-channel tile, or the
        // first of a group like this one.
        const bool next_cin = jc + 1 < nci;
        const bool next_group = !next_cin && ic + 1 == nc;
        const TileGeometry next = next_cin ? geometry(ic, jc + 1) : geometry(next_group ? 0 : ic + 1, 0);
        const bool new_input = next_group || next_cin || input_per_channel_tile || nci > 1;
        // A LUT's table comes with the first tile only; weights follow their channel tiles.
        const perf::pulp::DmaCost next_in =
            dma(tile_input_copies(s, next, new_input, (nc > 1 || nci > 1) && isa::pulp::has_weights(s.kind)));
        const bool writes = jc + 1 == nci;
        const perf::pulp::DmaCost out =
            writes ? perf::pulp::dma_cost(tile_output_copy(s, here), hw) : perf::pulp::DmaCost{};
        return std::make_pair(
            tile_loop + issue(next_in) + std::max({compute, next_in.cycles, previous_write_back}) + issue(out),
            writes ? out.cycles : previous_write_back);
      };
      std::uint64_t group = 0;
      std::uint64_t previous_write_back = 0;
      for (std::uint32_t ic = 0; ic < nc; ++ic) {
        const bool stand_in = ic == 1 && nc > 3;
        std::uint64_t period = 0;
        for (std::uint32_t jc = 0; jc < nci; ++jc) {
          const auto [cycles, write_back] = step(ic, jc, previous_write_back);
          period += cycles;
          previous_write_back = write_back;
        }
        group += stand_in ? period * (nc - 2) : period;
        if (stand_in) ic = nc - 2;
      }
      last_write_back = previous_write_back;
      total += std::uint64_t{rcount} * ccount * group;
    }
  }
  return total + last_write_back;
}

namespace {

// The exact maximum of DORY's score over its space with input-channel tiles of `cin` (0: not
// tiled, DORY's own space), C_out from the largest down; with `any_columns`, also column tiles
// (tiles_columns_beyond_dory); nothing when no tile fits. `dory2021`: convolutions and depthwise
// layers scored and constrained as the 2021 DORY of REFERENCE.md's figures did
// (dory2021_objective.h); else the newer DORY's objective (dory_score).
std::optional<TileChoice> dory_search(const LayerShape& s, const PulpParams& hw, std::uint32_t cin,
                                      bool any_columns = false, bool dory2021 = false) {
  const std::uint64_t budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  TileChoice whole;
  whole.c_out = s.c_out;
  whole.h_out = s.h_out;
  whole.w_out = s.w_out;
  whole.c_in = cin;
  whole.parallel = default_variant(s);
  size_tile(s, hw.cores, whole);
  if (whole.total_bytes <= budget) return whole;  // DORY takes the whole layer when it fits
  std::optional<TileChoice> best;
  std::int64_t best_score = std::numeric_limits<std::int64_t>::min();
  for (std::uint32_t h = s.h_out; h >= 1; --h) {
    for (std::uint32_t w = s.w_out; w >= 1; --w) {
      if (dory2021) {
        if (!dory2021_admits(s, h, w)) continue;
      } else if (!in_dory_space(s, s.c_out, h, w) && !(any_columns && in_dory_space(s, s.c_out, h, s.w_out))) {
        continue;
      }
      for (std::uint32_t c = s.c_out; c >= 1; --c) {
        if (!whole_groups(s, c)) continue;
        TileChoice t = whole;
        t.c_out = c;
        t.h_out = h;
        t.w_out = w;
        size_tile(s, hw.cores, t);
        if (t.total_bytes > budget) continue;
        // DORY 2021 counts neither the bias (folded into lambda) nor slack; the fit above counts
        // the buffers our program has.
        const std::int64_t score =
            dory2021 ? dory2021_score(s, c, h, w, t.total_bytes - t.bias_bytes - kDorySlackBytes) : dory_score(s, t);
        if (score > best_score) {
          best_score = score;
          best = t;
        }
        // Bound: no smaller C_out can score more (the newer objective: its bonuses, at most
        // 21.4e6 with a full L1, plus 110000 per channel).
        if (dory2021 ? dory2021_bound(s, c, budget) < best_score
                     : scores_as_conv(s.kind) && 21500000 + 110000 * static_cast<std::int64_t>(c) < best_score) {
          break;
        }
      }
    }
  }
  return best;
}

// Input-channel tile sizes beyond DORY's space, largest first: every balanced split.
std::vector<std::uint32_t> cin_splits(const LayerShape& s) {
  if (s.kind != isa::pulp::KERNEL_CONV && s.kind != isa::pulp::KERNEL_POINTWISE) return {};
  std::vector<std::uint32_t> sizes = balanced_sizes(s.c_in);
  sizes.pop_back();  // c_in itself: not tiled
  std::reverse(sizes.begin(), sizes.end());
  return sizes;
}

}  // namespace

TileChoice smallest_tile(const LayerShape& s, const PulpParams& hw) {
  // One output channel (one group of a grouped conv), the fewest rows and columns DORY's space
  // allows, the fewest input channels; or the whole layer, which needs no double buffering,
  // when that is smaller.
  TileChoice smallest;
  smallest.c_out = is_grouped(s.kind) ? s.group_c_out() : all_channels(s.kind) ? s.c_out : 1;
  smallest.h_out = s.h_out;
  smallest.w_out = s.w_out;
  const std::vector<std::uint32_t> splits = cin_splits(s);
  smallest.c_in = splits.empty() ? 0 : splits.back();
  for (std::uint32_t h = 1; h <= s.h_out; ++h) {
    if (in_dory_space(s, smallest.c_out, h, s.w_out)) {
      smallest.h_out = h;
      break;
    }
  }
  for (std::uint32_t w = 1; w <= s.w_out; ++w) {
    if (in_dory_space(s, smallest.c_out, smallest.h_out, w) || tiles_columns_beyond_dory(s)) {
      smallest.w_out = w;
      break;
    }
  }
  size_tile(s, hw.cores, smallest);
  TileChoice whole;
  whole.c_out = s.c_out;
  whole.h_out = s.h_out;
  whole.w_out = s.w_out;
  size_tile(s, hw.cores, whole);
  return whole.total_bytes < smallest.total_bytes ? whole : smallest;
}

TileChoice choose_tiling(const LayerShape& s, const PulpParams& hw, TilerObjective objective,
                         const std::string& layer_name) {
  const std::uint64_t budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  // DORY's choice: as the 2021 DORY of REFERENCE.md's figures chose it, for the kinds it scored;
  // else (and where its constraints leave no tile) the newer DORY's; where that space has none
  // either, the largest input-channel tile that has one.
  std::optional<TileChoice> dory;
  if (dory2021_scores(s)) dory = dory_search(s, hw, 0, false, /*dory2021=*/true);
  if (!dory) dory = dory_search(s, hw, 0);
  const std::vector<std::uint32_t> splits = cin_splits(s);
  for (std::size_t i = 0; !dory && i < splits.size(); ++i) dory = dory_search(s, hw, splits[i]);
  if (!dory && tiles_columns_beyond_dory(s)) dory = dory_search(s, hw, 0, /*any_columns=*/true);
  if (!dory) {
    const TileChoice smallest = smallest_tile(s, hw);
    throw UserError(fmt::format(
        "layer '{}': no L2-L1 tiling fits the L1 tile budget of {} bytes (l1_tile_budget_bytes); its smallest tile "
        "({} output channel{}, {} rows, {} columns, {} input channels) needs {} bytes: input {}, output {}, "
        "weights {}, im2col {}, constants {}, partial sums {}",
        layer_name, budget, smallest.c_out, smallest.c_out == 1 ? "" : "s", smallest.h_out, smallest.w_out,
        tile_input_channels(s, smallest), smallest.total_bytes, smallest.input_bytes,
        smallest.output_bytes, smallest.weight_bytes, smallest.im2col_bytes,
        smallest.constant_bytes + smallest.bias_bytes, smallest.accumulator_bytes));
  }
  dory->depthwise_chw = s.kind == isa::pulp::KERNEL_DEPTHWISE && s.dilation_h == 1 && s.dilation_w == 1;
  dory->dory_tile_loop = runs_dory_layer_template(s);
  dory->predicted_cycles = predict_cycles(s, *dory, hw);
  if (objective == TilerObjective::Dory) return *dory;
  // The other objectives run DORY's tile shapes on our HWC kernels, walked by the controller.
  dory->depthwise_chw = false;
  dory->dory_tile_loop = false;

  return cost_candidates(s, hw, *dory, 1).front();
}

std::vector<TileChoice> cost_candidates(const LayerShape& s, const PulpParams& hw, const TileChoice& dory,
                                        std::size_t count) {
  // Every balanced split of each dimension and every variant, plus DORY's choice; input
  // channels split in 2, 4 or 8 for convolutions with 64 or more of them.
  const std::uint64_t budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  std::vector<TileChoice> best;  // ascending predicted cycles, at most `count`
  const auto consider = [&](const TileChoice& t) {
    const auto at = std::upper_bound(best.begin(), best.end(), t.predicted_cycles,
                                     [](std::uint64_t cycles, const TileChoice& x) { return cycles < x.predicted_cycles; });
    if (static_cast<std::size_t>(at - best.begin()) >= count) return;
    best.insert(at, t);
    if (best.size() > count) best.pop_back();
  };
  TileChoice d = dory;
  d.predicted_cycles = predict_cycles(s, d, hw);
  consider(d);
  std::vector<std::uint32_t> cins{0};
  if (dory.c_in != 0) cins.push_back(dory.c_in);
  if (s.c_in >= 64 && (s.kind == isa::pulp::KERNEL_CONV || s.kind == isa::pulp::KERNEL_POINTWISE)) {
    for (const std::uint32_t parts : {2u, 4u, 8u}) {
      if (s.c_in % parts == 0) cins.push_back(s.c_in / parts);
    }
  }
  for (const Parallel p : variants(s.kind)) {
    TileChoice candidate = dory;
    candidate.parallel = p;
    if (p == dory.parallel) continue;
    candidate.predicted_cycles = predict_cycles(s, candidate, hw);
    consider(candidate);
  }
  // A depthwise layer's kernels: PULP-NN's window kernel, and the plane kernel where it applies.
  std::vector<bool> planes{false};
  if (s.kind == isa::pulp::KERNEL_DEPTHWISE && s.dilation_h == 1 && s.dilation_w == 1 &&
      isa::pulp::depthwise_plane_applies(s.k_h, s.k_w, s.stride_h, s.stride_w)) {
    planes.push_back(true);
  }
  // Columns in at most 4 tiles and output channels in multiples of 4 (PULP-NN's 4x2 block):
  // narrower tiles only add DMA commands and leftover loops. A grouped conv's output channels
  // in every balanced split of its groups.
  const auto hs = balanced_sizes(s.h_out);
  std::vector<std::uint32_t> ws, cs;
  for (const std::uint32_t w : balanced_sizes(s.w_out)) {
    if (ceil_div<std::uint32_t>(s.w_out, w) <= 4 && (w == s.w_out || s.kind != isa::pulp::KERNEL_RESIZE)) {
      ws.push_back(w);
    }
  }
  if (is_grouped(s.kind)) {
    for (const std::uint32_t g : balanced_sizes(s.groups)) cs.push_back(g * s.group_c_out());
  } else if (all_channels(s.kind)) {
    cs.push_back(s.c_out);
  } else {
    for (const std::uint32_t c : balanced_sizes(s.c_out)) {
      if (c % 4 == 0 || c == s.c_out || c < 4 || !is_matmul(s.kind)) cs.push_back(c);
    }
  }
  for (const std::uint32_t cin : cins) {
    for (const std::uint32_t h : hs) {
      for (const std::uint32_t w : ws) {
        if (s.kind == isa::pulp::KERNEL_LINEAR && (h != s.h_out || w != s.w_out)) continue;
        for (const std::uint32_t c : cs) {
          for (const bool plane : planes) {
            TileChoice t;
            t.c_out = c;
            t.h_out = h;
            t.w_out = w;
            t.c_in = cin;
            t.depthwise_plane = plane;
            size_tile(s, hw.cores, t);
            if (t.total_bytes > budget) continue;
            for (const Parallel p : variants(s.kind)) {
              t.parallel = p;
              t.predicted_cycles = predict_cycles(s, t, hw);
              consider(t);
            }
          }
        }
      }
    }
  }
  return best;
}

}  // namespace wb::pulp
