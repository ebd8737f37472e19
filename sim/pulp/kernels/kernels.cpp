// One file over the house's ~600 lines, on purpose: every kernel a tile program may call
// (twelve of PULP-NN's, each a few dozen lines over shared operand and requantisation helpers)
// sits beside the one dispatch that checks a call's operands against L1. Issue #37 replaces
// these functional kernels with loop nests the cores execute; the split comes with it.
#include "sim/pulp/kernels/kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/pulp/kernels/tile_element.h"
#include "support/error.h"
#include "isa/pulp_program.h"
#include "sim/common/requant.h"
#include "sim/pulp/kernels/layernorm.h"
#include "sim/pulp/kernels/matmul.h"
#include "sim/pulp/kernels/resize.h"
#include "sim/pulp/kernels/softmax.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;
using isa::pulp::KernelKind;

// ---------------------------------------------------------------------------------------
// What a kind of kernel reads.

using isa::pulp::has_weights;

std::uint64_t input_bytes(const KernelCall& c) { return std::uint64_t{c.h_in()} * c.w_in() * c.c_in(); }
std::uint64_t output_bytes(const KernelCall& c) { return std::uint64_t{c.h_out()} * c.w_out() * c.c_out(); }
std::uint64_t weight_bytes(const KernelCall& c) {
  const std::uint64_t window = std::uint64_t{c.k_h()} * c.k_w();
  if (c.kind() == isa::pulp::KERNEL_DEPTHWISE) return window * c.c_out();
  if (c.kind() == isa::pulp::KERNEL_GROUPED_CONV) return window * (c.c_in() / std::max(c.groups(), 1u)) * c.c_out();
  return window * c.c_in() * c.c_out();
}

// KERNEL_MUL's second operand, b_h x b_w x b_c (broadcast dimensions 1); KERNEL_MATMUL's, b.
std::uint64_t input_b_bytes(const KernelCall& c) {
  if (c.kind() == isa::pulp::KERNEL_MUL) return std::uint64_t{c.b_h()} * c.b_w() * c.b_c();
  if (c.kind() == isa::pulp::KERNEL_MATMUL) return matmul_b_bytes(c);
  return input_bytes(c);
}

constexpr std::uint64_t kLutEntries = 256;  // one per value of an 8-bit input

// GATHER's index table: one little-endian uint16 per output channel.
std::uint64_t gather_table_bytes(const KernelCall& c) { return 2 * std::uint64_t{c.c_out()}; }


// True when the call ends with the requantised output (not a partial sum of an input-channel tile).
bool writes_output(const KernelCall& c) { return !c.cin_tiled() || c.last_cin_tile(); }

// ---------------------------------------------------------------------------------------
// kernel_problem's checks, each "" or the reason.

std::string zero_size_problem(const KernelCall& c) {
  const std::array<std::pair<const char*, std::uint32_t>, 10> sizes{{{"h_in", c.h_in()},
                                                                      {"w_in", c.w_in()},
                                                                      {"c_in", c.c_in()},
                                                                      {"h_out", c.h_out()},
                                                                      {"w_out", c.w_out()},
                                                                      {"c_out", c.c_out()},
                                                                      {"k_h", c.k_h()},
                                                                      {"k_w", c.k_w()},
                                                                      {"stride_h", c.stride_h()},
                                                                      {"stride_w", c.stride_w()}}};
  // Bounds far above any tile's, low enough that the operands' byte counts fit 64 bits.
  constexpr std::uint32_t kMaxSize = 1u << 20, kMaxWindow = 1u << 10;
  for (const auto& [name, value] : sizes) {
    if (value == 0) return fmt::format("{} 0 (sizes and strides are at least 1)", name);
    const bool window = name[0] == 'k' || name[0] == 's';
    if (value > (window ? kMaxWindow : kMaxSize)) {
      return fmt::format("{} {} exceeds {}", name, value, window ? kMaxWindow : kMaxSize);
    }
  }
  for (const auto& [name, value] : {std::pair{"b_h", c.b_h()}, std::pair{"b_w", c.b_w()}, std::pair{"b_c", c.b_c()}}) {
    if (value > kMaxSize) return fmt::format("{} {} exceeds {}", name, value, kMaxSize);
  }
  return {};
}

std::uint32_t span_h(const KernelCall& c) { return isa::pulp::window_span(c.k_h(), c.dilation_h()); }
std::uint32_t span_w(const KernelCall& c) { return isa::pulp::window_span(c.k_w(), c.dilation_w()); }

// Dilation belongs to the kernels that slide weights over a window (the plane depthwise kernel
// excepted: its 3x3 window is dense); zero_size_problem's bound keeps the span in 32 bits.
std::string dilation_problem(const KernelCall& c) {
  constexpr std::uint32_t kMaxDilation = 1u << 10;
  const std::uint32_t dh = isa::pulp::dilation_or_one(c.dilation_h()), dw = isa::pulp::dilation_or_one(c.dilation_w());
  if (dh > kMaxDilation || dw > kMaxDilation) {
    return fmt::format("dilation {}x{} exceeds {}", dh, dw, kMaxDilation);
  }
  if (dh == 1 && dw == 1) return {};
  const KernelKind kind = c.kind();
  if (kind != isa::pulp::KERNEL_CONV && kind != isa::pulp::KERNEL_GROUPED_CONV && kind != isa::pulp::KERNEL_DEPTHWISE) {
    return fmt::format("dilation {}x{} on kind {} (only conv, grouped_conv and depthwise dilate)", dh, dw,
                       isa::pulp::kernel_kind_name(kind));
  }
  if (c.depthwise_plane()) return fmt::format("dilation {}x{} with depthwise_plane (its 3x3 window is dense)", dh, dw);
  return {};
}

