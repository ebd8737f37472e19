#include "compiler/pulp/memory_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <limits>
#include <set>
#include <stdexcept>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/fused_pair.h"
#include "compiler/pulp/fusion_choice.h"
#include "compiler/pulp/l2_allocator.h"
#include "compiler/pulp/l3_image.h"
#include "compiler/pulp/self_tiled_layers.h"
#include "compiler/pulp/tiling_choice.h"
#include "isa/pulp_program.h"
#include "perf/pulp/timeline.h"
#include "compiler/quant/qgraph_queries.h"
#include "support/error.h"

namespace wb::pulp {

namespace {

using quant::QGraph;

constexpr std::uint64_t kAlign = 4;
// tiler=cost/energy: L3 weight chunks down to 1/16 of DORY's and at most 64 of them, tried
// where they can save a 20th of the layer's predicted cycles (weight_chunk_sizes): every trial
// is emitted and timed, so a chunk size that cannot pay costs compile time alone.
constexpr int kWeightChunkHalvings = 4;
constexpr std::uint32_t kMostWeightChunks = 64;
constexpr double kLeastWeightChunkGain = 0.05;
constexpr std::size_t kTimedCandidates = 8;  // cost objective: candidates timed on the predictor's timeline per layer
constexpr std::size_t kChunkTimedCandidates = 2;  // and per smaller L3 weight chunk, beside its DORY tile


using isa::pulp::has_weights;

// The output channels a chunk or tile of the layer holds a multiple of: a grouped conv's whole
// groups, else single channels.
std::uint32_t channel_unit(const LayerShape& s) {
  return s.kind == isa::pulp::KERNEL_GROUPED_CONV ? s.group_c_out() : 1;
}

// Input bytes `rows` output rows of a chunk read (all columns; all channels, or the chunk's
// own when its input is staged by channel slices), of the first operand.
std::uint64_t staged_input_bytes(const LayerPlan& lp, std::uint32_t rows) {
  const LayerShape& s = lp.shape;
  const std::uint32_t channels = lp.stage_channel_slices ? lp.chunk_c_out : s.c_in;
  return std::uint64_t{max_input_rows(s, rows)} * s.w_in * channels;
}

// Of the second operand: ADD's as the first's; MUL's the rows (and channels) of its own shape
// it reads.
std::uint64_t staged_input_b_bytes(const LayerPlan& lp, std::uint32_t rows) {
  const LayerShape& s = lp.shape;
  if (s.kind != isa::pulp::KERNEL_MUL) return staged_input_bytes(lp, rows);
  const std::uint32_t channels = s.b_c == 1 ? 1 : lp.stage_channel_slices ? lp.chunk_c_out : s.b_c;
  return std::uint64_t{s.b_h == 1 ? 1 : std::min(rows, s.h_in)} * s.b_w * channels;
}

}  // namespace

OperandsOutsideL2::OperandsOutsideL2(const std::string& layer_name, isa::pulp::KernelKind kind,
                                     std::int64_t l2_bytes, std::int64_t estimate_bytes)
    : UserError(fmt::format("layer '{}': {} needs its operands and output in L2 (its tiles are not staged through "
                            "L3), and L2 does not hold them beside the live activations (l2_bytes {})",
                            layer_name,
                            kind == isa::pulp::KERNEL_PIXEL_COPY  ? "a gather of pixels"
                            : kind == isa::pulp::KERNEL_EMBEDDING ? "an embedding of token ids"
                                                                  : "attention's product",
                            l2_bytes)),
      layer(layer_name),
      estimate(estimate_bytes) {}

namespace {

// plan_memory's walk, in named steps: the L3 image (weights, tables, constants), the network's
// inputs, then each layer in order (its tensors' homes, its weights' L2 buffers, its L3 chunks,
// its tiling, its staging, the next layer's weights, what it frees).
class MemoryPlanner {
 public:
  MemoryPlanner(const QGraph& graph, const LayerMapping& mapping, const HwConfig& config, const CompileOptions& options,
                const TilingReferee* referee, const std::set<std::size_t>& fused,
                const std::optional<StageExtent>& stage)
      : fused_(fused),
        stage_extent_(stage),
        graph_(graph),
        mapping_(mapping),
        config_(config),
        hw_(config.pulp()),
        options_(options),
        referee_(options.measure_tilings ? referee : nullptr),
        l2_(static_cast<std::uint64_t>(hw_.l2_bytes), kAlign),
        n_(mapping.layers.size()) {}

  MemoryPlan run() {
    find_lifetimes();
    for (const PLayer& layer : mapping_.layers) shapes_.push_back(layer_shape(graph_, layer));
    place_l3_image();
    for (const int t : graph_.inputs) {
      plan_.homes[t] = home_in_l2_or_l3(hwc_bytes(graph_.tensor(t)));
      if (plan_.homes[t].memory == isa::pulp::MEMORY_L2) activations_held(plan_.homes[t].bytes);
    }
    place_constant_operands();
    for (std::size_t i = 0; i < n_; ++i) {
      if (stage_extent_ && i == stage_extent_->first) {
        plan_stage();
        i = stage_extent_->last;
      } else {
        plan_layer(i);
      }
    }
    if (!infeasible_.empty()) throw FusionInfeasible(infeasible_);
    check_l3_sizes();
    return std::move(plan_);
  }

