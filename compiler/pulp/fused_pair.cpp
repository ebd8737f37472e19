#include "compiler/pulp/fused_pair.h"

#include <algorithm>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/tile_copies.h"
#include "isa/pulp_program.h"
#include "support/math.h"

namespace wb::pulp {

namespace {

using isa::pulp::DmaCopy;

constexpr std::uint64_t kAlign = 4;
constexpr std::uint64_t kDorySlackBytes = 40;  // as the tiler counts a tiling (tiler.h)
constexpr std::uint32_t kPointwiseChannelBlock = 4;  // PULP-NN's 4x2 matmul: 4 output channels a step
std::uint64_t aligned(std::uint64_t v) { return align_up(v, kAlign); }

// The fused layer's L1: the depthwise input (two slots when there is more than one row tile),
// the intermediate, the depthwise weights and bias (loaded once), the pointwise weights and
// bias (two slots when streamed in channel tiles), the output (two slots when there is more
// than one pointwise step) and the depthwise kernel's scratch.
struct FusedL1 {
  std::uint64_t input[2]{}, intermediate = 0, dw_weights = 0, dw_bias = 0, pw_weights[2]{}, pw_bias[2]{}, output[2]{},
                scratch = 0, end = 0;
};

struct FusedCounts {
  std::uint32_t row_tiles = 1, channel_tiles = 1;
};

FusedCounts counts_of(const LayerShape& pw, const FusedTiling& t) {
  return {ceil_div(pw.h_out, t.rows), ceil_div(pw.c_out, t.pw_c_out)};
}

// The depthwise tile of `rows` rows, every column and channel, as the tiler sizes it: its
// scratch (the plane kernel's padded plane per core, or the window kernel's strip).
std::uint64_t depthwise_scratch_bytes(const LayerPlan& dw, std::uint32_t rows, int cores) {
  TileChoice tile;
  tile.c_out = dw.shape.c_out;
  tile.h_out = rows;
  tile.w_out = dw.shape.w_out;
  tile.depthwise_plane = dw.tile.depthwise_plane;
  size_tile(dw.shape, cores, tile);
  return tile.im2col_bytes;
}

FusedL1 layout(const LayerPlan& dw, const LayerPlan& pw, const FusedTiling& t, int cores) {
  const LayerShape& d = dw.shape;
  const FusedCounts n = counts_of(pw.shape, t);
  FusedL1 l;
  std::uint64_t at = 0;
  const auto place = [&](std::uint64_t (&slot)[2], std::uint64_t bytes, bool two) {
    slot[0] = at;
    at += aligned(bytes);
    slot[1] = two ? at : slot[0];
    if (two) at += aligned(bytes);
  };
  const auto single = [&](std::uint64_t& slot, std::uint64_t bytes) {
    slot = at;
    at += aligned(bytes);
  };
  place(l.input, std::uint64_t{max_input_rows(d, t.rows)} * d.w_in * d.c_in, n.row_tiles > 1);
  single(l.intermediate, std::uint64_t{t.rows} * d.w_out * d.c_out);
  single(l.dw_weights, std::uint64_t{d.k_h} * d.k_w * d.c_out);
  single(l.dw_bias, 4 * std::uint64_t{d.c_out});
  place(l.pw_weights, std::uint64_t{t.pw_c_out} * pw.shape.c_in, n.channel_tiles > 1);
  place(l.pw_bias, 4 * std::uint64_t{t.pw_c_out}, n.channel_tiles > 1);
  place(l.output, std::uint64_t{t.rows} * pw.shape.w_out * t.pw_c_out, n.row_tiles * n.channel_tiles > 1);
  single(l.scratch, depthwise_scratch_bytes(dw, t.rows, cores));
  l.end = at + kDorySlackBytes;
  return l;
}

// All of a layer's weights and bias, L3 -> their L2 buffer, in one copy (the image keeps the
// bias right after the weights, as the buffer does when it holds every channel).
DmaCopy whole_weights_copy(const LayerPlan& lp) {
  return isa::pulp::linear_copy(isa::pulp::MEMORY_L3, lp.weights_l3, isa::pulp::MEMORY_L2, lp.weights_address,
                                whole_weights_bytes(lp));
}

class FusedEmitter {
 public:
  FusedEmitter(const quant::QGraph& graph, const PLayer& dw, const LayerPlan& dwp, const PLayer& pw,
               const LayerPlan& pwp, const MemoryPlan& plan, const FusedTiling& t, int cores, isa::pulp::Layer& out)
      : graph_(graph), dw_(dw), dwp_(dwp), pw_(pw), pwp_(pwp), plan_(plan), t_(t), out_(out),
        l1_(layout(dwp, pwp, t, cores)), n_(counts_of(pwp.shape, t)) {
    dwp_.tile.depthwise_chw = false;
    pwp_.tile.parallel = t.pw_parallel;
    pwp_.tile.depthwise_plane = pwp_.tile.depthwise_chw = false;
  }