// A pad below the window's span keeps every window partly inside the tile, so a max pool always
// has a maximum (and the clipped window ranges below are never empty at the start).
std::string pad_problem(const KernelCall& c) {
  const std::array<std::tuple<const char*, std::uint32_t, const char*, std::uint32_t>, 4> pads{{
      {"pad_top", c.pad_top(), "span_h", span_h(c)},
      {"pad_bottom", c.pad_bottom(), "span_h", span_h(c)},
      {"pad_left", c.pad_left(), "span_w", span_w(c)},
      {"pad_right", c.pad_right(), "span_w", span_w(c)},
  }};
  for (const auto& [name, pad, k_name, k] : pads) {
    if (pad >= k) {
      return fmt::format("{} {} not below the window's {} {} (a window would lie entirely in the padding)", name, pad,
                         k_name, k);
    }
  }
  return {};
}

std::string extent_problem(const char* axis, std::uint32_t out, std::uint32_t in, std::uint32_t k,
                           std::uint32_t stride, std::uint32_t pad_before, std::uint32_t pad_after) {
  const std::int64_t span = std::int64_t{in} + pad_before + pad_after - k;
  const std::int64_t expected = span < 0 ? 0 : span / stride + 1;
  if (out != expected) {
    return fmt::format("{}_out {} does not match {}_in {}, window span {}, stride {}, pads {}+{} ({})", axis, out,
                       axis, in, k, stride, pad_before, pad_after, expected);
  }
  return {};
}

std::string extents_problem(const KernelCall& c) {
  // A resize's input rows and columns are the ones its taps read, not a window's.
  if (c.kind() == isa::pulp::KERNEL_RESIZE) return {};
  std::string p = extent_problem("h", c.h_out(), c.h_in(), span_h(c), c.stride_h(), c.pad_top(), c.pad_bottom());
  if (p.empty()) p = extent_problem("w", c.w_out(), c.w_in(), span_w(c), c.stride_w(), c.pad_left(), c.pad_right());
  return p;
}

// A grouped conv's groups divide both channel counts; no other kind has groups.
std::string groups_problem(const KernelCall& c) {
  if (c.kind() != isa::pulp::KERNEL_GROUPED_CONV) {
    if (c.groups() > 1) {
      return fmt::format("groups {} on kind {} (only grouped_conv has groups)", c.groups(),
                         isa::pulp::kernel_kind_name(c.kind()));
    }
    return {};
  }
  if (c.groups() == 0) return "grouped_conv with groups 0 (at least 1)";
  if (c.c_in() % c.groups() != 0 || c.c_out() % c.groups() != 0) {
    return fmt::format("grouped_conv: groups {} does not divide c_in {} and c_out {}", c.groups(), c.c_in(),
                       c.c_out());
  }
  return {};
}

// MUL's second operand: each dimension the output's or 1; no other kind has one.
std::string broadcast_problem(const KernelCall& c) {
  if (c.kind() != isa::pulp::KERNEL_MUL) {
    if (c.b_h() != 0 || c.b_w() != 0 || c.b_c() != 0) {
      return fmt::format("b shape {}x{}x{} on kind {} (only mul has one)", c.b_h(), c.b_w(), c.b_c(),
                         isa::pulp::kernel_kind_name(c.kind()));
    }
    return {};
  }
  const std::array<std::tuple<const char*, std::uint32_t, std::uint32_t>, 3> dims{{
      {"b_h", c.b_h(), c.h_out()}, {"b_w", c.b_w(), c.w_out()}, {"b_c", c.b_c(), c.c_out()}}};
  for (const auto& [name, b, out] : dims) {
    if (b != 1 && b != out) {
      return fmt::format("mul: {} {} is neither 1 nor the output's {} (b broadcasts)", name, b, out);
    }
  }
  return {};
}