 private:
  // Where a layer's output went: `placed` is the tensor whose home holds it (a concat's, for a
  // concat input), `out_home` its own bytes there.
  struct OutputPlace {
    int placed = -1;
    bool is_slice = false;
    TensorHome out_home;
  };

  int owner_of(int t) const {
    const auto slice = mapping_.slices.find(t);
    return slice == mapping_.slices.end() ? t : slice->second.concat;
  }

  // Lifetimes of buffers: the last layer reading the tensor or any slice of it (a concat's
  // inputs and prefix concats live in its buffer); network outputs live to the end.
  void find_lifetimes() {
    for (std::size_t i = 0; i < n_; ++i) {
      for (const int t : mapping_.layers[i].inputs) last_use_[owner_of(t)] = i;
    }
    for (const int o : graph_.outputs) {
      last_use_[owner_of(resolve_alias(mapping_, o))] = std::numeric_limits<std::size_t>::max();
    }
  }

  // A slice's home: its channels of every pixel of the owning concat's home.
  TensorHome slice_home(int tensor, const ConcatSlice& slice) const {
    TensorHome home = plan_.homes.at(slice.concat);
    const auto concat_channels = static_cast<std::uint32_t>(quant::dim_or_one(graph_.tensor(slice.concat), 1));
    home.pixel_channels = slice.dense ? 0 : concat_channels;
    home.address += slice.channel_offset + std::uint64_t{slice.pixel_offset} * concat_channels;
    home.bytes = hwc_bytes(graph_.tensor(tensor));
    return home;
  }

  // Activations in L3 RAM from address 0; the weights in the flash after it.
  TensorHome home_in_l3(std::uint64_t bytes) {
    TensorHome h{isa::pulp::MEMORY_L3, l3_next_, bytes};
    l3_next_ += (bytes + kAlign - 1) / kAlign * kAlign;
    return h;
  }

  TensorHome home_in_l2_or_l3(std::uint64_t bytes) {
    if (const auto a = l2_.allocate(bytes)) return TensorHome{isa::pulp::MEMORY_L2, *a, bytes};
    return home_in_l3(bytes);
  }

  std::uint64_t flash_address() const { return static_cast<std::uint64_t>(hw_.l3_bytes) + plan_.l3_image.size(); }

  // Weights and tables first in the L3 image (the flash), then activations L2 cannot hold.
  void place_l3_image() {
    plan_.layers.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      LayerPlan& lp = plan_.layers[i];
      lp.shape = shapes_[i];
      lp.has_weights = has_weights(shapes_[i].kind);
      lp.has_table = table_bytes(shapes_[i]) > 0;
      if (lp.has_table) {
        lp.weights_l3 = flash_address();
        append_table(graph_, mapping_.layers[i], shapes_[i], plan_.l3_image);
      }
      if (!lp.has_weights) continue;
      lp.weights_per_channel = per_channel_weights(shapes_[i]);
      lp.weights_l3 = flash_address();
      append_weights(graph_, mapping_.layers[i], shapes_[i], plan_.l3_image);
    }
  }

  // Constant operands (a position embedding, an embedding's table) live in the L3 image, read
  // like weights.
  void place_constant_operands() {
    for (const PLayer& layer : mapping_.layers) {
      for (const int t : layer.inputs) {
        if (!graph_.tensor(t).is_constant() || plan_.homes.count(t) != 0) continue;
        plan_.homes[t] = TensorHome{isa::pulp::MEMORY_L3, flash_address(), hwc_bytes(graph_.tensor(t))};
        append_constant(graph_.tensor(t), plan_.l3_image);
      }
    }
  }

  void plan_layer(std::size_t i) {
    const OutputPlace out = place_layer_tensors(i);
    LayerPlan& lp = plan_.layers[i];
    const bool staged = lp.stage_output || lp.stage_input || lp.stage_input_b;
    place_layer_weights(i, staged);
    choose_layer_tiling(i, staged ? staged_rows(i) : lp.shape.h_out);
    allocate_staging(lp);
    prefetch_next_weights(i);
    // A depthwise layer that runs fused keeps its input and weights in L2 until the pointwise
    // layer after it is planned: the fused layer still reads them while it writes the pointwise
    // output.
    if (fused_.count(i) != 0) {
      deferred_release_ = out;
      return;
    }
    if (i > 0 && fused_.count(i - 1) != 0) tile_fused_pair(i - 1);
    release_after(i, out);
    if (i > 0 && fused_.count(i - 1) != 0) release_after(i - 1, deferred_release_);
  }

