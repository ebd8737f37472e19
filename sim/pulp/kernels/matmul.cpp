#include "sim/pulp/kernels/matmul.h"

#include <fmt/format.h>

#include <limits>

#include "sim/common/requant.h"
#include "sim/pulp/kernels/tile_element.h"
#include "support/error.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

// Reads b as c_out x c_in rows (bt[n * c_in + k] = b(n, k)): both operands then run along k,
// as the 4x2 matmul reads them.
std::int64_t read_int32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int byte = 0; byte < 4; ++byte) v |= std::uint32_t{p[byte]} << (8 * byte);
  return static_cast<std::int32_t>(v);
}

// `bias` (int32 h_out x c_out, little-endian; null without one) starts each sum.
template <bool SignedA, bool SignedB>
void matmul_products(const KernelCall& c, const std::uint8_t* a, const std::uint8_t* bt, const std::uint8_t* bias,
                     std::uint8_t* y) {
  const std::uint32_t c_in = c.c_in(), c_out = c.c_out();
  for (std::uint32_t m = 0; m < c.h_out(); ++m) {
    const std::uint8_t* row = a + std::uint64_t{m} * c_in;
    for (std::uint32_t n = 0; n < c_out; ++n) {
      const std::uint8_t* column = bt + std::uint64_t{n} * c_in;
      std::int64_t sum = bias != nullptr ? read_int32(bias + 4 * (std::uint64_t{m} * c_out + n)) : 0;
      for (std::uint32_t k = 0; k < c_in; ++k) sum += std::int64_t{tile_element<SignedA>(row + k)} * tile_element<SignedB>(column + k);
      // requantize clamps into the output type (kernel_problem checks the clamp): the low byte
      // is the int8 or uint8 value.
      y[std::uint64_t{m} * c_out + n] = static_cast<std::uint8_t>(requantize(sum, c.requant(), 0) & 0xff);
    }
  }
}

// The transpose writes the scratch while other cores still read b, and the products read it
// while writing y: a scratch that shares a byte with a, b or y (an im2col never set, left at 0
// where a starts) would corrupt them.
std::string scratch_overlap_problem(const KernelCall& c) {
  if (!c.matmul_b_by_rows()) return {};
  // Addresses are any 64-bit values here (the range checks come later): compare by distance.
  const std::uint64_t begin = c.im2col(), bytes = std::uint64_t{c.c_out()} * c.c_in();
  const struct {
    const char* name;
    std::uint64_t address, bytes;
    bool skip;
  } operands[] = {{"input", c.input(), std::uint64_t{c.h_in()} * c.c_in(), false},
                  {"input_b", c.input_b(), std::uint64_t{c.c_out()} * c.c_in(), c.matmul_b_transposed()},
                  {"output", c.output(), std::uint64_t{c.h_out()} * c.c_out(), false}};
  for (const auto& o : operands) {
    // A call that reads the transposed copy an earlier call left does not read b.
    if (o.skip) continue;
    const bool overlaps = begin >= o.address ? begin - o.address < o.bytes : o.address - begin < bytes;
    if (overlaps) {
      return fmt::format("matmul scratch (im2col) at {} ({} bytes) overlaps {} ({} bytes at {}): b by rows needs a "
                         "scratch of its own",
                         begin, bytes, o.name, o.bytes, o.address);
    }
  }
  return {};
}

template <bool SignedA>
void matmul_products_by_second_type(const KernelCall& c, const std::uint8_t* a, const std::uint8_t* bt,
                                    const std::uint8_t* bias, std::uint8_t* y) {
  c.input_b_signed() ? matmul_products<SignedA, true>(c, a, bt, bias, y)
                     : matmul_products<SignedA, false>(c, a, bt, bias, y);
}

// The bias arrives by DMA, so its range is checked as the call runs: with every product of the
// reduction at its largest, the cores' 32-bit sums must not overflow.
void check_bias(const KernelCall& c, const std::uint8_t* bias) {
  const std::int64_t products = std::int64_t{c.c_in()} * 255 * 255;
  for (std::uint64_t i = 0; i < std::uint64_t{c.h_out()} * c.c_out(); ++i) {
    const std::int64_t v = read_int32(bias + 4 * i);
    if ((v < 0 ? -v : v) + products > std::numeric_limits<std::int32_t>::max()) {
      throw UserError(fmt::format("matmul: bias entry {} is {}; with the products of c_in {} the cores' 32-bit sums "
                                  "could overflow",
                                  i, v, c.c_in()));
    }
  }
}

}  // namespace

std::uint64_t matmul_b_bytes(const KernelCall& c) { return std::uint64_t{c.c_out()} * c.c_in(); }

std::uint64_t matmul_scratch_bytes(const KernelCall& c) { return c.matmul_b_by_rows() ? matmul_b_bytes(c) : 0; }

std::string matmul_call_problem(const KernelCall& c) {
  if (c.w_in() != 1 || c.w_out() != 1) {
    return fmt::format("matmul with w_in {} and w_out {} (1 expected: rows of h_out x c_in, no columns)", c.w_in(),
                       c.w_out());
  }
  if (c.parallel() != isa::pulp::PARALLEL_HO) {
    return "matmul with a parallel other than ho (its cores split the output rows)";
  }
  if (c.has_bias() && c.matmul_b_by_rows()) {
    return "matmul with has_bias and matmul_b_by_rows (only the scores, Q.K^T, carry a bias)";
  }
  const isa::Requant& r = c.requant();
  if (r.multiplier_size() != 1 || r.shift_size() != 1 || r.offset_size() > 1) {
    return fmt::format("matmul needs one requant entry (per tensor), has {}/{}/{} multiplier/offset/shift",
                       r.multiplier_size(), r.offset_size(), r.shift_size());
  }
  if (c.c_in() > kMatMulMaxReduction) {
    return fmt::format("matmul over c_in {} (at most {}: the cores sum in 32-bit registers)", c.c_in(),
                       kMatMulMaxReduction);
  }
  if (c.matmul_b_transposed() && !c.matmul_b_by_rows()) {
    return "matmul_b_transposed without matmul_b_by_rows (only a transposed b is kept in the scratch)";
  }
  return scratch_overlap_problem(c);
}

void run_matmul_kernel(const KernelCall& c, std::span<std::uint8_t> l1) {
  std::uint8_t* m = l1.data();
  const std::uint8_t* bt = m + c.input_b();
  if (c.matmul_b_by_rows() && c.matmul_b_transposed()) {
    // An earlier call of the layer left b transposed in the scratch: read it as it is.
    bt = m + c.im2col();
  } else if (c.matmul_b_by_rows()) {
    // b is c_in x c_out: b(n, k) = b[k][n].
    const std::uint8_t* b = m + c.input_b();
    std::uint8_t* scratch = m + c.im2col();
    const std::uint32_t c_in = c.c_in(), c_out = c.c_out();
    for (std::uint32_t n = 0; n < c_out; ++n) {
      for (std::uint32_t k = 0; k < c_in; ++k) scratch[std::uint64_t{n} * c_in + k] = b[std::uint64_t{k} * c_out + n];
    }
    bt = scratch;
  }
  const std::uint8_t* a = m + c.input();
  const std::uint8_t* bias = c.has_bias() ? m + c.bias() : nullptr;
  if (bias != nullptr) check_bias(c, bias);
  std::uint8_t* y = m + c.output();
  c.input_signed() ? matmul_products_by_second_type<true>(c, a, bt, bias, y)
                   : matmul_products_by_second_type<false>(c, a, bt, bias, y);
}

}  // namespace wb::sim::pulp