// What each kind asks of the shape beyond the window arithmetic.
std::string kind_shape_problem(const KernelCall& c) {
  const KernelKind kind = c.kind();
  const char* name = isa::pulp::kernel_kind_name(kind);
  if (std::string p = groups_problem(c); !p.empty()) return p;
  if (std::string p = broadcast_problem(c); !p.empty()) return p;
  if ((kind == isa::pulp::KERNEL_LUT || kind == isa::pulp::KERNEL_MUL || kind == isa::pulp::KERNEL_GATHER ||
       kind == isa::pulp::KERNEL_SOFTMAX || kind == isa::pulp::KERNEL_RESIZE || kind == isa::pulp::KERNEL_LAYERNORM ||
       kind == isa::pulp::KERNEL_MATMUL) &&
      (c.k_h() != 1 || c.k_w() != 1 || c.stride_h() != 1 || c.stride_w() != 1)) {
    return fmt::format("{} with a {}x{} window and stride {}x{} (1x1 and 1x1 expected)", name, c.k_h(), c.k_w(),
                       c.stride_h(), c.stride_w());
  }
  if (kind == isa::pulp::KERNEL_MUL && (c.requant().multiplier_size() != 1 || c.requant().shift_size() != 1 ||
                                        c.requant().offset_size() > 1)) {
    return fmt::format("mul needs one requant entry (per tensor), has {}/{}/{} multiplier/offset/shift",
                       c.requant().multiplier_size(), c.requant().offset_size(), c.requant().shift_size());
  }
  if (c.depthwise_plane() && (kind != isa::pulp::KERNEL_DEPTHWISE ||
                              !isa::pulp::depthwise_plane_applies(c.k_h(), c.k_w(), c.stride_h(), c.stride_w()))) {
    return fmt::format("depthwise_plane on {} with a {}x{} window and stride {}x{} (depthwise, 3x3, stride 1x1 or 2x2 "
                       "expected)",
                       name, c.k_h(), c.k_w(), c.stride_h(), c.stride_w());
  }
  if (c.input_chw() && (kind != isa::pulp::KERNEL_DEPTHWISE || c.depthwise_plane() ||
                        isa::pulp::dilation_or_one(c.dilation_h()) != 1 || isa::pulp::dilation_or_one(c.dilation_w()) != 1)) {
    return fmt::format("input_chw on {}{} (the undilated window depthwise kernel expected)", name,
                       c.depthwise_plane() ? " with depthwise_plane" : "");
  }
  // A gather picks c_out of the c_in channels (a slice has fewer), a matmul's c_in is its
  // reduction and c_out b's rows; the rest keep them.
  if (!isa::pulp::is_matmul(kind) && kind != isa::pulp::KERNEL_GROUPED_CONV && kind != isa::pulp::KERNEL_GATHER &&
      kind != isa::pulp::KERNEL_MATMUL && c.c_in() != c.c_out()) {
    return fmt::format("c_in {} differs from c_out {} ({} keeps the channels)", c.c_in(), c.c_out(), name);
  }
  if (kind == isa::pulp::KERNEL_LINEAR && (c.h_in() != 1 || c.w_in() != 1 || c.k_h() != 1 || c.k_w() != 1)) {
    return fmt::format("linear on a {}x{} input with a {}x{} window (1x1 and 1x1 expected)", c.h_in(), c.w_in(),
                       c.k_h(), c.k_w());
  }
  if (kind == isa::pulp::KERNEL_POINTWISE && (c.k_h() != 1 || c.k_w() != 1)) {
    return fmt::format("pointwise with a {}x{} window (1x1 expected)", c.k_h(), c.k_w());
  }
  if (kind == isa::pulp::KERNEL_ADD) {
    if (c.k_h() != 1 || c.k_w() != 1 || c.stride_h() != 1 || c.stride_w() != 1) {
      return fmt::format("add with a {}x{} window and stride {}x{} (1x1 and 1x1 expected)", c.k_h(), c.k_w(),
                         c.stride_h(), c.stride_w());
    }
    if (c.input_multiplier_size() != 2) {
      return fmt::format("add needs 2 input multipliers, has {}", c.input_multiplier_size());
    }
    for (const std::int64_t m : c.input_multiplier()) {
      if (m > (std::int64_t{1} << 32) || m < -(std::int64_t{1} << 32)) {
        return fmt::format("add input multiplier {} outside [-2^32, 2^32]", m);
      }
    }
  }
  if (kind == isa::pulp::KERNEL_MAXPOOL && c.input_signed() != c.output_signed()) {
    return fmt::format("maxpool input_signed {} but output_signed {} (the maximum keeps its type)", c.input_signed(),
                       c.output_signed());
  }
  if (kind == isa::pulp::KERNEL_GATHER && c.input_signed() != c.output_signed()) {
    return fmt::format("gather input_signed {} but output_signed {} (a byte copy keeps its type)", c.input_signed(),
                       c.output_signed());
  }
  if (kind == isa::pulp::KERNEL_SOFTMAX) {
    if (std::string p = softmax_call_problem(c); !p.empty()) return p;
  } else if (c.softmax_label_tokens() != 0 || c.softmax_label_heads() != 0 || c.softmax_label_windows() != 0 ||
             c.softmax_row0() != 0) {
    return fmt::format("softmax labels on kind {} (only softmax has them)", name);
  }
  if (kind == isa::pulp::KERNEL_RESIZE) {
    if (std::string p = resize_call_problem(c); !p.empty()) return p;
  }
  if (kind == isa::pulp::KERNEL_LAYERNORM) {
    if (std::string p = layernorm_call_problem(c); !p.empty()) return p;
  }
  if (kind == isa::pulp::KERNEL_MATMUL) {
    if (std::string p = matmul_call_problem(c); !p.empty()) return p;
  } else if (c.matmul_b_by_rows() || c.matmul_b_transposed()) {
    return fmt::format("{} on kind {} (only matmul has it)",
                       c.matmul_b_by_rows() ? "matmul_b_by_rows" : "matmul_b_transposed", name);
  }
  if (c.cin_tiled() && !isa::pulp::is_matmul(kind)) {
    return fmt::format("cin_tiled on kind {} (only conv, pointwise and linear are tiled over input channels)", name);
  }
  return {};
}

