#include "sim/pulp/kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "sim/common/requant.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

bool is_matmul(isa::pulp::KernelKind kind) {
  return kind == isa::pulp::KERNEL_CONV || kind == isa::pulp::KERNEL_POINTWISE || kind == isa::pulp::KERNEL_LINEAR;
}

bool has_weights(isa::pulp::KernelKind kind) { return is_matmul(kind) || kind == isa::pulp::KERNEL_DEPTHWISE; }

std::uint64_t input_bytes(const KernelCall& c) { return std::uint64_t{c.h_in()} * c.w_in() * c.c_in(); }
std::uint64_t output_bytes(const KernelCall& c) { return std::uint64_t{c.h_out()} * c.w_out() * c.c_out(); }
std::uint64_t weight_bytes(const KernelCall& c) {
  const std::uint64_t window = std::uint64_t{c.k_h()} * c.k_w();
  return c.kind() == isa::pulp::KERNEL_DEPTHWISE ? window * c.c_out() : window * c.c_in() * c.c_out();
}

std::string range_problem(const char* what, std::uint64_t address, std::uint64_t bytes, std::size_t l1_size) {
  if (address + bytes > l1_size || address + bytes < address) {
    return fmt::format("{}: {} bytes at {} end beyond L1 ({} bytes)", what, bytes, address, l1_size);
  }
  return {};
}

std::string extent_problem(const char* axis, std::uint32_t out, std::uint32_t in, std::uint32_t k, std::uint32_t stride,
                           std::uint32_t pad_a, std::uint32_t pad_b) {
  const std::int64_t padded = std::int64_t{in} + pad_a + pad_b - k;
  const std::int64_t expected = padded < 0 ? 0 : padded / stride + 1;
  if (out != expected) {
    return fmt::format("{}_out {} does not match {}_in {}, k {}, stride {}, pads {}+{} ({})", axis, out, axis, in, k,
                       stride, pad_a, pad_b, expected);
  }
  return {};
}

std::int32_t load_i32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(v);
}

void store_i32(std::uint8_t* p, std::int32_t value) {
  const auto v = static_cast<std::uint32_t>(value);
  std::memcpy(p, &v, 4);
}

template <bool Signed>
inline std::int32_t element(const std::uint8_t* p) {
  if constexpr (Signed) {
    return static_cast<std::int8_t>(*p);
  } else {
    return *p;
  }
}

void store_output(std::uint8_t* p, std::int32_t y) { *p = static_cast<std::uint8_t>(y & 0xff); }

// The valid kernel positions [k0, k1) of output coordinate o along one axis.
inline void window_range(std::int64_t o, std::uint32_t stride, std::uint32_t pad, std::uint32_t k, std::uint32_t in,
                         std::int64_t& first_input, std::uint32_t& k0, std::uint32_t& k1) {
  first_input = o * stride - pad;
  k0 = first_input < 0 ? static_cast<std::uint32_t>(-first_input) : 0;
  const std::int64_t end = first_input + k;
  k1 = end > in ? static_cast<std::uint32_t>(k - (end - in)) : k;
  if (k1 < k0) k1 = k0;
}

// The valid part of one output pixel's window: input row/column of kernel position 0, and
// the kernel rows [kh0, kh1) and columns [kw0, kw1) that fall inside the tile.
struct Window {
  std::int64_t ih0 = 0, iw0 = 0;
  std::uint32_t kh0 = 0, kh1 = 0, kw0 = 0, kw1 = 0;
};

// Calls f(oh, ow, window) for every output pixel of the call, row by row.
template <class F>
void for_each_window(const KernelCall& c, F&& f) {
  Window win;
  for (std::uint32_t oh = 0; oh < c.h_out(); ++oh) {
    window_range(oh, c.stride_h(), c.pad_top(), c.k_h(), c.h_in(), win.ih0, win.kh0, win.kh1);
    for (std::uint32_t ow = 0; ow < c.w_out(); ++ow) {
      window_range(ow, c.stride_w(), c.pad_left(), c.k_w(), c.w_in(), win.iw0, win.kw0, win.kw1);
      f(oh, ow, win);
    }
  }
}