  void emit() {
    const LayerShape& d = dwp_.shape;
    const LayerShape& p = pwp_.shape;
    L2View dw_input = view_of(plan_.homes.at(dw_.inputs[0]), d.w_in, d.c_in);
    const L2View pw_output = view_of(plan_.homes.at(pw_.output), p.w_out, p.c_out);
    int in_slot = 0, w_slot = 0, out_slot = 0;
    const std::uint32_t pw_steps = n_.row_tiles * n_.channel_tiles;
    for (std::uint32_t r = 0; r < n_.row_tiles; ++r) {
      const std::uint32_t row0 = r * t_.rows, rows = std::min(t_.rows, p.h_out - row0);
      const TileGeometry dg = tile_geometry(d, row0, rows, 0, d.w_out, 0, d.c_out);
      // The depthwise step: its input tile (the first loaded here, the others prefetched by
      // the step before), the next row tile's input prefetched during its compute.
      isa::pulp::Step& dstep = *out_.add_steps();
      TileAddresses dat = dw_addresses(dw_input, in_slot);
      if (r == 0) {
        if (!dwp_.weights_prefetched) *dstep.add_l3_load() = whole_weights_copy(dwp_);
        // The pointwise weights reach L2 while the first depthwise tile computes.
        *dstep.add_l3_prefetch() = whole_weights_copy(pwp_);
        for (const DmaCopy& c : tile_input_copies(d, dg, true, true, dat)) *dstep.add_load() = c;
      }
      if (r + 1 < n_.row_tiles) {
        const std::uint32_t next0 = row0 + t_.rows, next_rows = std::min(t_.rows, p.h_out - next0);
        const TileGeometry next = tile_geometry(d, next0, next_rows, 0, d.w_out, 0, d.c_out);
        for (const DmaCopy& c : tile_input_copies(d, next, true, false, dw_addresses(dw_input, in_slot ^ 1))) {
          *dstep.add_prefetch() = c;
        }
      }
      *dstep.mutable_compute() = layer_kernel_call(graph_, dw_, dwp_, dg, dat);
      // The pointwise steps over the intermediate, each writing its channel tile back.
      for (std::uint32_t j = 0; j < n_.channel_tiles; ++j) {
        const std::uint32_t c0 = j * t_.pw_c_out, cs = std::min(t_.pw_c_out, p.c_out - c0);
        const TileGeometry pg = tile_geometry(p, row0, rows, 0, p.w_out, c0, cs);
        isa::pulp::Step& pstep = *out_.add_steps();
        const TileAddresses pat = pw_addresses(pw_output, w_slot, out_slot);
        const bool first = r == 0 && j == 0;
        if (first) {
          pstep.set_wait_l3_prefetch(true);
          for (const DmaCopy& c : tile_input_copies(p, pg, false, true, pat)) *pstep.add_load() = c;
        }
        // The next pointwise weight tile, when they do not stay in L1.
        const std::uint32_t pw_index = r * n_.channel_tiles + j;
        if (n_.channel_tiles > 1 && pw_index + 1 < pw_steps) {
          const std::uint32_t nj = (j + 1) % n_.channel_tiles;
          const std::uint32_t nc0 = nj * t_.pw_c_out, ncs = std::min(t_.pw_c_out, p.c_out - nc0);
          const TileGeometry ng = tile_geometry(p, row0, rows, 0, p.w_out, nc0, ncs);
          for (const DmaCopy& c : tile_input_copies(p, ng, false, true, pw_addresses(pw_output, w_slot ^ 1, out_slot))) {
            *pstep.add_prefetch() = c;
          }
        }
        *pstep.mutable_compute() = layer_kernel_call(graph_, pw_, pwp_, pg, pat);
        *pstep.add_write_back() = tile_output_copy(p, pg, pat);
        if (n_.channel_tiles > 1) w_slot ^= 1;
        if (pw_steps > 1) out_slot ^= 1;
      }
      if (n_.row_tiles > 1) in_slot ^= 1;
    }
  }