std::string range_problem(const char* operand, std::uint64_t address, std::uint64_t bytes, std::size_t l1_size) {
  if (address > l1_size || bytes > l1_size - address) {
    return fmt::format("{}: {} bytes at {} end beyond L1 ({} bytes)", operand, bytes, address, l1_size);
  }
  return {};
}

std::string operands_problem(const KernelCall& c, std::size_t l1_size) {
  struct Operand {
    const char* name;
    std::uint64_t address, bytes;
    bool used;
  };
  const KernelKind kind = c.kind();
  const Operand operands[] = {
      {"input", c.input(), input_bytes(c), true},
      {"input_b", c.input_b(), input_b_bytes(c),
       kind == isa::pulp::KERNEL_ADD || kind == isa::pulp::KERNEL_MUL ||
           (kind == isa::pulp::KERNEL_MATMUL && !c.matmul_b_transposed())},
      {"output", c.output(), output_bytes(c), writes_output(c)},
      {"weights", c.weights(), weight_bytes(c), has_weights(kind)},
      {"lut table", c.weights(), kLutEntries, kind == isa::pulp::KERNEL_LUT},
      {"gather table", c.weights(), gather_table_bytes(c), kind == isa::pulp::KERNEL_GATHER},
      {"softmax table", c.weights(), softmax_table_bytes(c), kind == isa::pulp::KERNEL_SOFTMAX},
      {"resize tables", c.weights(), resize_table_bytes(c), kind == isa::pulp::KERNEL_RESIZE},
      {"layernorm table", c.weights(), layernorm_table_bytes(c), kind == isa::pulp::KERNEL_LAYERNORM},
      {"bias", c.bias(), 4 * std::uint64_t{c.c_out()}, has_weights(kind) && c.has_bias()},
      {"matmul bias", c.bias(), 4 * output_bytes(c), kind == isa::pulp::KERNEL_MATMUL && c.has_bias()},
      {"accumulator", c.accumulator(), 4 * output_bytes(c), c.cin_tiled()},
      {"matmul scratch (im2col)", c.im2col(), matmul_scratch_bytes(c),
       kind == isa::pulp::KERNEL_MATMUL && c.matmul_b_by_rows()},
  };
  for (const Operand& o : operands) {
    if (!o.used) continue;
    std::string p = range_problem(o.name, o.address, o.bytes, l1_size);
    if (!p.empty()) return p;
  }
  return {};
}

