#include "sim/xdnn/timing.h"

#include <algorithm>
#include <cmath>

#include "isa/xdnn_program.h"
#include "sim/xdnn/host_attention.h"
#include "support/math.h"

namespace wb::sim::xdnn {

std::uint64_t link_tensor_bytes(const isa::xdnn::TensorLayout& l) {
  return std::uint64_t{l.channels()} * l.height() * l.width() * l.element_bytes();
}

std::uint64_t conv_rows_computed(const isa::xdnn::Conv& conv) {
  const std::uint64_t rows = conv.row_end() - conv.row_begin();
  if (!conv.has_pipelined_pool()) return rows;
  const auto& w = conv.pipelined_pool().window();
  // Pooled rows [b, e) need conv rows [b*s - pad, (e-1)*s - pad + k), clipped to the conv output.
  const std::int64_t first = std::int64_t{conv.row_begin()} * w.stride_h() - w.pad_top();
  const std::int64_t last = (std::int64_t{conv.row_end()} - 1) * w.stride_h() - w.pad_top() + w.kernel_h();
  const std::int64_t lo = std::max<std::int64_t>(first, 0);
  const std::int64_t hi = std::min<std::int64_t>(last, conv.conv_height());
  return hi > lo ? static_cast<std::uint64_t>(hi - lo) : 0;
}

namespace {

std::uint64_t macs_per_dsp(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  const bool narrow = conv.input().layout().element_bytes() == 1 && conv.weight_bytes() == 1;
  return static_cast<std::uint64_t>(narrow ? hw.array.macs_per_dsp_int8 : hw.array.macs_per_dsp_int16);
}

// The array's cycles without its fill: passes over channel sections and column groups, output
// pixels m at a time, taps.
std::uint64_t array_pass_cycles(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  const auto& in = conv.input().layout();
  const auto& out = conv.output().layout();
  const std::uint64_t rows = static_cast<std::uint64_t>(hw.array.rows);
  const std::uint64_t cols = static_cast<std::uint64_t>(hw.array.cols);
  const std::uint64_t m = macs_per_dsp(conv, hw);
  const std::uint64_t groups = std::max<std::uint32_t>(conv.groups(), 1);
  const std::uint64_t cin_g = in.channels() / groups;
  const std::uint64_t cout_g = out.channels() / groups;
  const std::uint64_t r = std::max<std::uint32_t>(in.replication(), 1);
  const std::uint64_t pixels = conv_rows_computed(conv) * conv.conv_width();
  const std::uint64_t kh = conv.window().kernel_h();
  const std::uint64_t kw = conv.window().kernel_w();
  if (groups > 1 && cin_g == 1 && cout_g == 1) {
    // Depthwise: each DSP row holds one channel; the columns take different pixels.
    return ceil_div<std::uint64_t>(out.channels(), rows) * ceil_div<std::uint64_t>(pixels, cols * m) * kh * kw;
  }
  const std::uint64_t passes = groups * ceil_div<std::uint64_t>(cin_g * r, rows) * ceil_div<std::uint64_t>(cout_g, cols) *
                               ceil_div<std::uint64_t>(pixels, m) * kh * ceil_div<std::uint64_t>(kw, r);
  // More weights per DSP than its weight memory holds: the array runs at half rate (ML Suite's
  // hardware description: DSPWgtCnt above 64, up to 128).
  const auto depth = static_cast<std::uint64_t>(hw.array.weight_depth);
  const bool half_rate = depth > 0 && isa::xdnn::weights_per_dsp(conv, rows) > depth;
  return half_rate ? 2 * passes : passes;
}

}  // namespace

std::uint64_t array_cycles(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  return array_pass_cycles(conv, hw) + static_cast<std::uint64_t>(hw.array.rows) +
         static_cast<std::uint64_t>(hw.array.cols);
}

std::uint64_t array_peak_cycles(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  return array_pass_cycles(conv, hw);
}

std::uint64_t array_mac_slots(const isa::xdnn::Conv& conv, const XdnnParams& hw) {
  return array_pass_cycles(conv, hw) * static_cast<std::uint64_t>(hw.array.rows) *
         static_cast<std::uint64_t>(hw.array.cols) * macs_per_dsp(conv, hw);
}

std::uint64_t pool_cycles(const isa::xdnn::StandalonePool& pool, const XdnnParams& hw) {
  const auto& out = pool.output().layout();
  const auto& w = pool.pool().window();
  const std::uint64_t taps = std::uint64_t{w.kernel_h()} * w.kernel_w();
  return ceil_div<std::uint64_t>(out.channels(), static_cast<std::uint64_t>(hw.pool_elements_per_cycle)) * out.height() *
         out.width() * ceil_div<std::uint64_t>(taps, static_cast<std::uint64_t>(hw.am_read_ports));
}

std::uint64_t eltwise_cycles(const isa::xdnn::Eltwise& eltwise, const XdnnParams& hw) {
  const auto& out = eltwise.output().layout();
  return ceil_div<std::uint64_t>(out.channels(), static_cast<std::uint64_t>(hw.eltwise_elements_per_cycle)) * out.height() *
         out.width();
}

std::uint64_t conv_macs(const isa::xdnn::Conv& conv) {
  const auto& in = conv.input().layout();
  const auto& out = conv.output().layout();
  const std::uint64_t groups = std::max<std::uint32_t>(conv.groups(), 1);
  return std::uint64_t{out.channels()} * conv_rows_computed(conv) * conv.conv_width() * (in.channels() / groups) *
         conv.window().kernel_h() * conv.window().kernel_w();
}

HostLinkBytes host_link_bytes(const isa::xdnn::Instr& instr) {
  if (instr.has_conv() && instr.conv().on_host()) {
    // The host reads the input the instruction covers and writes its output; its weights stay
    // in host memory.
    return {link_tensor_bytes(instr.conv().input().layout()), link_tensor_bytes(instr.conv().output().layout())};
  }
  if (!instr.has_host_elementwise()) return {};
  const isa::xdnn::HostElementwise& host = instr.host_elementwise();
  // The tables and the requant travel with the instruction; only tensors cross the link.
  HostLinkBytes bytes{link_tensor_bytes(host.a().layout()), link_tensor_bytes(host.output().layout())};
  if (host.kind() == isa::xdnn::HOST_MUL || host.kind() == isa::xdnn::HOST_MATMUL) {
    bytes.in += link_tensor_bytes(host.b().layout());
  }
  // An embedding reads the rows it copies, not its whole table: as many bytes as it writes.
  if (host.kind() == isa::xdnn::HOST_EMBEDDING) bytes.in += link_tensor_bytes(host.output().layout());
  return bytes;
}

std::uint64_t host_cycles(const isa::xdnn::Conv& conv, const HwConfig& config) {
  const auto& hw = config.xdnn();
  isa::xdnn::Instr instr;
  *instr.mutable_conv() = conv;
  const HostLinkBytes link = host_link_bytes(instr);
  const double seconds = 2.0 * static_cast<double>(conv_macs(conv)) / (hw.host_gops * 1e9) +
                         static_cast<double>(link.in + link.out) / (hw.host_link_gbps * 1e9);
  return static_cast<std::uint64_t>(std::ceil(seconds * config.clock_mhz * 1e6));
}

std::uint64_t host_elementwise_ops(const isa::xdnn::HostElementwise& host) {
  const auto& out = host.output().layout();
  const std::uint64_t elements = std::uint64_t{out.channels()} * out.height() * out.width();
  // A softmax's loop does a few ops per element (max, exp lookup, sum, division); a Lut, a
  // Mul, an HWC reshape or an embedding (copies) one.
  // A resize's four weighted taps.
  if (host.kind() == isa::xdnn::HOST_RESIZE) return isa::xdnn::kHostResizeOpsPerElement * elements;
  // A product of two activations: a multiply and an add per MAC, as a conv's ops (DESIGN.md §4.4).
  if (host.kind() == isa::xdnn::HOST_MATMUL) return isa::xdnn::kHostMatMulOpsPerMac * host_matmul_macs(host);
  if (host.kind() == isa::xdnn::HOST_SOFTMAX_ROWS) return isa::xdnn::kHostSoftmaxOpsPerElement * elements;
  if (host.kind() == isa::xdnn::HOST_LAYERNORM) return isa::xdnn::kHostLayerNormOpsPerElement * elements;
  return host.kind() == isa::xdnn::HOST_SOFTMAX ? isa::xdnn::kHostSoftmaxOpsPerElement * elements : elements;
}

std::uint64_t host_elementwise_cycles(const isa::xdnn::HostElementwise& host, const HwConfig& config) {
  const auto& hw = config.xdnn();
  isa::xdnn::Instr instr;
  *instr.mutable_host_elementwise() = host;
  const HostLinkBytes link = host_link_bytes(instr);
  const double seconds = static_cast<double>(host_elementwise_ops(host)) / (hw.host_gops * 1e9) +
                         static_cast<double>(link.in + link.out) / (hw.host_link_gbps * 1e9);
  return static_cast<std::uint64_t>(std::ceil(seconds * config.clock_mhz * 1e6));
}

std::uint64_t am_weight_load_cycles(const isa::xdnn::Copy& load, const XdnnParams& hw) {
  return ceil_div<std::uint64_t>(isa::xdnn::copy_bytes(load), static_cast<std::uint64_t>(hw.array.rows));
}

double ddr_bytes_per_cycle(const HwConfig& config) { return isa::xdnn::ddr_bytes_per_cycle(config); }

std::uint64_t ddr_latency_cycles(const HwConfig& config) {
  return static_cast<std::uint64_t>(std::llround(config.xdnn().ddr_latency_ns * config.clock_mhz / 1000.0));
}

}  // namespace wb::sim::xdnn