  // A patch stage (patch_stage.h): the stage's output homed in L2, every layer's weights whole
  // in L2 for the whole stage, the fewest bands whose rings (one per layer but the last) fit,
  // each layer's tiles for its most rows in a band; all released after it.
  void plan_stage() {
    const StageExtent extent = *stage_extent_;
    PatchStage stage;
    stage.first = extent.first;
    stage.last = extent.last;
    home_stage(extent);
    // The fewest bands whose rings fit: a band's tiles are at most its rows, and each band pays
    // its layers' first loads and last write-backs unhidden.
    const std::uint32_t height = shapes_[extent.last].h_out;
    for (std::uint32_t bands = 2; bands <= height && stage.rows.empty(); ++bands) {
      const std::uint32_t rows = (height + bands - 1) / bands;
      if (bands > 2 && rows == (height + bands - 2) / (bands - 1)) continue;  // the same band size
      place_rings(stage, extent, rows);
    }
    if (stage.rows.empty()) throw PatchStageInfeasible("patch stage: its band buffers do not fit L2");
    std::uint64_t buffers = 0;
    for (const std::uint64_t bytes : stage.buffer_bytes) buffers += bytes;
    activations_held(static_cast<std::int64_t>(buffers));
    for (std::size_t i = extent.first; i <= extent.last; ++i) {
      std::uint32_t most = 0;
      for (const BandRows& r : stage.rows[i - extent.first]) most = std::max(most, r.new_rows());
      choose_layer_tiling(i, std::max(most, 1u));
    }
    // The next layer's weights load while the stage runs: their buffer must not be the stage's.
    prefetch_next_weights(extent.last);
    for (std::size_t i = extent.first; i <= extent.last; ++i) {
      const int output = mapping_.layers[i].output;
      release_after(i, OutputPlace{output, false, plan_.homes.at(output)});
    }
    for (std::size_t k = 0; k < stage.buffers.size(); ++k) {
      if (stage.buffer_bytes[k] > 0) l2_.release(stage.buffers[k], stage.buffer_bytes[k]);
    }
    activations_held(-static_cast<std::int64_t>(buffers));
    plan_.patch_stage = std::move(stage);
  }

  // The stage's tensors: its intermediates without a home (rings hold their rows), its output
  // homed in L2, its inputs from before it in L2; every layer's weights whole in L2.
  void home_stage(StageExtent extent) {
    const PLayer& last = mapping_.layers[extent.last];
    for (std::size_t i = extent.first; i <= extent.last; ++i) {
      const PLayer& layer = mapping_.layers[i];
      for (const int t : layer.inputs) {
        const auto home = plan_.homes.find(t);
        if (home != plan_.homes.end() && home->second.memory == isa::pulp::MEMORY_L3) {
          throw PatchStageInfeasible(fmt::format("patch stage: layer '{}' reads a tensor in L3", layer.name));
        }
      }
      plan_.layers[i].chunk_c_out = shapes_[i].c_out;
      plan_.layers[i].chunk_h_out = shapes_[i].h_out;
      if (i < extent.last) {
        plan_.homes[layer.output] = TensorHome{isa::pulp::MEMORY_L1, 0, hwc_bytes(graph_.tensor(layer.output))};
      }
    }
    const std::uint64_t out_bytes = hwc_bytes(graph_.tensor(last.output));
    const auto out_address = l2_.allocate_high(out_bytes);
    if (!out_address) throw PatchStageInfeasible("patch stage: its output does not fit L2");
    plan_.homes[last.output] = TensorHome{isa::pulp::MEMORY_L2, *out_address, out_bytes};
    activations_held(static_cast<std::int64_t>(out_bytes));
    for (std::size_t i = extent.first; i <= extent.last; ++i) {
      LayerPlan& lp = plan_.layers[i];
      if (lp.has_table) {
        lp.weights_buffer_bytes = table_bytes(lp.shape);  // a LUT's table (it has no weights)
      } else if (lp.has_weights && !lp.weights_prefetched) {
        lp.weights_buffer_bytes = whole_weights_bytes(lp);
      } else {
        continue;
      }
      const auto address = l2_.allocate(lp.weights_buffer_bytes);
      if (!address) throw PatchStageInfeasible("patch stage: its weights do not fit L2");
      lp.weights_address = *address;
    }
  }

  // Whether layer i is the last of the patch stage planned (emitted with the stage).
  bool ends_stage(std::size_t i) const { return plan_.patch_stage && plan_.patch_stage->last == i; }

  // The stage's rings for bands of `band_rows` rows, allocated in L2 (stage.rows and the rest
  // set); nothing when they do not fit.
  void place_rings(PatchStage& stage, StageExtent extent, std::uint32_t band_rows) {
    std::vector<std::vector<BandRows>> rows = stage_band_rows(mapping_, shapes_, extent, band_rows);
    const FirstFitAllocator before = l2_;  // a trial that fails leaves no trace (its high water)
    std::vector<std::uint64_t> addresses, sizes;
    std::vector<std::uint32_t> rings;
    for (std::size_t i = extent.first; i <= extent.last; ++i) {
      std::uint32_t ring = 0;
      if (i < extent.last) {
        for (const BandRows& r : rows[i - extent.first]) ring = std::max(ring, r.need_end - r.need_begin);
      }
      const std::uint64_t bytes = std::uint64_t{ring} * shapes_[i].w_out * shapes_[i].c_out;
      const auto address = bytes > 0 ? l2_.allocate(bytes) : std::optional<std::uint64_t>(0);
      if (!address) {
        l2_ = before;
        return;
      }
      addresses.push_back(*address);
      sizes.push_back(bytes);
      rings.push_back(ring);
    }
    stage.band_rows = band_rows;
    stage.rows = std::move(rows);
    stage.buffers = std::move(addresses);
    stage.buffer_bytes = std::move(sizes);
    stage.ring_rows = std::move(rings);
  }