// The kernels store one byte per output: the clamp must keep values in the output's type.
std::string requant_clamp_problem(const KernelCall& c) {
  const isa::Requant& r = c.requant();
  const std::int64_t lo = c.output_signed() ? -128 : 0, hi = c.output_signed() ? 127 : 255;
  if (r.lo() < lo || r.hi() > hi) {
    return fmt::format("requant clamp [{}, {}] exceeds the {} output's range [{}, {}]", r.lo(), r.hi(),
                       c.output_signed() ? "int8" : "uint8", lo, hi);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// L1 access.

std::int32_t load_i32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(v);
}

void store_i32(std::uint8_t* p, std::int32_t value) {
  const auto v = static_cast<std::uint32_t>(value);
  std::memcpy(p, &v, 4);
}

// requantize clamps into the output type (kernel_problem checks the clamp), so the low byte
// is the int8 or uint8 value.
void store_output(std::uint8_t* p, std::int32_t y) { *p = static_cast<std::uint8_t>(y & 0xff); }

// ---------------------------------------------------------------------------------------
// Windows: padding is handled by clipping each output pixel's kernel rows and columns to the
// tile, so the inner loops never test for it.

// One axis of an output pixel's window: kernel position k reads input coordinate
// first + k * step (step: the dilation); positions [begin, end) lie inside the tile.
struct AxisWindow {
  std::int64_t first = 0, step = 1;
  std::uint32_t begin = 0, end = 0;
};

// The smallest k >= 0 with first + k * step >= bound (first + k * step is increasing in k).
std::int64_t first_position_at(std::int64_t first, std::int64_t step, std::int64_t bound) {
  return bound <= first ? 0 : (bound - first + step - 1) / step;
}

AxisWindow axis_window(std::uint32_t out, std::uint32_t stride, std::uint32_t pad_before, std::uint32_t k,
                       std::uint32_t in, std::uint32_t dilation) {
  AxisWindow a;
  a.first = std::int64_t{out} * stride - pad_before;
  a.step = isa::pulp::dilation_or_one(dilation);
  const std::int64_t begin = std::clamp<std::int64_t>(first_position_at(a.first, a.step, 0), 0, k);
  const std::int64_t end = std::clamp<std::int64_t>(first_position_at(a.first, a.step, in), begin, k);
  a.begin = static_cast<std::uint32_t>(begin);
  a.end = static_cast<std::uint32_t>(end);
  return a;
}

// Calls f(oh, ow, rows, cols) for every output pixel of the call, row by row.
template <class F>
void for_each_window(const KernelCall& c, F&& f) {
  std::vector<AxisWindow> cols(c.w_out());
  for (std::uint32_t ow = 0; ow < c.w_out(); ++ow) {
    cols[ow] = axis_window(ow, c.stride_w(), c.pad_left(), c.k_w(), c.w_in(), c.dilation_w());
  }
  for (std::uint32_t oh = 0; oh < c.h_out(); ++oh) {
    const AxisWindow rows = axis_window(oh, c.stride_h(), c.pad_top(), c.k_h(), c.h_in(), c.dilation_h());
    for (std::uint32_t ow = 0; ow < c.w_out(); ++ow) f(oh, ow, rows, cols[ow]);
  }
}

// The input pixel of kernel position (r, q) of a window (inside the tile).
const std::uint8_t* input_pixel(const KernelCall& c, const std::uint8_t* x, const AxisWindow& rows,
                                const AxisWindow& cols, std::uint32_t r, std::uint32_t q) {
  const auto ih = static_cast<std::uint64_t>(rows.first + r * rows.step);
  const auto iw = static_cast<std::uint64_t>(cols.first + q * cols.step);
  return x + (ih * c.w_in() + iw) * c.c_in();
}

// ---------------------------------------------------------------------------------------
// CONV, POINTWISE, LINEAR.

// Each product is at most 255 * 128 = 32640 in magnitude, so int32 holds the sum of 65536 of
// them (2,139,095,040 < 2^31); longer runs are summed in pieces into int64. int32 sums let the
// compiler vectorise the loop at full width.
constexpr std::uint64_t kInt32SafeRun = 65536;

template <bool Signed>
std::int32_t dot_int32(const std::uint8_t* x, const std::int8_t* w, std::uint32_t n) {
  std::int32_t sum = 0;
  for (std::uint32_t i = 0; i < n; ++i) sum += tile_element<Signed>(x + i) * w[i];
  return sum;
}

template <bool Signed>
std::int64_t dot(const std::uint8_t* x, const std::int8_t* w, std::uint64_t n) {
  if (n <= kInt32SafeRun) return dot_int32<Signed>(x, w, static_cast<std::uint32_t>(n));
  std::int64_t total = 0;
  for (std::uint64_t start = 0; start < n; start += kInt32SafeRun) {
    const auto piece = static_cast<std::uint32_t>(std::min(n - start, kInt32SafeRun));
    total += dot_int32<Signed>(x + start, w + start, piece);
  }
  return total;
}

// The operands of a channel-summing call.
struct MatmulOperands {
  const std::uint8_t* x;
  const std::int8_t* w;
  const std::uint8_t* bias;  // nullptr without has_bias
  std::uint8_t* y;
  std::uint8_t* acc;  // int32 partial sums of input-channel tiling, else nullptr
};

MatmulOperands matmul_operands(const KernelCall& c, std::uint8_t* l1) {
  return {l1 + c.input(), reinterpret_cast<const std::int8_t*>(l1 + c.weights()),
          c.has_bias() ? l1 + c.bias() : nullptr, l1 + c.output(), c.cin_tiled() ? l1 + c.accumulator() : nullptr};
}

// Where output `index` (pixel * c_out + channel) starts: the bias (0 without one), or the
// partial sum of the earlier input-channel tiles.
std::int64_t initial_sum(const KernelCall& c, const MatmulOperands& m, std::uint64_t index, std::uint32_t channel) {
  if (c.cin_tiled() && !c.first_cin_tile()) return load_i32(m.acc + 4 * index);
  return m.bias != nullptr ? load_i32(m.bias + 4 * std::uint64_t{channel}) : 0;
}

// The finished sum: requantised into the output, or kept as an int32 partial sum for the next
// input-channel tile (the accumulator's type, as in the real kernel: it wraps like one).
void finish_sum(const KernelCall& c, const MatmulOperands& m, std::uint64_t index, std::uint32_t channel,
                std::int64_t sum) {
  if (writes_output(c)) {
    store_output(m.y + index, requantize(sum, c.requant(), channel));
  } else {
    store_i32(m.acc + 4 * index, static_cast<std::int32_t>(sum));
  }
}

// Per output pixel and channel, the dot products of the window's rows: undilated, each row's
// valid columns are one contiguous run of (columns x c_in) bytes in both the HWC input and the
// [c_out][k_h][k_w][c_in] weights; dilated columns are c_in-byte runs of their own.
template <bool Signed>
void matmul(const KernelCall& c, std::uint8_t* l1) {
  const MatmulOperands m = matmul_operands(c, l1);
  const std::uint32_t c_in = c.c_in(), c_out = c.c_out(), k_h = c.k_h(), k_w = c.k_w();
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const AxisWindow& rows, const AxisWindow& cols) {
    const std::uint64_t pixel = std::uint64_t{oh} * c.w_out() + ow;
    const bool dense_rows = cols.step == 1;
    const std::uint32_t runs = dense_rows ? 1 : cols.end - cols.begin;
    const std::uint64_t run = dense_rows ? std::uint64_t{cols.end - cols.begin} * c_in : c_in;
    for (std::uint32_t co = 0; co < c_out; ++co) {
      const std::uint64_t index = pixel * c_out + co;
      std::int64_t sum = initial_sum(c, m, index, co);
      for (std::uint32_t r = rows.begin; r < rows.end; ++r) {
        for (std::uint32_t q = cols.begin; q < cols.begin + runs; ++q) {
          const std::int8_t* w = m.w + ((std::uint64_t{co} * k_h + r) * k_w + q) * c_in;
          sum += dot<Signed>(input_pixel(c, m.x, rows, cols, r, q), w, run);
        }
      }
      finish_sum(c, m, index, co, sum);
    }
  });
}