 private:
  TileAddresses dw_addresses(const L2View& input, int in_slot) const {
    TileAddresses at;
    at.input = input;
    at.weights = dwp_.weights_address;
    at.bias = dwp_.weights_address + std::uint64_t{dwp_.shape.c_out} * dwp_.weights_per_channel;
    at.l1_input = l1_.input[in_slot];
    at.l1_weights = l1_.dw_weights;
    at.l1_bias = l1_.dw_bias;
    at.l1_output = l1_.intermediate;
    at.l1_im2col = l1_.scratch;
    return at;
  }

  TileAddresses pw_addresses(const L2View& output, int w_slot, int out_slot) const {
    TileAddresses at;
    at.output = output;
    at.weights = pwp_.weights_address;
    at.bias = pwp_.weights_address + std::uint64_t{pwp_.shape.c_out} * pwp_.weights_per_channel;
    at.l1_input = l1_.intermediate;
    at.l1_weights = l1_.pw_weights[w_slot];
    at.l1_bias = l1_.pw_bias[w_slot];
    at.l1_output = l1_.output[out_slot];
    at.l1_im2col = l1_.scratch;
    return at;
  }

  const quant::QGraph& graph_;
  const PLayer& dw_;
  LayerPlan dwp_;
  const PLayer& pw_;
  LayerPlan pwp_;
  const MemoryPlan& plan_;
  FusedTiling t_;
  isa::pulp::Layer& out_;
  FusedL1 l1_;
  FusedCounts n_;
};

}  // namespace

bool fusable_pair(const quant::QGraph& graph, const LayerMapping& mapping, std::size_t i) {
  if (i + 1 >= mapping.layers.size()) return false;
  const PLayer& dw = mapping.layers[i];
  const PLayer& pw = mapping.layers[i + 1];
  if (dw.kind != isa::pulp::KERNEL_DEPTHWISE || pw.kind != isa::pulp::KERNEL_POINTWISE) return false;
  if (pw.inputs.size() != 1 || pw.inputs[0] != dw.output) return false;
  if (mapping.slices.count(dw.output) != 0) return false;
  for (const int o : graph.outputs) {
    if (resolve_alias(mapping, o) == dw.output) return false;
  }
  for (std::size_t j = 0; j < mapping.layers.size(); ++j) {
    if (j == i + 1) continue;
    const auto& inputs = mapping.layers[j].inputs;
    if (std::find(inputs.begin(), inputs.end(), dw.output) != inputs.end()) return false;
  }
  return true;
}

bool fusable_plans(const LayerPlan& dw, const LayerPlan& pw) {
  const auto alone = [](const LayerPlan& lp) {
    return lp.chunks() == 1 && lp.chunk_c_out == lp.shape.c_out && !lp.stage_input && !lp.stage_input_b &&
           !lp.stage_output && lp.has_weights && !lp.weights_double_buffered;
  };
  const LayerShape& p = pw.shape;
  return alone(dw) && alone(pw) && p.k_h == 1 && p.k_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_top + p.pad_bottom + p.pad_left + p.pad_right == 0 && p.h_in == dw.shape.h_out &&
         p.w_in == dw.shape.w_out && p.c_in == dw.shape.c_out && dw.shape.dilation_h == 1 && dw.shape.dilation_w == 1;
}

std::vector<FusedTiling> fused_tilings(const LayerPlan& dw, const LayerPlan& pw, const PulpParams& hw) {
  std::vector<FusedTiling> tilings;
  const auto budget = static_cast<std::uint64_t>(hw.l1_tile_budget_bytes);
  std::vector<std::uint32_t> rows;
  for (std::uint32_t k = 1; k <= pw.shape.h_out; ++k) {
    const std::uint32_t r = ceil_div(pw.shape.h_out, k);
    if (rows.empty() || rows.back() != r) rows.push_back(r);
  }
  for (const std::uint32_t r : rows) {
    FusedTiling best;
    // The most output channels that fit: their count only falls as a tile's rows grow.
    for (std::uint32_t k = 1; k <= pw.shape.c_out; ++k) {
      FusedTiling t;
      t.rows = r;
      t.pw_c_out = ceil_div(pw.shape.c_out, k);
      if (k > 1 && t.pw_c_out == ceil_div(pw.shape.c_out, k - 1)) continue;
      t.l1_bytes = layout(dw, pw, t, hw.cores).end;
      if (t.l1_bytes <= budget) {
        best = t;
        break;
      }
    }
    if (best.rows == 0) continue;
    // Also the most whole blocks of the pointwise kernel's four output channels, when that is
    // fewer: the kernel runs a leftover channel at a block's cost (perf/pulp/cost.cpp).
    std::vector<FusedTiling> shapes{best};
    const std::uint32_t blocks = best.pw_c_out / kPointwiseChannelBlock * kPointwiseChannelBlock;
    if (blocks > 0 && blocks < best.pw_c_out) {
      FusedTiling fewer = best;
      fewer.pw_c_out = blocks;
      fewer.l1_bytes = layout(dw, pw, fewer, hw.cores).end;
      shapes.push_back(fewer);
    }
    for (FusedTiling shape : shapes) {
      for (const isa::pulp::Parallel parallel :
           {isa::pulp::PARALLEL_HO, isa::pulp::PARALLEL_HOWO, isa::pulp::PARALLEL_CO}) {
        shape.pw_parallel = parallel;
        tilings.push_back(shape);
      }
    }
  }
  return tilings;
}

isa::pulp::Layer emit_fused_pair(const quant::QGraph& graph, const PLayer& dw, const LayerPlan& dw_plan,
                                 const PLayer& pw, const LayerPlan& pw_plan, const MemoryPlan& plan,
                                 const FusedTiling& tiling, TilerObjective objective, const PulpParams& hw) {
  isa::pulp::Layer out;
  out.set_name(dw.name + "+" + pw.name);
  out.add_fused_layers(dw.name);
  out.add_fused_layers(pw.name);
  out.set_kind(pw.kind);
  out.set_type("depthwise+pointwise");
  out.set_macs(dw.macs + pw.macs);
  out.set_ops(dw.ops + pw.ops);
  set_layer_output(graph, pw.output, plan, out);
  const FusedCounts n = counts_of(pw_plan.shape, tiling);
  isa::pulp::Tiling& t = *out.mutable_tiling();
  t.set_tile_c_out(tiling.pw_c_out);
  t.set_tile_h_out(tiling.rows);
  t.set_tile_w_out(pw_plan.shape.w_out);
  t.set_tile_c_in(pw_plan.shape.c_in);
  t.set_tiles(n.row_tiles * (1 + n.channel_tiles));
  // The intermediate is what the total holds beyond these.
  const FusedL1 l1 = layout(dw_plan, pw_plan, tiling, hw.cores);
  t.set_l1_input_bytes(l1.intermediate - l1.input[0]);
  t.set_l1_weight_bytes(l1.output[0] - l1.dw_weights);
  t.set_l1_output_bytes(l1.scratch - l1.output[0]);
  t.set_l1_im2col_bytes(l1.end - kDorySlackBytes - l1.scratch);
  t.set_l1_total_bytes(tiling.l1_bytes);
  t.set_objective(objective_name(objective));
  t.set_parallel(tiling.pw_parallel);
  t.set_depthwise_plane(dw_plan.tile.depthwise_plane);
  t.set_predicted_cycles(tiling.predicted_cycles);
  t.set_l3_chunks(1);
  t.set_chunk_h_out(pw_plan.shape.h_out);
  FusedEmitter(graph, dw, dw_plan, pw, pw_plan, plan, tiling, hw.cores, out).emit();
  return out;
}

}  // namespace wb::pulp