  bool in_stage(std::size_t i) const { return stage_extent_ && stage_extent_->contains(i); }

  // Activation bytes homed in L2 now (a change of `delta`), and the most at once.
  void activations_held(std::int64_t delta) {
    activations_in_l2_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(activations_in_l2_) + delta);
    plan_.l2_activation_peak = std::max(plan_.l2_activation_peak, activations_in_l2_);
  }

  bool in_fused_pair(std::size_t i) const { return fused_.count(i) != 0 || (i > 0 && fused_.count(i - 1) != 0); }

  void tile_fused_pair(std::size_t i) {
    std::optional<FusedTiling> tiling;
    if (fusable_plans(plan_.layers[i], plan_.layers[i + 1])) {
      const std::optional<isa::pulp::Layer> before = emitted_before(i);
      const FusedChoice choice = best_fused_tiling(graph_, mapping_, i, plan_, config_, options_,
                                                   measurable() ? referee_ : nullptr, before ? &*before : nullptr);
      tiling = choice.tiling;
      plan_.tilings_measured += choice.measured;
      if (choice.overruled_predictor) ++plan_.layers_overruling_predictor;
    }
    if (!tiling) {
      // Planning goes on (its figures are void) to find every such pair in one walk.
      infeasible_.insert(i);
      return;
    }
    plan_.layers[i].fused_with_next = true;
    plan_.layers[i].fused = *tiling;
    ++plan_.fused_pairs;
  }

  // The homes of the layer's inputs (a prefix concat's: its slice) and of its output, and
  // which of them pass through L2 staging.
  OutputPlace place_layer_tensors(std::size_t i) {
    const PLayer& layer = mapping_.layers[i];
    LayerPlan& lp = plan_.layers[i];
    const LayerShape& s = lp.shape;
    // A prefix concat is read in place: its home is its slice of the longer concat's buffer,
    // which holds its inputs since the first of them was produced.
    for (const int t : layer.inputs) {
      if (plan_.homes.count(t) == 0) plan_.homes[t] = slice_home(t, mapping_.slices.at(t));
    }
    // An embedding reads its table's rows where they are, in the L3 image (embedding_layer.h).
    lp.stage_input = plan_.homes.at(layer.inputs[0]).memory == isa::pulp::MEMORY_L3 &&
                     s.kind != isa::pulp::KERNEL_EMBEDDING;
    lp.stage_input_b = layer.inputs.size() > 1 && plan_.homes.at(layer.inputs[1]).memory == isa::pulp::MEMORY_L3;

    // The output's home: L2 when that leaves room for the layer's smallest working set. A
    // concat input's is a slice of the concat's home, placed so when its first input is produced.
    const auto slice = mapping_.slices.find(layer.output);
    OutputPlace out;
    out.is_slice = slice != mapping_.slices.end();
    out.placed = out.is_slice ? slice->second.concat : layer.output;
    const std::uint64_t out_bytes = hwc_bytes(graph_.tensor(out.placed));
    if (fused_.count(i) != 0) {
      // The fused pair's intermediate: row tiles in L1, never a whole tensor anywhere.
      plan_.homes[out.placed] = TensorHome{isa::pulp::MEMORY_L1, 0, out_bytes};
    } else if (plan_.homes.count(out.placed) == 0) {
      const TensorHome& in_home = plan_.homes.at(layer.inputs[0]);
      const bool input_low = in_home.memory != isa::pulp::MEMORY_L2 ||
                             in_home.address < static_cast<std::uint64_t>(hw_.l2_bytes) / 2;
      if (const auto a = input_low ? l2_.allocate_high(out_bytes) : l2_.allocate(out_bytes);
          a && l2_.largest_free() >= smallest_working_set(lp)) {
        plan_.homes[out.placed] = TensorHome{isa::pulp::MEMORY_L2, *a, out_bytes};
        activations_held(out_bytes);
      } else {
        if (a) l2_.release(*a, out_bytes);
        plan_.homes[out.placed] = home_in_l3(out_bytes);
      }
    }
    out.out_home = out.is_slice ? slice_home(layer.output, slice->second) : plan_.homes.at(out.placed);
    lp.stage_output = out.out_home.memory == isa::pulp::MEMORY_L3;
    if (tiles_itself(s.kind) && (lp.stage_output || lp.stage_input || lp.stage_input_b)) {
      std::uint64_t bytes = out_bytes;
      for (const int t : layer.inputs) {
        if (!graph_.tensor(t).is_constant()) bytes += plan_.homes.at(t).bytes;
      }
      throw OperandsOutsideL2(layer.name, s.kind, hw_.l2_bytes, hw_.l2_bytes + static_cast<std::int64_t>(bytes));
    }
    plan_.homes[layer.output] = out.out_home;
    return out;
  }

