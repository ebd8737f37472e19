#pragma once
// How long each unit takes for one instruction (docs/xdnn.md, "Timing model"). Pure
// functions of the instruction and the config, so the cycles never depend on data.

#include <cstdint>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"

namespace wb::sim::xdnn {

// Conv output rows the instruction computes (before a pipelined pool, the conv rows the
// pooled rows need).
std::uint64_t conv_rows_computed(const isa::xdnn::Conv& conv);

// Cycles of a conv on the array: passes over channel sections and column groups, output
// pixels two at a time (int8: two MACs per DSP share a weight), taps (replication folds r
// horizontal taps into one pass), plus the array's fill.
std::uint64_t array_cycles(const isa::xdnn::Conv& conv, const XdnnParams& hw);
// The MACs the array could do in those cycles, fill aside (passes x rows x cols x MACs per
// DSP): conv_macs / array_mac_slots is the share of the array the conv's shape can use
// (SCALE-Sim's mapping efficiency), never above 1.
std::uint64_t array_mac_slots(const isa::xdnn::Conv& conv, const XdnnParams& hw);
// array_cycles without the fill: the conv's MACs at the peak its shape can use (its compute
// bound, docs/report.md "Bounds").
std::uint64_t array_peak_cycles(const isa::xdnn::Conv& conv, const XdnnParams& hw);
std::uint64_t pool_cycles(const isa::xdnn::StandalonePool& pool, const XdnnParams& hw);
std::uint64_t eltwise_cycles(const isa::xdnn::Eltwise& eltwise, const XdnnParams& hw);
// MACs of a conv instruction (the useful ones: of its own groups).
std::uint64_t conv_macs(const isa::xdnn::Conv& conv);
std::uint64_t host_cycles(const isa::xdnn::Conv& conv, const HwConfig& config);
// A Lut, Mul or Softmax on the host: 1 op per output element (a Lut, a Mul) or
// isa::xdnn::kHostSoftmaxOpsPerElement = 4 (a Softmax: max, exp lookup, sum, division), and
// every operand (a broadcast one at its own size) plus the output over the link:
//   ceil((ops / (host_gops * 1e9) + (bytes in + bytes out) / (host_link_gbps * 1e9)) * clock_mhz * 1e6)
std::uint64_t host_elementwise_ops(const isa::xdnn::HostElementwise& host);
std::uint64_t host_elementwise_cycles(const isa::xdnn::HostElementwise& host, const HwConfig& config);
// What a host instruction moves over the host link: the tensors it reads from the card (`in`)
// and the output it writes back (`out`); zero for an instruction the card runs.
struct HostLinkBytes {
  std::uint64_t in = 0, out = 0;
};
HostLinkBytes host_link_bytes(const isa::xdnn::Instr& instr);
// Bytes of the tensor a region holds (no section padding, no replicas): what the host link moves.
std::uint64_t link_tensor_bytes(const isa::xdnn::TensorLayout& layout);

// A weight load from AM (weights staged there): one AM word (`array.rows` bytes) per cycle on
// a read port the array's input reads leave free (AM has am_read_ports):
//   ceil(bytes / array.rows).
std::uint64_t am_weight_load_cycles(const isa::xdnn::Copy& load, const XdnnParams& hw);

double ddr_bytes_per_cycle(const HwConfig& config);
std::uint64_t ddr_latency_cycles(const HwConfig& config);

}  // namespace wb::sim::xdnn