// ---------------------------------------------------------------------------------------
// GROUPED_CONV.

// Output channel co of group g = co / (c_out / groups) sums over input channels
// [g * cin_g, (g + 1) * cin_g): per kernel position of the window one run of cin_g bytes in
// the HWC input (the group's slice of the pixel) and in the [c_out][k_h][k_w][cin_g] weights.
template <bool Signed>
void grouped_conv(const KernelCall& c, std::uint8_t* l1) {
  const MatmulOperands m = matmul_operands(c, l1);
  const std::uint32_t groups = c.groups(), c_out = c.c_out(), k_h = c.k_h(), k_w = c.k_w();
  const std::uint32_t cin_g = c.c_in() / groups, cout_g = c_out / groups;
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const AxisWindow& rows, const AxisWindow& cols) {
    const std::uint64_t pixel = std::uint64_t{oh} * c.w_out() + ow;
    for (std::uint32_t co = 0; co < c_out; ++co) {
      const std::uint64_t slice = std::uint64_t{co / cout_g} * cin_g;
      std::int64_t sum = m.bias != nullptr ? load_i32(m.bias + 4 * std::uint64_t{co}) : 0;
      for (std::uint32_t r = rows.begin; r < rows.end; ++r) {
        for (std::uint32_t q = cols.begin; q < cols.end; ++q) {
          const std::int8_t* w = m.w + ((std::uint64_t{co} * k_h + r) * k_w + q) * cin_g;
          sum += dot<Signed>(input_pixel(c, m.x, rows, cols, r, q) + slice, w, cin_g);
        }
      }
      store_output(m.y + pixel * c_out + co, requantize(sum, c.requant(), co));
    }
  });
}

// ---------------------------------------------------------------------------------------
// DEPTHWISE.

// The [c][k_h][k_w] weights as [k_h * k_w][c], widened, so that the loop over channels of one
// kernel position reads weights and input pixel contiguously.
std::vector<std::int32_t> weights_by_position(const std::int8_t* w, std::uint32_t channels, std::uint32_t positions) {
  std::vector<std::int32_t> out(std::uint64_t{channels} * positions);
  for (std::uint32_t ch = 0; ch < channels; ++ch) {
    for (std::uint32_t p = 0; p < positions; ++p) {
      out[std::uint64_t{p} * channels + ch] = w[std::uint64_t{ch} * positions + p];
    }
  }
  return out;
}

template <bool Signed>
void depthwise(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  const std::uint8_t* bias = c.has_bias() ? l1 + c.bias() : nullptr;
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t channels = c.c_out(), k_w = c.k_w();
  const std::vector<std::int32_t> w =
      weights_by_position(reinterpret_cast<const std::int8_t*>(l1 + c.weights()), channels, c.k_h() * k_w);
  std::vector<std::int64_t> sums(channels);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const AxisWindow& rows, const AxisWindow& cols) {
    for (std::uint32_t ch = 0; ch < channels; ++ch) {
      sums[ch] = bias != nullptr ? load_i32(bias + 4 * std::uint64_t{ch}) : 0;
    }
    for (std::uint32_t r = rows.begin; r < rows.end; ++r) {
      for (std::uint32_t q = cols.begin; q < cols.end; ++q) {
        const std::int32_t* wp = w.data() + (std::uint64_t{r} * k_w + q) * channels;
        if (c.input_chw()) {
          // Channel ch's plane: plane bytes apart, the pixel at its HWC index.
          const std::uint64_t pixel = static_cast<std::uint64_t>(input_pixel(c, x, rows, cols, r, q) - x) / channels;
          const std::uint64_t plane = std::uint64_t{c.h_in()} * c.w_in();
          for (std::uint32_t ch = 0; ch < channels; ++ch) {
            sums[ch] += tile_element<Signed>(x + ch * plane + pixel) * wp[ch];
          }
        } else {
          const std::uint8_t* xp = input_pixel(c, x, rows, cols, r, q);
          for (std::uint32_t ch = 0; ch < channels; ++ch) sums[ch] += tile_element<Signed>(xp + ch) * wp[ch];
        }
      }
    }
    std::uint8_t* yp = y + (std::uint64_t{oh} * c.w_out() + ow) * channels;
    for (std::uint32_t ch = 0; ch < channels; ++ch) store_output(yp + ch, requantize(sums[ch], c.requant(), ch));
  });
}

// ---------------------------------------------------------------------------------------
// MAXPOOL, AVGPOOL.