  // The L2 a layer needs beside its output at the least: a few channels' weights, its table,
  // one row of each staged input.
  std::uint64_t smallest_working_set(const LayerPlan& lp) const {
    const LayerShape& s = lp.shape;
    const std::uint64_t channel_bytes = lp.weights_per_channel + 4;  // + int32 bias
    const std::uint64_t min_weights =
        lp.has_weights && !lp.weights_prefetched
            ? channel_bytes * std::min<std::uint64_t>(s.c_out, std::max(8u, channel_unit(s)))
            : 0;
    return l2_.aligned(min_weights) + l2_.aligned(table_bytes(s)) +
           (lp.stage_input ? l2_.aligned(staged_input_bytes(lp, 1)) : 0) +
           (lp.stage_input_b ? l2_.aligned(staged_input_b_bytes(lp, 1)) : 0);
  }

  // Weights: the whole layer's when they fit, else chunks of output channels (of a grouped
  // conv, whole groups: the L1 tiles of a chunk hold whole groups). A table: one L2 buffer.
  void place_layer_weights(std::size_t i, bool staged) {
    const PLayer& layer = mapping_.layers[i];
    LayerPlan& lp = plan_.layers[i];
    const LayerShape& s = lp.shape;
    const std::uint64_t channel_bytes = lp.weights_per_channel + 4;  // + int32 bias
    const std::uint32_t unit = channel_unit(s);
    lp.chunk_c_out = s.c_out;
    if (lp.weights_prefetched) {
      // The buffer the previous layer filled holds all of them.
    } else if (lp.has_weights) {
      const std::uint64_t free_bytes = l2_.largest_free();
      const std::uint64_t weight_budget = staged ? free_bytes / 2 : free_bytes;
      const std::uint64_t fit = weight_budget / l2_.aligned(channel_bytes);
      const auto whole_units = [&](std::uint64_t channels) { return channels / unit * unit; };
      if (fit < unit) {
        const std::uint64_t unit_bytes = channel_bytes * unit;
        const std::string what = unit > 1 ? fmt::format("one group's weights ({} output channels, {} bytes)", unit,
                                                        unit_bytes)
                                          : fmt::format("one output channel's weights ({} bytes)", unit_bytes);
        throw UserError(fmt::format(
            "layer '{}': {} do not fit the {} bytes of L2 left beside the live activations (l2_bytes {}); use --set "
            "l2_bytes={} or more",
            layer.name, what, weight_budget, hw_.l2_bytes,
            hw_.l2_bytes + static_cast<std::int64_t>(unit_bytes * (staged ? 2 : 1) + 4096)));
      }
      lp.chunk_c_out = static_cast<std::uint32_t>(whole_units(std::min<std::uint64_t>(s.c_out, fit)));
      // Chunked: two buffers of half the size, when a channel (a group) still fits in each.
      lp.weights_double_buffered = lp.chunk_c_out < s.c_out && options_.weight_prefetch && fit / 2 >= unit;
      if (lp.weights_double_buffered) lp.chunk_c_out = static_cast<std::uint32_t>(whole_units(fit / 2));
      lp.weights_buffer_bytes = channel_bytes * lp.chunk_c_out;
      lp.weights_address = *l2_.allocate(lp.weights_buffer_bytes);
      if (lp.weights_double_buffered) lp.weights_address_alt = *l2_.allocate(lp.weights_buffer_bytes);
    }

    if (lp.has_table) {
      const auto table = l2_.allocate(table_bytes(s));
      if (!table) {
        throw UserError(fmt::format("layer '{}': its {}-byte table does not fit the L2 left beside the live "
                                    "activations (l2_bytes {}); use --set l2_bytes={} or more",
                                    layer.name, table_bytes(s), hw_.l2_bytes,
                                    hw_.l2_bytes + static_cast<std::int64_t>(table_bytes(s)) + 4096));
      }
      lp.weights_address = *table;
      lp.weights_buffer_bytes = table_bytes(s);
    }
  }

  // L3 chunks of output rows of a staged layer: as many as the staging buffers can hold.
  std::uint32_t staged_rows(std::size_t i) {
    const PLayer& layer = mapping_.layers[i];
    LayerPlan& lp = plan_.layers[i];
    const LayerShape& s = lp.shape;
    std::uint32_t rows = s.h_out;
    const std::uint64_t room = l2_.largest_free();
    const auto staging = [&](std::uint32_t r) {
      return (lp.stage_output ? l2_.aligned(std::uint64_t{r} * s.w_out * lp.chunk_c_out) : 0) +
             (lp.stage_input ? l2_.aligned(staged_input_bytes(lp, r)) : 0) +
             (lp.stage_input_b ? l2_.aligned(staged_input_b_bytes(lp, r)) : 0);
    };
    while (rows > 0 && staging(rows) > room) --rows;
    if (rows == 0 && !lp.has_weights && !isa::pulp::is_matmul(s.kind) && s.kind != isa::pulp::KERNEL_GROUPED_CONV &&
        s.kind != isa::pulp::KERNEL_GATHER && s.kind != isa::pulp::KERNEL_SOFTMAX &&
        s.kind != isa::pulp::KERNEL_LAYERNORM) {
      // One row of every channel is too much (the global pool of a squeeze-and-excitation
      // block on a large map): chunks of channels, each staging its own channels' rows (a
      // strided uDMA copy), then as many rows as still fit.
      lp.stage_channel_slices = true;
      rows = 1;
      while (lp.chunk_c_out > 1 && staging(rows) > room) --lp.chunk_c_out;
      if (staging(rows) > room) {
        rows = 0;
      } else {
        while (rows < s.h_out && staging(rows + 1) <= room) ++rows;
      }
    }
    if (rows == 0) {
      throw UserError(fmt::format(
          "layer '{}': its tensors are in L3 and one output row of {} ({} bytes of staging) does not fit the {} "
          "bytes of L2 left (l2_bytes {}); use --set l2_bytes={} or more",
          layer.name, lp.stage_channel_slices ? "one channel of them" : "them", staging(1), room, hw_.l2_bytes,
          hw_.l2_bytes + static_cast<std::int64_t>(staging(1) - room) + 4096));
    }
    return rows;
  }

