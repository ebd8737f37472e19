#include "compiler/pulp/dory2021_objective.h"

#include <algorithm>
#include <cstdlib>

#include "isa/pulp_program.h"

namespace wb::pulp {

namespace {

bool depthwise(const LayerShape& s) { return s.kind == isa::pulp::KERNEL_DEPTHWISE; }

// DORY's border rule on one axis for an input tile of `tile_in` (its Max/Min/% expression,
// tiling.py: the last tile is no smaller than the window).
bool border_holds(std::int64_t in, std::int64_t tile_in, std::int64_t k, std::int64_t pad_before,
                  std::int64_t pad_after) {
  const std::int64_t step = tile_in - k + 1;
  if (step <= 0) return false;
  const std::int64_t first = std::max<std::int64_t>(in - tile_in - (tile_in - k + 1 - pad_before), 0) % step;
  const std::int64_t last = std::max<std::int64_t>(in - tile_in - (tile_in - k + 1 - pad_after), 0) % step;
  return first + std::abs(std::min<std::int64_t>(last, 1) - 1) * k >= k;
}

// An axis of `out` of `total` output pixels: the whole axis (DORY's solver then took the whole
// unpadded input), or `tile_h_out * s == tile_h_in - (k - 1) + (s - 1)` with the input tile
// inside the input (not all of it: that is the whole axis) and the border rule.
bool axis_admitted(std::uint32_t out, std::uint32_t total, std::uint32_t in, std::uint32_t k, std::uint32_t stride,
                   std::uint32_t pad_before, std::uint32_t pad_after) {
  if (out == total) return true;
  const std::int64_t tile_in = std::int64_t{stride} * out + k - stride;
  if (tile_in < k || tile_in >= in) return false;
  return border_holds(in, tile_in, k, pad_before, pad_after);
}

// The value the solver's tile_h_out (tile_w_out) had for a standard convolution: a whole axis
// is its whole unpadded input, whose output extent without the padding is what the objective
// saw (tiling.py sets the reported tile to the whole axis after solving).
std::int64_t solver_extent(std::uint32_t out, std::uint32_t total, std::uint32_t in, std::uint32_t k,
                           std::uint32_t stride) {
  if (out < total) return out;
  return std::max<std::int64_t>((std::int64_t{in} - k + stride) / stride, 1);
}

constexpr std::int64_t kBitsScale = 256;  // the memory in bits x 32: bytes x 256

}  // namespace

bool dory2021_scores(const LayerShape& s) {
  const bool kind = isa::pulp::is_matmul(s.kind) || depthwise(s);
  return kind && s.dilation_h == 1 && s.dilation_w == 1;
}

bool runs_dory_layer_template(const LayerShape& s) {
  const bool kind = s.kind == isa::pulp::KERNEL_CONV || s.kind == isa::pulp::KERNEL_POINTWISE || depthwise(s);
  return kind && s.dilation_h == 1 && s.dilation_w == 1;
}

bool dory2021_admits(const LayerShape& s, std::uint32_t h, std::uint32_t w) {
  if (depthwise(s)) {
    if (s.h_in <= 32 && s.w_in <= 32) return h == s.h_out && w == s.w_out;
    return w == s.w_out && axis_admitted(h, s.h_out, s.h_in, s.k_h, s.stride_h, s.pad_top, s.pad_bottom);
  }
  return axis_admitted(h, s.h_out, s.h_in, s.k_h, s.stride_h, s.pad_top, s.pad_bottom) &&
         axis_admitted(w, s.w_out, s.w_in, s.k_w, s.stride_w, s.pad_left, s.pad_right);
}

std::int64_t dory2021_score(const LayerShape& s, std::uint32_t c_out, std::uint32_t h_out, std::uint32_t w_out,
                            std::uint64_t memory_bytes) {
  const std::int64_t n = c_out, total_c = s.c_out, total_h = s.h_out, total_w = s.w_out;
  const std::int64_t memory = kBitsScale * static_cast<std::int64_t>(memory_bytes) + 20;
  if (depthwise(s)) {
    const std::int64_t h = h_out, w = w_out;
    return memory + 32 * 1000 * w + 32 * 1000 * h + 32 * 10000 * (n > 7) + 64 * 10000 * ((n - 1) % 8) +
           32 * 10000 * ((h % 4) == 0) + 32 * 100 * ((total_c % (n + 1)) > 7) + 32 * 100 * (total_h % (h + 1)) +
           32 * 100 * ((total_h % (h + 1)) % 4) + 32 * 100 * (total_w % (w + 1));
  }
  const std::int64_t h = solver_extent(h_out, s.h_out, s.h_in, s.k_h, s.stride_h);
  const std::int64_t w = solver_extent(w_out, s.w_out, s.w_in, s.k_w, s.stride_w);
  return 64 * 10000 * n + memory + 64 * 2000000 * ((h - 1) % 8) + 64 * 3000000 * ((w - 1) % 2) +
         64 * 1000000 * ((n - 1) % 4) + 64 * 1000000 * (w * h >= 16) + 64 * 10000 * (total_c % (n + 1)) +
         64 * 10000 * ((total_c % (n + 1)) % 4) + 64 * 20000 * ((total_h % (h + 1)) % 8) +
         64 * 30000 * ((total_w % (w + 1)) % 2);
}

std::int64_t dory2021_bound(const LayerShape& s, std::uint32_t c_out, std::uint64_t memory_bytes) {
  const std::int64_t memory = kBitsScale * static_cast<std::int64_t>(memory_bytes) + 20;
  const std::int64_t n = c_out;
  if (depthwise(s)) {
    const std::int64_t h = s.h_out, w = s.w_out;
    return memory + 32 * 1000 * (w + h) + 32 * 10000 + 64 * 10000 * 7 + 32 * 10000 + 32 * 100 * (1 + h + 3 + w);
  }
  // The per-channel term and the channel border term (at most n each), the bonuses at their
  // largest: (h - 1) % 8 <= 7, (w - 1) % 2 <= 1, (n - 1) % 4 <= 3, the area, and the borders.
  return 2 * 64 * 10000 * n + memory + 64 * 2000000 * 7 + 64 * 3000000 + 64 * 1000000 * 3 + 64 * 1000000 +
         64 * 10000 * 3 + 64 * 20000 * 7 + 64 * 30000;
}

}  // namespace wb::pulp