// Calls f(pixel) for the input pixel of every kernel position of the window inside the tile.
template <class F>
void for_each_window_pixel(const KernelCall& c, const std::uint8_t* x, const AxisWindow& rows, const AxisWindow& cols,
                           F&& f) {
  for (std::uint32_t r = rows.begin; r < rows.end; ++r) {
    for (std::uint32_t q = cols.begin; q < cols.end; ++q) f(input_pixel(c, x, rows, cols, r, q));
  }
}

// Padding is skipped, never compared: kernel_problem keeps pads below the window, so every
// window holds at least one input pixel.
template <bool Signed>
void maxpool(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t channels = c.c_out();
  std::vector<std::int32_t> best(channels);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const AxisWindow& rows, const AxisWindow& cols) {
    std::fill(best.begin(), best.end(), std::numeric_limits<std::int32_t>::min());
    for_each_window_pixel(c, x, rows, cols, [&](const std::uint8_t* xp) {
      for (std::uint32_t ch = 0; ch < channels; ++ch) best[ch] = std::max(best[ch], tile_element<Signed>(xp + ch));
    });
    std::uint8_t* yp = y + (std::uint64_t{oh} * c.w_out() + ow) * channels;
    for (std::uint32_t ch = 0; ch < channels; ++ch) store_output(yp + ch, best[ch]);
  });
}

// Padding adds nothing to the sum; the divisor (the whole window) is in the requant.
template <bool Signed>
void avgpool(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t channels = c.c_out();
  std::vector<std::int64_t> sums(channels);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const AxisWindow& rows, const AxisWindow& cols) {
    std::fill(sums.begin(), sums.end(), 0);
    for_each_window_pixel(c, x, rows, cols, [&](const std::uint8_t* xp) {
      for (std::uint32_t ch = 0; ch < channels; ++ch) sums[ch] += tile_element<Signed>(xp + ch);
    });
    std::uint8_t* yp = y + (std::uint64_t{oh} * c.w_out() + ow) * channels;
    for (std::uint32_t ch = 0; ch < channels; ++ch) store_output(yp + ch, requantize(sums[ch], c.requant(), ch));
  });
}

// ---------------------------------------------------------------------------------------
// ADD.

template <bool SignedA, bool SignedB>
void add(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* a = l1 + c.input();
  const std::uint8_t* b = l1 + c.input_b();
  std::uint8_t* y = l1 + c.output();
  const std::int64_t m_a = c.input_multiplier(0), m_b = c.input_multiplier(1);
  const std::uint32_t channels = c.c_out();
  const std::uint64_t pixels = std::uint64_t{c.h_out()} * c.w_out();
  for (std::uint64_t p = 0; p < pixels; ++p) {
    for (std::uint32_t ch = 0; ch < channels; ++ch) {
      const std::uint64_t i = p * channels + ch;
      const std::int64_t v = tile_element<SignedA>(a + i) * m_a + tile_element<SignedB>(b + i) * m_b;
      store_output(y + i, requantize(v, c.requant(), ch));
    }
  }
}

// ---------------------------------------------------------------------------------------
// LUT, MUL.

// The table holds the output byte of every input value from the input type's lowest: index
// x + 128 for int8, x for uint8. Its bytes are the output's type, so every entry is in range.
template <bool Signed>
void lut(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  const std::uint8_t* table = l1 + c.weights();
  std::uint8_t* y = l1 + c.output();
  const std::uint64_t n = output_bytes(c);
  constexpr std::int32_t lo = Signed ? -128 : 0;
  for (std::uint64_t i = 0; i < n; ++i) y[i] = table[tile_element<Signed>(x + i) - lo];
}