  // A layer no tiling fits: the error names the budget with which every layer of the network
  // compiles, not only this one.
  UserError whole_network_budget(const UserError& e) const {
    std::uint64_t needed = 0;
    for (std::size_t j = 0; j < n_; ++j) {
      needed = std::max(needed, tiles_itself(shapes_[j].kind) ? smallest_self_tile_bytes(graph_, mapping_.layers[j])
                                                               : smallest_tile(shapes_[j], hw_).total_bytes);
    }
    return UserError(fmt::format("{}. The network compiles with --set l1_tile_budget_bytes={} or more", e.what(),
                                 needed));
  }

  // L1 tiles of one chunk of `rows` output rows, then chunks made a whole number of tile rows.
  void choose_layer_tiling(std::size_t i, std::uint32_t rows) {
    const PLayer& layer = mapping_.layers[i];
    LayerPlan& lp = plan_.layers[i];
    const LayerShape& s = lp.shape;
    if (tiles_itself(s.kind)) {
      // Its own tiling (compiler/pulp/self_tiled_layers.h); one chunk, timed as emitted.
      lp.chunk_h_out = s.h_out;
      try {
        lp.tile = choose_self_tiling(graph_, layer, hw_);
      } catch (const UserError& e) {
        throw whole_network_budget(e);
      }
      lp.tile.predicted_cycles = perf::pulp::layer_cycles(emit_layer(graph_, layer, lp, plan_, options_.tiler), hw_);
      return;
    }
    // One chunk of `rows` output rows and `c_out` output channels, as the L1 tiler sees it.
    const auto chunk_of = [&](std::uint32_t c_out) {
      LayerShape chunk = s;
      chunk.h_out = rows;
      chunk.h_in = max_input_rows(s, rows);
      chunk.c_out = c_out;
      if (s.kind == isa::pulp::KERNEL_MUL && s.b_h != 1) chunk.b_h = rows;
      if (s.kind == isa::pulp::KERNEL_GROUPED_CONV) {
        chunk.groups = chunk.c_out / s.group_c_out();
        chunk.c_in = chunk.groups * s.group_c_in();
      } else if (!isa::pulp::is_matmul(s.kind) && s.kind != isa::pulp::KERNEL_GATHER) {
        chunk.c_in = chunk.c_out;
      }
      return chunk;
    };
    // DORY's tiling; with the cost and energy objectives, the candidates the model predicts
    // best are emitted and timed on the predictor's timeline (perf/pulp/timeline), ranked by the
    // objective's figure, and the referee measures DORY's and the best few (measure_candidates).
    const auto timed = [&](const TileChoice& tile, std::uint32_t chunk_c_out) {
      LayerPlan trial = lp;
      trial.tile = tile;
      trial.chunk_c_out = chunk_c_out;
      trial.chunk_h_out = rows < s.h_out ? rows / tile.h_out * tile.h_out : s.h_out;
      trial.tile.predicted_cycles =
          perf::pulp::layer_cycles(emit_layer(graph_, layer, trial, plan_, options_.tiler), hw_);
      return trial;
    };
    TileChoice dory_tile;
    try {
      dory_tile = choose_tiling(chunk_of(lp.chunk_c_out), hw_, TilerObjective::Dory, layer.name);
    } catch (const UserError& e) {
      throw whole_network_budget(e);
    }
    if (options_.tiler == TilerObjective::Dory) {
      const LayerPlan chosen = timed(dory_tile, lp.chunk_c_out);
      lp.tile = chosen.tile;
      lp.chunk_h_out = chosen.chunk_h_out;
      return;
    }
    // The cost and energy objectives start from DORY's tile shapes on our HWC kernels; DORY's
    // channel-major depthwise and layer loop are its own code's (TileChoice).
    const auto on_our_kernels = [](TileChoice tile) {
      tile.depthwise_chw = false;
      tile.dory_tile_loop = false;
      return tile;
    };
    dory_tile = on_our_kernels(dory_tile);
    std::vector<LayerPlan> trials{timed(dory_tile, lp.chunk_c_out)};
    for (const std::uint32_t chunk_c_out : weight_chunk_sizes(lp, trials.front().tile.predicted_cycles)) {
      const LayerShape chunk = chunk_of(chunk_c_out);
      const bool dorys_chunk = chunk_c_out == lp.chunk_c_out;
      std::vector<TileChoice> candidates{dory_tile};
      if (!dorys_chunk) {
        try {
          candidates.front() = on_our_kernels(choose_tiling(chunk, hw_, TilerObjective::Dory, layer.name));
        } catch (const UserError&) {
          continue;  // no tiling of this chunk fits L1; the larger ones did
        }
      }
      // A smaller chunk's DORY tile and its two best predicted: the chunk size is the choice
      // here, and timing every candidate of every size would multiply compile time.
      for (const TileChoice& candidate : cost_candidates(chunk, hw_, candidates.front(),
                                                         dorys_chunk ? kTimedCandidates : kChunkTimedCandidates)) {
        candidates.push_back(candidate);
      }
      for (const TileChoice& candidate : candidates) {
        const bool known = std::any_of(trials.begin(), trials.end(), [&](const LayerPlan& trial) {
          return trial.chunk_c_out == chunk_c_out && same_tiling(trial.tile, candidate, chunk.c_in);
        });
        if (!known) trials.push_back(timed(candidate, chunk_c_out));
      }
    }
    std::optional<isa::pulp::Layer> fused_before;
    if ((i >= 2 && plan_.layers[i - 2].fused_with_next) || ends_stage(i - 1)) fused_before = emitted_before(i);
    const TrialChoice choice =
        choose_trial({graph_, layer, i > 0 ? &mapping_.layers[i - 1] : nullptr, i > 0 ? &plan_.layers[i - 1] : nullptr,
                      plan_, config_, options_, measurable() && !in_fused_pair(i) && !in_stage(i) ? referee_ : nullptr,
                      fused_before ? &*fused_before : nullptr},
                     trials);
    plan_.tilings_measured += choice.measured;
    if (choice.overruled_predictor) ++plan_.layers_overruling_predictor;
    const LayerPlan& chosen = trials[choice.index];
    lp.tile = chosen.tile;
    lp.chunk_c_out = chosen.chunk_c_out;
    lp.chunk_h_out = chosen.chunk_h_out;
  }

