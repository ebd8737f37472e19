#pragma once
// The SystemC model of one xDNN processing element (DESIGN.md §5, docs/xdnn.md): an
// instruction controller that issues in order and honours the dependency flags; the
// systolic array (convs, pipelined pools); the pool/eltwise block; a DDR engine whose
// upload, download and weight-load queues share one bandwidth-limited channel; a host
// model for what the overlay cannot run (convs beyond the array, FC, lookup tables,
// multiplies). Memories (AM, DDR, filter cache) are byte arrays the instructions really
// read and write in the hardware layout; the outputs are read back from them.
//
// DDR is a TLM-2.0 target (docs/tlm.md): by default today's bandwidth-and-latency channel,
// or a model the user binds with bind_ddr_model().
//
// This code shares no arithmetic with compiler/golden: bit-exactness against it means
// something. It only uses isa/ (the program format and its layout arithmetic).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "isa/hw_config.h"
#include "sim/common/bandwidth_port.h"
#include "sim/common/memory_target.h"
#include "sim/common/sim_types.h"
#include "sim/xdnn/card.h"
#include "sim/xdnn/time_attribution.h"
#include "isa/xdnn.pb.h"

namespace wb::sim::xdnn {

using wb::sim::IntTensor;
using wb::sim::SimOptions;

struct UnitStats {
  std::string unit;  // array, pool_eltwise, ddr_upload, ddr_download, weight_loader, host
  std::uint64_t instructions = 0, busy_cycles = 0, stall_cycles = 0, bytes = 0;
};

struct LayerStats {
  std::string name, type;
  std::string unit;  // Program.Layer.unit: what runs it (array, pool, eltwise, ddr, host)
  std::uint64_t macs = 0, ops = 0;
  // Its span: from the controller reaching its first instruction to its last completion. Layers
  // overlap (weights prefetched, branches), so the spans may add up to more than the run.
  std::uint64_t cycles = 0;
  std::uint64_t start_cycle = 0, end_cycle = 0;  // the span's ends
  LayerTime time;                                // the span cut into causes (time_attribution.h)
  std::uint64_t array_busy_cycles = 0, pool_busy_cycles = 0, ddr_busy_cycles = 0;
  std::uint64_t stall_cycles = 0;  // cycles its instructions waited at the controller on dependency flags
  // ddr_weight_bytes: weights it loaded from DDR, into the filter cache or staged in AM for it.
  std::uint64_t ddr_weight_bytes = 0, ddr_read_bytes = 0, ddr_write_bytes = 0;
  std::uint64_t am_weight_bytes = 0;  // weights it loaded into the filter cache from AM (staged there)
  // Of ddr_read_bytes + ddr_write_bytes, the copies marked intermediate (xfDNN's moveops).
  std::uint64_t ddr_intermediate_bytes = 0;
  std::uint64_t instructions = 0, tiles = 0;  // tiles: conv, pool and eltwise instructions
  std::uint64_t host_cycles = 0;
  // Its array convs' MACs and the MACs the array could have done in their passes (fill
  // aside): array_macs / array_mac_slots is the share of the array its shape can use.
  std::uint64_t array_macs = 0, array_mac_slots = 0;
  // What the energy model charges (perf/energy), counted as its instructions ran: bytes read
  // from and written to Active Memory (by the array, the pool/eltwise block, the DDR engines
  // and weight loads from AM), bytes written into and read out of the filter cache, and the
  // elements the pool/eltwise block produced.
  std::uint64_t am_read_bytes = 0, am_write_bytes = 0;
  std::uint64_t filter_cache_write_bytes = 0, filter_cache_read_bytes = 0;
  std::uint64_t pool_eltwise_elements = 0;
  // Its bounds (docs/report.md, "Bounds"): the most work any one unit did for it at its peak
  // (array convs without the fill, pool/eltwise and host instructions as timed), and the DDR
  // channel's cycles and bytes of its transfers that fell within its span (weights prefetched
  // before it cost it nothing).
  std::uint64_t compute_bound_cycles = 0, ddr_bound_cycles = 0, ddr_bound_bytes = 0;
  // Of the array's part of that work, the pass cycles its convs' shapes leave the array's MAC
  // slots empty (grouped convs, channels short of the rows): passes x (1 - MACs / slots).
  std::uint64_t mapping_loss_cycles = 0;
};

struct SimResult {
  std::uint64_t total_cycles = 0;
  double clock_mhz = 0;
  std::uint64_t host_cycles = 0;
  std::uint64_t overlapped_cycles = 0;  // the layers' spans added up, minus their union
  // The one DDR channel the copies and streamed inputs share, as the DDR engine saw it (RunState).
  BandwidthPortStats ddr_channel;
  std::uint64_t compute_bound_cycles = 0;  // the most work any one unit did over the run, at its peak
  std::uint64_t mapping_loss_cycles = 0;   // the layers' mapping_loss_cycles over the whole run
  std::vector<LayerStats> layers;  // in Program.layers order
  std::vector<UnitStats> units;
  std::vector<IntTensor> outputs;                  // Program.outputs of the last image (empty with data = false)
  // The image stream (SimOptions::images): per image, the cycle its first instruction issued
  // and its last completed, and its outputs (with data). The layers' statistics are the last
  // image's; total_cycles is the whole stream's.
  std::vector<std::uint64_t> image_begin, image_end;
  std::vector<std::vector<IntTensor>> image_outputs;
  // The card (HwConfig pes): its images' completions, its shared stages, what binds it. With
  // pes > 1 image_begin, image_end and image_outputs are PE 0's images (image_outputs: every
  // PE's, PE 0's last).
  CardStats card;
  std::map<std::string, IntTensor> layer_outputs;  // by Layer.output (a merged conv: by each part's), with capture_layer_outputs
};

// The checks simulate() makes before it runs anything, without allocating the memories: every
// region, copy, window, requant and table inside its memory and its bounds, every instruction's
// layer listed, the inputs' and outputs' shapes their regions'. UserError naming the field.
void validate_program(const isa::xdnn::Program& program, const HwConfig& config);

// Binds `factory`'s target to the overlay's DDR socket instead of the default channel
// (docs/tlm.md, "Binding another model"). The overlay elaborates, and binds, at the first
// simulate() of the process: std::logic_error after that.
void bind_ddr_model(MemoryModelFactory factory);

// The default DDR target's channel for `config`: ddr_gbps x ddr_efficiency bytes per second at
// clock_mhz, ddr_latency_ns after the last byte (docs/xdnn.md, "Timing model"). A bound model
// may wrap a BandwidthTarget configured with it.
BandwidthPortParams ddr_channel_params(const HwConfig& config);

// Builds the overlay's SystemC modules now, unless they exist or a DDR model is bound (its
// factory takes the first run's config; the modules are then built by that run). SystemC
// elaborates once per process, before its first simulation: a process that runs both targets
// (the Python module) builds both simulators' modules before either runs.
void elaborate_ahead();

// Runs a program. The caller checks that it was compiled for `config`
// (isa::xdnn::check_program_matches). A malformed instruction (a region outside its memory,
// an unsupported conv, a race between units the flags do not order) is a UserError naming
// the instruction. Can be called many times per process: the SystemC modules are elaborated
// once and take their parameters from each run.
SimResult simulate(const isa::xdnn::Program& program, const HwConfig& config, const std::vector<IntTensor>& inputs,
                   const SimOptions& options);

}  // namespace wb::sim::xdnn