// b's element for output (h, w, ch): a broadcast dimension reads index 0.
template <bool SignedA, bool SignedB>
void mul(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* a = l1 + c.input();
  const std::uint8_t* b = l1 + c.input_b();
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t channels = c.c_out(), bw = c.b_w(), bc = c.b_c();
  for (std::uint32_t h = 0; h < c.h_out(); ++h) {
    const std::uint32_t bh = c.b_h() == 1 ? 0 : h;
    for (std::uint32_t w = 0; w < c.w_out(); ++w) {
      const std::uint64_t pixel = std::uint64_t{h} * c.w_out() + w;
      const std::uint8_t* bp = b + (std::uint64_t{bh} * bw + (bw == 1 ? 0 : w)) * bc;
      for (std::uint32_t ch = 0; ch < channels; ++ch) {
        const std::uint64_t i = pixel * channels + ch;
        const std::int64_t v = std::int64_t{tile_element<SignedA>(a + i)} * tile_element<SignedB>(bp + (bc == 1 ? 0 : ch));
        store_output(y + i, requantize(v, c.requant(), 0));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// GATHER.

// The index table, each entry checked: it is data (it arrives by DMA), which kernel_problem
// cannot see, and an index not below c_in would read another pixel's or another buffer's bytes.
std::vector<std::uint32_t> gather_indices(const KernelCall& c, const std::uint8_t* l1) {
  const std::uint8_t* table = l1 + c.weights();
  std::vector<std::uint32_t> idx(c.c_out());
  for (std::uint32_t ch = 0; ch < c.c_out(); ++ch) {
    idx[ch] = table[2 * std::uint64_t{ch}] | std::uint32_t{table[2 * std::uint64_t{ch} + 1]} << 8;
    if (idx[ch] >= c.c_in()) {
      throw UserError(fmt::format("gather: index {} of output channel {} is not below c_in {}", idx[ch], ch, c.c_in()));
    }
  }
  return idx;
}

// y[pixel][ch] = x[pixel][idx[ch]]: a byte copy, so the same code serves int8 and uint8.
void gather(const KernelCall& c, std::uint8_t* l1) {
  const std::vector<std::uint32_t> idx = gather_indices(c, l1);
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint64_t pixels = std::uint64_t{c.h_out()} * c.w_out();
  const std::uint32_t c_in = c.c_in(), c_out = c.c_out();
  for (std::uint64_t p = 0; p < pixels; ++p) {
    for (std::uint32_t ch = 0; ch < c_out; ++ch) y[p * c_out + ch] = x[p * c_in + idx[ch]];
  }
}

template <bool SignedA>
void mul_by_second_type(const KernelCall& c, std::uint8_t* l1) {
  c.input_b_signed() ? mul<SignedA, true>(c, l1) : mul<SignedA, false>(c, l1);
}

template <bool SignedA>
void add_by_second_type(const KernelCall& c, std::uint8_t* l1) {
  c.input_b_signed() ? add<SignedA, true>(c, l1) : add<SignedA, false>(c, l1);
}

}  // namespace

std::string kernel_problem(const KernelCall& c, std::size_t l1_size) {
  if (!isa::pulp::KernelKind_IsValid(c.kind())) {
    return fmt::format("unknown kernel kind {}", static_cast<int>(c.kind()));
  }
  if (c.kind() == isa::pulp::KERNEL_PIXEL_COPY) {
    return "pixel_gather has no kernel: a gather of pixels is the cluster DMA's copies alone, its steps have no call";
  }
  if (c.kind() == isa::pulp::KERNEL_EMBEDDING) {
    return "embedding has no kernel: its rows are the uDMA's copies (Step.row_gather), its steps have no call";
  }
  std::string p = zero_size_problem(c);
  if (p.empty()) p = dilation_problem(c);
  if (p.empty()) p = pad_problem(c);
  if (p.empty()) p = extents_problem(c);
  if (p.empty()) p = kind_shape_problem(c);
  if (p.empty()) p = operands_problem(c, l1_size);
  // The max pool, the table lookup, the gather, the softmax, the resize and the layernorm (its
  // own scaling) have no requantisation.
  if (p.empty() && c.kind() != isa::pulp::KERNEL_MAXPOOL && c.kind() != isa::pulp::KERNEL_LUT &&
      c.kind() != isa::pulp::KERNEL_GATHER && c.kind() != isa::pulp::KERNEL_SOFTMAX &&
      c.kind() != isa::pulp::KERNEL_RESIZE && c.kind() != isa::pulp::KERNEL_LAYERNORM) {
    p = requant_problem(c.requant(), c.c_out());
    if (p.empty()) p = requant_clamp_problem(c);
  }
  return p;
}

void run_kernel(const KernelCall& c, std::span<std::uint8_t> l1) {
  std::uint8_t* m = l1.data();
  const bool s = c.input_signed();
  switch (c.kind()) {
    case isa::pulp::KERNEL_CONV:
    case isa::pulp::KERNEL_POINTWISE:
    case isa::pulp::KERNEL_LINEAR: s ? matmul<true>(c, m) : matmul<false>(c, m); break;
    case isa::pulp::KERNEL_DEPTHWISE: s ? depthwise<true>(c, m) : depthwise<false>(c, m); break;
    case isa::pulp::KERNEL_GROUPED_CONV: s ? grouped_conv<true>(c, m) : grouped_conv<false>(c, m); break;
    case isa::pulp::KERNEL_MAXPOOL: s ? maxpool<true>(c, m) : maxpool<false>(c, m); break;
    case isa::pulp::KERNEL_AVGPOOL: s ? avgpool<true>(c, m) : avgpool<false>(c, m); break;
    case isa::pulp::KERNEL_ADD: s ? add_by_second_type<true>(c, m) : add_by_second_type<false>(c, m); break;
    case isa::pulp::KERNEL_LUT: s ? lut<true>(c, m) : lut<false>(c, m); break;
    case isa::pulp::KERNEL_MUL: s ? mul_by_second_type<true>(c, m) : mul_by_second_type<false>(c, m); break;
    case isa::pulp::KERNEL_GATHER: gather(c, m); break;
    case isa::pulp::KERNEL_SOFTMAX: run_softmax_kernel(c, l1); break;
    case isa::pulp::KERNEL_RESIZE: run_resize(c, l1); break;
    case isa::pulp::KERNEL_LAYERNORM: run_layernorm(c, l1); break;
    case isa::pulp::KERNEL_MATMUL: run_matmul_kernel(c, l1); break;
    default: break;  // kernel_problem rejects other kinds
  }
}

}  // namespace wb::sim::pulp