  // The chunks of output channels tiler=cost/energy tries for a layer whose weights come from L3
  // double-buffered: DORY's (the most channels two L2 buffers hold), then halves of it, in whole
  // channel units. With n chunks each loading in L and computing in C cycles, the layer takes
  // about L + (n - 1) max(L, C) + C: k times smaller chunks save min(L, C) (1 - 1/k), so they are
  // tried only where min(L, C) of DORY's chunk is at least kLeastWeightChunkGain of the layer's
  // `predicted` cycles (L: the chunk's bytes at l3_bytes_per_cycle; C: its share of them), at
  // the price of more uDMA copies and kernel calls. The buffers keep DORY's size (a smaller chunk
  // fills part of each), so every trial has the same L2 around it.
  std::vector<std::uint32_t> weight_chunk_sizes(const LayerPlan& lp, std::uint64_t predicted) const {
    std::vector<std::uint32_t> sizes{lp.chunk_c_out};
    const bool staged = lp.stage_output || lp.stage_input || lp.stage_input_b;
    if (!lp.weights_double_buffered || staged || hw_.l3_bytes_per_cycle <= 0) return sizes;
    const double load = static_cast<double>(lp.weights_buffer_bytes) / hw_.l3_bytes_per_cycle;
    const double compute = static_cast<double>(predicted) * lp.chunk_c_out / lp.shape.c_out;
    if (std::min(load, compute) < kLeastWeightChunkGain * static_cast<double>(predicted)) return sizes;
    const std::uint32_t unit = channel_unit(lp.shape);
    for (int halving = 1; halving <= kWeightChunkHalvings; ++halving) {
      const std::uint32_t size = (lp.chunk_c_out >> halving) / unit * unit;
      if (size < unit || size == sizes.back() || (lp.shape.c_out + size - 1) / size > kMostWeightChunks) break;
      sizes.push_back(size);
    }
    return sizes;
  }

  // The layer the network runs before mapping layer i, as emitted: the patch stage or a fused
  // pair whose last layer is i - 1, or layer i - 1 as planned; none before the first.
  std::optional<isa::pulp::Layer> emitted_before(std::size_t i) const {
    if (i == 0) return std::nullopt;
    if (ends_stage(i - 1)) return emit_patch_stage(graph_, mapping_, plan_, options_.tiler);
    if (i >= 2 && plan_.layers[i - 2].fused_with_next) {
      return emit_fused_pair(graph_, mapping_.layers[i - 2], plan_.layers[i - 2], mapping_.layers[i - 1],
                             plan_.layers[i - 1], plan_, plan_.layers[i - 2].fused, options_.tiler, hw_);
    }
    return emit_layer(graph_, mapping_.layers[i - 1], plan_.layers[i - 1], plan_, options_.tiler);
  }

  // The referee runs a layer on the hardware as configured: not while the plan already needs
  // more L3 than there is (the plan then fails in check_l3_sizes, naming the key).
  bool measurable() const {
    return l3_next_ <= static_cast<std::uint64_t>(hw_.l3_bytes) &&
           plan_.l3_image.size() <= static_cast<std::uint64_t>(hw_.l3_flash_bytes);
  }

  std::uint64_t staged_output_bytes(const LayerPlan& lp) const {
    return std::uint64_t{lp.chunk_h_out} * lp.shape.w_out * lp.chunk_c_out;
  }