// Standard convolution / pointwise / linear on HWC: per output pixel, per output channel, the
// dot product over the valid window rows of contiguous (k_w x c_in) runs.
template <bool Signed>
void conv(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  const auto* w = reinterpret_cast<const std::int8_t*>(l1 + c.weights());
  const std::uint8_t* bias = c.has_bias() ? l1 + c.bias() : nullptr;
  std::uint8_t* y = l1 + c.output();
  std::uint8_t* acc = c.cin_tiled() ? l1 + c.accumulator() : nullptr;
  const std::uint32_t cin = c.c_in(), cout = c.c_out(), kh = c.k_h(), kw = c.k_w();
  const std::uint64_t row_stride = std::uint64_t{c.w_in()} * cin;
  std::vector<std::int64_t> sums(cout);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const Window& win) {
    const std::int64_t ih0 = win.ih0, iw0 = win.iw0;
    const std::uint32_t kh0 = win.kh0, kh1 = win.kh1, kw0 = win.kw0, kw1 = win.kw1;
    const std::uint64_t pixel = std::uint64_t{oh} * c.w_out() + ow;
    const std::uint32_t run = (kw1 - kw0) * cin;  // contiguous bytes of one window row
    for (std::uint32_t co = 0; co < cout; ++co) {
      std::int64_t s;
      if (c.cin_tiled() && !c.first_cin_tile()) {
        s = load_i32(acc + 4 * (pixel * cout + co));
      } else {
        s = bias != nullptr ? load_i32(bias + 4 * std::uint64_t{co}) : 0;
      }
      const std::int8_t* wc = w + std::uint64_t{co} * kh * kw * cin;
      for (std::uint32_t r = kh0; r < kh1; ++r) {
        const std::uint8_t* xr =
            x + static_cast<std::uint64_t>(ih0 + r) * row_stride + static_cast<std::uint64_t>(iw0 + kw0) * cin;
        const std::int8_t* wr = wc + (std::uint64_t{r} * kw + kw0) * cin;
        std::int32_t dot = 0;  // at most k_w * c_in * 255 * 128 per row: fits 32 bits for k_w * c_in < 65793
        for (std::uint32_t i = 0; i < run; ++i) dot += element<Signed>(xr + i) * wr[i];
        s += dot;
      }
      sums[co] = s;
    }
    for (std::uint32_t co = 0; co < cout; ++co) {
      if (c.cin_tiled() && !c.last_cin_tile()) {
        store_i32(acc + 4 * (pixel * cout + co), static_cast<std::int32_t>(sums[co]));
      } else {
        store_output(y + pixel * cout + co, requantize(sums[co], c.requant(), co));
      }
    }
  });
}

template <bool Signed>
void depthwise(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* x = l1 + c.input();
  const auto* w = reinterpret_cast<const std::int8_t*>(l1 + c.weights());
  const std::uint8_t* bias = c.has_bias() ? l1 + c.bias() : nullptr;
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t ch = c.c_out(), kh = c.k_h(), kw = c.k_w();
  std::vector<std::int64_t> sums(ch);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const Window& win) {
    const std::int64_t ih0 = win.ih0, iw0 = win.iw0;
    const std::uint32_t kh0 = win.kh0, kh1 = win.kh1, kw0 = win.kw0, kw1 = win.kw1;
    for (std::uint32_t k = 0; k < ch; ++k) sums[k] = bias != nullptr ? load_i32(bias + 4 * std::uint64_t{k}) : 0;
    for (std::uint32_t r = kh0; r < kh1; ++r) {
      for (std::uint32_t q = kw0; q < kw1; ++q) {
        const std::uint8_t* xp =
            x + (static_cast<std::uint64_t>(ih0 + r) * c.w_in() + static_cast<std::uint64_t>(iw0 + q)) * ch;
        const std::uint64_t tap = std::uint64_t{r} * kw + q;
        for (std::uint32_t k = 0; k < ch; ++k) sums[k] += element<Signed>(xp + k) * w[std::uint64_t{k} * kh * kw + tap];
      }
    }
    std::uint8_t* yp = y + (std::uint64_t{oh} * c.w_out() + ow) * ch;
    for (std::uint32_t k = 0; k < ch; ++k) store_output(yp + k, requantize(sums[k], c.requant(), k));
  });
}

template <bool Signed>
void pool(const KernelCall& c, std::uint8_t* l1) {
  const bool is_max = c.kind() == isa::pulp::KERNEL_MAXPOOL;
  const std::uint8_t* x = l1 + c.input();
  std::uint8_t* y = l1 + c.output();
  const std::uint32_t ch = c.c_out();
  std::vector<std::int64_t> acc(ch);
  for_each_window(c, [&](std::uint32_t oh, std::uint32_t ow, const Window& win) {
    const std::int64_t ih0 = win.ih0, iw0 = win.iw0;
    const std::uint32_t kh0 = win.kh0, kh1 = win.kh1, kw0 = win.kw0, kw1 = win.kw1;
    std::fill(acc.begin(), acc.end(), is_max ? std::numeric_limits<std::int64_t>::min() : 0);
    for (std::uint32_t r = kh0; r < kh1; ++r) {
      for (std::uint32_t q = kw0; q < kw1; ++q) {
        const std::uint8_t* xp =
            x + (static_cast<std::uint64_t>(ih0 + r) * c.w_in() + static_cast<std::uint64_t>(iw0 + q)) * ch;
        for (std::uint32_t k = 0; k < ch; ++k) {
          const std::int64_t v = element<Signed>(xp + k);
          acc[k] = is_max ? std::max(acc[k], v) : acc[k] + v;
        }
      }
    }
    std::uint8_t* yp = y + (std::uint64_t{oh} * c.w_out() + ow) * ch;
    for (std::uint32_t k = 0; k < ch; ++k) {
      // A window entirely in the padding has no maximum; PULP-NN never sees one (pads < k).
      const std::int64_t v = is_max ? (acc[k] == std::numeric_limits<std::int64_t>::min() ? 0 : acc[k])
                                    : requantize(acc[k], c.requant(), k);
      store_output(yp + k, static_cast<std::int32_t>(v));
    }
  });
}

