#include "compiler/pulp/patch_stage.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/pulp/emit_network.h"
#include "compiler/pulp/self_tiled_layers.h"
#include "compiler/pulp/tile_geometry.h"
#include "compiler/quant/qgraph_queries.h"

namespace wb::pulp {

namespace {

// The stage layer (index into the stage) writing each tensor made inside it.
std::map<int, std::size_t> stage_producers(const LayerMapping& mapping, StageExtent extent) {
  std::map<int, std::size_t> producers;
  for (std::size_t i = extent.first; i <= extent.last; ++i) producers[mapping.layers[i].output] = i - extent.first;
  return producers;
}

bool is_network_output(const quant::QGraph& graph, const LayerMapping& mapping, int tensor) {
  return std::any_of(graph.outputs.begin(), graph.outputs.end(),
                     [&](int o) { return resolve_alias(mapping, o) == tensor; });
}

// How many of the first layers may run in a stage (patch_stage_extent's rules).
std::size_t stage_prefix(const quant::QGraph& graph, const LayerMapping& mapping, const MemoryPlan& apart) {
  std::vector<bool> made(graph.tensors.size(), false);
  std::size_t prefix = 0;
  for (; prefix < mapping.layers.size(); ++prefix) {
    const PLayer& layer = mapping.layers[prefix];
    const bool inputs_ok = std::all_of(layer.inputs.begin(), layer.inputs.end(), [&](int t) {
      if (made[static_cast<std::size_t>(t)]) return true;
      const bool network_input = std::find(graph.inputs.begin(), graph.inputs.end(), t) != graph.inputs.end();
      return network_input && apart.homes.at(t).memory == isa::pulp::MEMORY_L2;
    });
    if (!runs_in_patch_stage(layer.kind) || !inputs_ok || mapping.slices.count(layer.output) != 0) break;
    made[static_cast<std::size_t>(layer.output)] = true;
    if (is_network_output(graph, mapping, layer.output)) return prefix + 1;  // it may end a stage only
  }
  return prefix;
}

}  // namespace

bool runs_in_patch_stage(isa::pulp::KernelKind kind) {
  return !tiles_itself(kind) && (kind == isa::pulp::KERNEL_CONV || kind == isa::pulp::KERNEL_DEPTHWISE ||
                                 kind == isa::pulp::KERNEL_POINTWISE || kind == isa::pulp::KERNEL_GROUPED_CONV ||
                                 kind == isa::pulp::KERNEL_ADD || kind == isa::pulp::KERNEL_LUT ||
                                 kind == isa::pulp::KERNEL_MAXPOOL || kind == isa::pulp::KERNEL_AVGPOOL);
}

std::vector<StageExtent> patch_stage_extents(const quant::QGraph& graph, const LayerMapping& mapping,
                                            const MemoryPlan& apart, std::uint64_t l2_bytes) {
  const std::size_t n = mapping.layers.size();
  const std::size_t prefix = stage_prefix(graph, mapping, apart);
  std::optional<std::size_t> first_reader, last_reader;
  for (std::size_t i = 0; i < prefix; ++i) {
    if (!apart.layers[i].stage_input && !apart.layers[i].stage_input_b) continue;
    if (!first_reader) first_reader = i;
    last_reader = i;
  }
  if (!last_reader) return {};
  // Whether a tensor the stage [0, e] makes is read after it.
  const auto read_after = [&](std::size_t e) {
    for (std::size_t i = 0; i < e; ++i) {
      const int t = mapping.layers[i].output;
      if (is_network_output(graph, mapping, t)) return true;
      for (std::size_t j = e + 1; j < n; ++j) {
        const auto& inputs = mapping.layers[j].inputs;
        if (std::find(inputs.begin(), inputs.end(), t) != inputs.end()) return true;
      }
    }
    return false;
  };
  // What a stage [0, e] holds in L2 at least: the network inputs it reads, its output, every
  // weight and table of its layers (its rings come on top).
  const auto resident_bytes = [&](std::size_t e) {
    std::set<int> inputs;
    std::uint64_t bytes = hwc_bytes(graph.tensor(mapping.layers[e].output));
    for (std::size_t i = 0; i <= e; ++i) {
      const LayerPlan& lp = apart.layers[i];
      if (lp.has_weights) bytes += whole_weights_bytes(lp);
      bytes += table_bytes(lp.shape);
      for (const int t : mapping.layers[i].inputs) {
        if (std::find(graph.inputs.begin(), graph.inputs.end(), t) != graph.inputs.end()) inputs.insert(t);
      }
    }
    for (const int t : inputs) bytes += hwc_bytes(graph.tensor(t));
    return bytes;
  };
  std::vector<std::size_t> ends;  // every end that takes at least one layer reading from L3
  for (std::size_t e = std::max<std::size_t>(*first_reader, 1); e < prefix; ++e) {
    if (!read_after(e)) ends.push_back(e);
  }
  // Preferred: the first end at or after the last reader, then on while the next end makes a
  // smaller output (the stage's output is homed whole in L2, beside the rings).
  const auto output_elements = [&](std::size_t i) {
    return quant::element_count(graph.tensor(mapping.layers[i].output));
  };
  const auto covering = std::lower_bound(ends.begin(), ends.end(), *last_reader);
  std::vector<StageExtent> extents;
  std::size_t widest = 0;
  if (covering != ends.end()) {
    widest = *covering;
    for (auto next = covering + 1; next != ends.end() && output_elements(*next) < output_elements(widest); ++next) {
      widest = *next;
    }
    if (resident_bytes(widest) <= l2_bytes) extents.push_back(StageExtent{0, widest});
  }
  // Then the narrower ends, widest first: they keep some of the L3 traffic but may fit L2.
  for (auto end = ends.rbegin(); end != ends.rend(); ++end) {
    if ((covering == ends.end() || *end < widest) && resident_bytes(*end) <= l2_bytes) {
      extents.push_back(StageExtent{0, *end});
    }
  }
  return extents;
}

std::optional<StageExtent> patch_stage_extent(const quant::QGraph& graph, const LayerMapping& mapping,
                                              const MemoryPlan& apart, std::uint64_t l2_bytes) {
  const std::vector<StageExtent> extents = patch_stage_extents(graph, mapping, apart, l2_bytes);
  if (extents.empty()) return std::nullopt;
  return extents.front();
}

std::vector<std::vector<BandRows>> stage_band_rows(const LayerMapping& mapping, const std::vector<LayerShape>& shapes,
                                                   StageExtent extent, std::uint32_t band_rows) {
  const std::size_t count = extent.last - extent.first + 1;
  const std::map<int, std::size_t> producers = stage_producers(mapping, extent);
  const std::uint32_t height = shapes[extent.last].h_out;
  const std::uint32_t bands = (height + band_rows - 1) / band_rows;
  std::vector<std::vector<BandRows>> rows(count, std::vector<BandRows>(bands));
  for (std::uint32_t b = 0; b < bands; ++b) {
    // Last to first: a layer needs the rows its consumers' new rows read; of those it computes
    // the ones no band before computed, and only their windows are read from its inputs.
    std::vector<std::optional<BandRows>> need(count);
    need[count - 1] = BandRows{b * band_rows, std::min(height, (b + 1) * band_rows), 0};
    for (std::size_t k = count; k-- > 0;) {
      const std::uint32_t done = b == 0 ? 0 : rows[k][b - 1].need_end;
      BandRows r = need[k] ? *need[k] : BandRows{done, done, 0};  // read by no layer in this band
      r.need_end = std::max(r.need_end, done);
      r.need_begin = std::min(r.need_begin, r.need_end);
      r.new_begin = std::max(r.need_begin, done);
      rows[k][b] = r;
      if (r.new_rows() == 0) continue;
      const PLayer& layer = mapping.layers[extent.first + k];
      const TileWindow window = row_window(shapes[extent.first + k], r.new_begin, r.new_rows());
      for (const int t : layer.inputs) {
        const auto producer = producers.find(t);
        if (producer == producers.end()) continue;
        std::optional<BandRows>& in = need[producer->second];
        const std::uint32_t begin = window.in_begin, end = window.in_begin + window.in_size;
        in = in ? BandRows{std::min(in->need_begin, begin), std::max(in->need_end, end), 0} : BandRows{begin, end, 0};
      }
    }
  }
  return rows;
}

namespace {

// Layer i's chunk of band b: its new rows, its inputs read from their rings (or homes), its
// output written to its ring (the last layer's: its home).
BandChunk band_chunk(const LayerMapping& mapping, const MemoryPlan& plan, const std::map<int, std::size_t>& producers,
                     std::size_t i, std::size_t b) {
  const PatchStage& stage = *plan.patch_stage;
  const std::size_t k = i - stage.first;
  const BandRows& r = stage.rows[k][b];
  const PLayer& layer = mapping.layers[i];
  const LayerShape& s = plan.layers[i].shape;
  const auto ring_view = [&](std::size_t j) {
    const LayerShape& p = plan.layers[stage.first + j].shape;
    return L2View{stage.buffers[j], 0, p.w_out, p.c_out, 0, isa::pulp::MEMORY_L2, stage.ring_rows[j]};
  };
  const auto input_view = [&](int t) {
    const auto producer = producers.find(t);
    return producer == producers.end() ? view_of(plan.homes.at(t), s.w_in, s.c_in) : ring_view(producer->second);
  };
  BandChunk chunk;
  chunk.r0 = r.new_begin;
  chunk.rows = r.new_rows();
  chunk.input = input_view(layer.inputs[0]);
  if (layer.inputs.size() > 1) chunk.input_b = input_view(layer.inputs[1]);
  chunk.output = i == stage.last ? view_of(plan.homes.at(layer.output), s.w_out, s.c_out) : ring_view(k);
  chunk.load_weights = b == 0 && !plan.layers[i].weights_prefetched;
  return chunk;
}

}  // namespace

isa::pulp::Layer emit_patch_stage(const quant::QGraph& graph, const LayerMapping& mapping, const MemoryPlan& plan,
                                  TilerObjective objective) {
  const PatchStage& stage = *plan.patch_stage;
  const PLayer& first = mapping.layers[stage.first];
  const PLayer& last = mapping.layers[stage.last];
  const std::map<int, std::size_t> producers = stage_producers(mapping, {stage.first, stage.last});
  isa::pulp::Layer out;
  out.set_name(first.name + ".." + last.name);
  out.set_kind(last.kind);
  out.set_type("patch_stage");
  std::uint64_t macs = 0, ops = 0, predicted = 0, l1 = 0;
  for (std::size_t i = stage.first; i <= stage.last; ++i) {
    macs += mapping.layers[i].macs;
    ops += mapping.layers[i].ops;
    predicted += plan.layers[i].tile.predicted_cycles;
    l1 = std::max(l1, plan.layers[i].tile.total_bytes);
    out.add_fused_layers(mapping.layers[i].name);
  }
  out.set_macs(macs);
  out.set_ops(ops);
  set_layer_output(graph, last.output, plan, out);
  for (std::size_t b = 0; b < stage.bands(); ++b) {
    for (std::size_t i = stage.first; i <= stage.last; ++i) {
      if (stage.rows[i - stage.first][b].new_rows() == 0) continue;
      emit_band_chunk(graph, mapping.layers[i], plan.layers[i], plan, band_chunk(mapping, plan, producers, i, b), out);
    }
  }
  const LayerPlan& last_plan = plan.layers[stage.last];
  isa::pulp::Tiling& t = *out.mutable_tiling();
  t.set_tile_c_out(last_plan.tile.c_out);
  t.set_tile_h_out(last_plan.tile.h_out);
  t.set_tile_w_out(last_plan.tile.w_out);
  t.set_tile_c_in(tile_input_channels(last_plan.shape, last_plan.tile));
  t.set_tiles(static_cast<std::uint64_t>(out.steps_size()));
  t.set_l1_total_bytes(l1);
  t.set_objective(objective_name(objective));
  t.set_parallel(last_plan.tile.parallel);
  t.set_predicted_cycles(predicted);
  t.set_l3_chunks(1);
  t.set_chunk_h_out(stage.band_rows);
  return out;
}

}  // namespace wb::pulp