  void allocate_staging(LayerPlan& lp) {
    if (lp.stage_output) lp.stage_output_address = *l2_.allocate(staged_output_bytes(lp));
    if (lp.stage_input) lp.stage_input_address = *l2_.allocate(staged_input_bytes(lp, lp.chunk_h_out));
    if (lp.stage_input_b) lp.stage_input_b_address = *l2_.allocate(staged_input_b_bytes(lp, lp.chunk_h_out));
  }

  // The next layer's weights, loaded while this one computes, when they fit beside its output.
  void prefetch_next_weights(std::size_t i) {
    if (i + 1 >= n_ || !options_.weight_prefetch) return;
    LayerPlan& next = plan_.layers[i + 1];
    const std::uint64_t next_all = whole_weights_bytes(next);
    const std::uint64_t next_out = hwc_bytes(graph_.tensor(mapping_.layers[i + 1].output));
    if (next.has_weights && l2_.largest_free() >= l2_.aligned(next_all) + l2_.aligned(next_out)) {
      next.weights_address = *l2_.allocate(next_all);
      next.weights_buffer_bytes = next_all;
      next.weights_prefetched = true;
    }
  }

  // Free what this layer no longer needs.
  void release_after(std::size_t i, const OutputPlace& out) {
    const LayerPlan& lp = plan_.layers[i];
    if (lp.has_weights) l2_.release(lp.weights_address, lp.weights_buffer_bytes);
    if (lp.weights_double_buffered) l2_.release(lp.weights_address_alt, lp.weights_buffer_bytes);
    if (lp.stage_output) l2_.release(lp.stage_output_address, staged_output_bytes(lp));
    if (lp.stage_input) l2_.release(lp.stage_input_address, staged_input_bytes(lp, lp.chunk_h_out));
    if (lp.stage_input_b) l2_.release(lp.stage_input_b_address, staged_input_b_bytes(lp, lp.chunk_h_out));
    if (lp.has_table) l2_.release(lp.weights_address, lp.weights_buffer_bytes);
    std::set<int> released;  // two inputs may share a buffer
    for (const int t : mapping_.layers[i].inputs) {
      const int owner = owner_of(t);
      const auto& home = plan_.homes.at(owner);
      if (last_use_.at(owner) == i && home.memory == isa::pulp::MEMORY_L2 && released.insert(owner).second) {
        l2_.release(home.address, home.bytes);
        activations_held(-static_cast<std::int64_t>(home.bytes));
      }
    }
    if (last_use_.count(out.placed) == 0 && out.out_home.memory == isa::pulp::MEMORY_L2 && !out.is_slice) {
      l2_.release(out.out_home.address, out.out_home.bytes);  // read by nobody (a dead branch)
      activations_held(-static_cast<std::int64_t>(out.out_home.bytes));
    }
  }

  void check_l3_sizes() {
    plan_.l2_high_water = l2_.high_water();
    plan_.l3_bytes_used = l3_next_;
    plan_.l3_image_address = static_cast<std::uint64_t>(hw_.l3_bytes);
    if (plan_.l3_bytes_used > static_cast<std::uint64_t>(hw_.l3_bytes)) {
      throw UserError(fmt::format("the activations that do not fit L2 need {} bytes of L3 RAM, more than l3_bytes {}; "
                                  "use --set l3_bytes={} or more (or more L2)",
                                  plan_.l3_bytes_used, hw_.l3_bytes, plan_.l3_bytes_used));
    }
    if (plan_.l3_image.size() > static_cast<std::uint64_t>(hw_.l3_flash_bytes)) {
      throw UserError(fmt::format("the weights need {} bytes of L3 flash, more than l3_flash_bytes {}; use --set "
                                  "l3_flash_bytes={} or more",
                                  plan_.l3_image.size(), hw_.l3_flash_bytes, plan_.l3_image.size()));
    }
  }

  const std::set<std::size_t>& fused_;
  std::optional<StageExtent> stage_extent_;
  const QGraph& graph_;
  const LayerMapping& mapping_;
  const HwConfig& config_;
  const PulpParams& hw_;
  const CompileOptions& options_;
  const TilingReferee* referee_;
  MemoryPlan plan_;
  FirstFitAllocator l2_;
  std::size_t n_;
  std::map<int, std::size_t> last_use_;
  std::vector<LayerShape> shapes_;
  std::uint64_t l3_next_ = 0;
  OutputPlace deferred_release_;  // a fused depthwise layer's, released after the pointwise layer
  std::set<std::size_t> infeasible_;  // fused pairs that cannot run fused as planned
  std::uint64_t activations_in_l2_ = 0;
};

}  // namespace

MemoryPlan plan_memory(const QGraph& graph, const LayerMapping& mapping, const HwConfig& config,
                       const CompileOptions& options, const TilingReferee* referee,
                       const std::set<std::size_t>& fused, const std::optional<StageExtent>& stage) {
  return MemoryPlanner(graph, mapping, config, options, referee, fused, stage).run();
}

FusionInfeasible::FusionInfeasible(std::set<std::size_t> depthwise_layers)
    : std::runtime_error(fmt::format("{} pair(s) cannot run fused", depthwise_layers.size())),
      depthwise(std::move(depthwise_layers)) {}

}  // namespace wb::pulp