template <bool SignedA, bool SignedB>
void add(const KernelCall& c, std::uint8_t* l1) {
  const std::uint8_t* a = l1 + c.input();
  const std::uint8_t* b = l1 + c.input_b();
  std::uint8_t* y = l1 + c.output();
  const std::int64_t ma = c.input_multiplier(0), mb = c.input_multiplier(1);
  const std::uint32_t ch = c.c_out();
  const std::uint64_t n = output_bytes(c);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::int64_t v = element<SignedA>(a + i) * ma + element<SignedB>(b + i) * mb;
    store_output(y + i, requantize(v, c.requant(), static_cast<std::size_t>(i % ch)));
  }
}

}  // namespace

std::string kernel_problem(const KernelCall& c, std::size_t l1_size) {
  const auto kind = c.kind();
  if (kind < isa::pulp::KERNEL_CONV || kind > isa::pulp::KERNEL_AVGPOOL)
    return fmt::format("unknown kernel {}", static_cast<int>(kind));
  if (c.h_in() == 0 || c.w_in() == 0 || c.c_in() == 0 || c.h_out() == 0 || c.w_out() == 0 || c.c_out() == 0) {
    return "a zero dimension";
  }
  if (c.k_h() == 0 || c.k_w() == 0 || c.stride_h() == 0 || c.stride_w() == 0) return "a zero kernel size or stride";
  if (c.pad_top() >= c.k_h() || c.pad_bottom() >= c.k_h() || c.pad_left() >= c.k_w() || c.pad_right() >= c.k_w()) {
    return "padding as large as the kernel";
  }
  std::string p = extent_problem("h", c.h_out(), c.h_in(), c.k_h(), c.stride_h(), c.pad_top(), c.pad_bottom());
  if (p.empty()) p = extent_problem("w", c.w_out(), c.w_in(), c.k_w(), c.stride_w(), c.pad_left(), c.pad_right());
  if (!p.empty()) return p;
  if (!is_matmul(kind) && c.c_in() != c.c_out())
    return fmt::format("c_in {} differs from c_out {}", c.c_in(), c.c_out());
  if (kind == isa::pulp::KERNEL_ADD) {
    if (c.k_h() != 1 || c.k_w() != 1 || c.stride_h() != 1 || c.stride_w() != 1) return "add with a window";
    if (c.input_multiplier_size() != 2)
      return fmt::format("add needs 2 input multipliers, has {}", c.input_multiplier_size());
  }
  if (c.cin_tiled() && !is_matmul(kind)) return "input-channel tiling of a kernel without a channel reduction";
  p = range_problem("input", c.input(), input_bytes(c), l1_size);
  if (p.empty() && kind == isa::pulp::KERNEL_ADD) p = range_problem("input_b", c.input_b(), input_bytes(c), l1_size);
  if (p.empty() && !(c.cin_tiled() && !c.last_cin_tile()))
    p = range_problem("output", c.output(), output_bytes(c), l1_size);
  if (p.empty() && has_weights(kind)) p = range_problem("weights", c.weights(), weight_bytes(c), l1_size);
  if (p.empty() && has_weights(kind) && c.has_bias())
    p = range_problem("bias", c.bias(), 4 * std::uint64_t{c.c_out()}, l1_size);
  if (p.empty() && c.cin_tiled()) p = range_problem("accumulator", c.accumulator(), 4 * output_bytes(c), l1_size);
  if (!p.empty()) return p;
  if (kind != isa::pulp::KERNEL_MAXPOOL) {
    p = requant_problem(c.requant(), c.c_out());
    if (!p.empty()) return p;
  }
  return {};
}

void run_kernel(const KernelCall& c, std::span<std::uint8_t> l1) {
  std::uint8_t* m = l1.data();
  const bool s = c.input_signed();
  switch (c.kind()) {
    case isa::pulp::KERNEL_CONV:
    case isa::pulp::KERNEL_POINTWISE:
    case isa::pulp::KERNEL_LINEAR:
      s ? conv<true>(c, m) : conv<false>(c, m);
      break;
    case isa::pulp::KERNEL_DEPTHWISE:
      s ? depthwise<true>(c, m) : depthwise<false>(c, m);
      break;
    case isa::pulp::KERNEL_MAXPOOL:
    case isa::pulp::KERNEL_AVGPOOL:
      s ? pool<true>(c, m) : pool<false>(c, m);
      break;
    case isa::pulp::KERNEL_ADD:
      if (s) {
        c.input_b_signed() ? add<true, true>(c, m) : add<true, false>(c, m);
      } else {
        c.input_b_signed() ? add<false, true>(c, m) : add<false, false>(c, m);
      }
      break;
    default:
      break;
  }
}

}  // namespace wb::sim::pulp
