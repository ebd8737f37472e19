#pragma once
// Checks shared by the kernel programs' tests (test_programs_*.cpp): a call's operands laid out
// in L1 with gaps between them (an access one byte past its buffer lands in a gap), every
// core's loads and stores inside the buffers it may touch, every output byte stored once, and
// op counts.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "isa/pulp.pb.h"
#include "sim/pulp/cores/core_ops.h"
#include "sim/pulp/programs/kernel_programs.h"
#include "sim/pulp/kernels/kernels.h"

namespace wb::sim::pulp::programs_testing {

constexpr std::uint64_t kL1Bytes = 1 << 20;
constexpr std::uint64_t kGap = 64;

struct Buffer {
  std::string name;
  std::uint64_t begin = 0, end = 0;
  bool contains(std::uint64_t address, std::uint64_t bytes) const { return address >= begin && address + bytes <= end; }
};

// Places buffers one after another from 4096, each at a word boundary `kGap` bytes after the
// last; returns the address of each, in order.
class Layout {
 public:
  std::uint64_t place(std::uint64_t bytes) {
    const std::uint64_t at = next_;
    next_ = (at + bytes + kGap + 3) / 4 * 4;
    return at;
  }

 private:
  std::uint64_t next_ = 4096;
};

struct OpCounts {
  std::uint64_t loads = 0, stores = 0, dot_products = 0, divides = 0, load_use = 0, ops = 0;
};

inline OpCounts count_ops(const CoreProgram& program) {
  OpCounts n;
  for (const CoreOp& op : program) {
    ++n.ops;
    if (op.kind == CoreOpKind::Load) {
      ++n.loads;
      if (op.feeds_next) ++n.load_use;
    }
    if (op.kind == CoreOpKind::Store) ++n.stores;
    if (op.kind == CoreOpKind::DotProduct) ++n.dot_products;
    if (op.kind == CoreOpKind::Divide) ++n.divides;
  }
  return n;
}

inline std::vector<CoreProgram> programs_of(const isa::pulp::KernelCall& call, int cores) {
  std::vector<CoreProgram> programs;
  for (int core = 0; core < cores; ++core) programs.push_back(kernel_program(call, core, cores));
  return programs;
}

// "" when every load of `program` lies inside one of `loads` and every store inside one of
// `stores`, else the first that does not.
inline std::string stray_access(const CoreProgram& program, const std::vector<Buffer>& loads,
                                const std::vector<Buffer>& stores) {
  for (std::size_t i = 0; i < program.size(); ++i) {
    const CoreOp& op = program[i];
    if (op.kind != CoreOpKind::Load && op.kind != CoreOpKind::Store) continue;
    const std::vector<Buffer>& allowed = op.kind == CoreOpKind::Load ? loads : stores;
    bool inside = false;
    for (const Buffer& b : allowed) inside = inside || b.contains(op.address, op.bytes);
    if (!inside) {
      return fmt::format("op {}: {} of {} bytes at {} outside its buffers", i,
                         op.kind == CoreOpKind::Load ? "load" : "store", static_cast<int>(op.bytes), op.address);
    }
  }
  return {};
}

// How often each output byte is stored by all the programs together (stores outside the output
// are not counted here).
inline std::vector<int> output_stores(const std::vector<CoreProgram>& programs, const Buffer& output) {
  std::vector<int> stores(output.end - output.begin, 0);
  for (const CoreProgram& program : programs) {
    for (const CoreOp& op : program) {
      if (op.kind != CoreOpKind::Store) continue;
      for (std::uint64_t a = op.address; a < op.address + op.bytes; ++a) {
        if (a >= output.begin && a < output.end) ++stores[a - output.begin];
      }
    }
  }
  return stores;
}

inline void expect_each_output_stored_once(const std::vector<CoreProgram>& programs, const Buffer& output,
                                           const std::string& what) {
  const std::vector<int> stores = output_stores(programs, output);
  for (std::size_t i = 0; i < stores.size(); ++i) {
    if (stores[i] != 1) {
      ADD_FAILURE() << what << ": output byte " << i << " stored " << stores[i] << " times";
      return;
    }
  }
}

inline void expect_well_formed(const isa::pulp::KernelCall& call) {
  ASSERT_EQ(kernel_problem(call, kL1Bytes), "") << call.ShortDebugString();
}

// A call's window geometry: square k x k windows at `stride` with `pad` on every side, the
// output's height and width from them.
inline void set_window(isa::pulp::KernelCall& c, std::uint32_t h_in, std::uint32_t w_in, std::uint32_t c_in,
                       std::uint32_t c_out, std::uint32_t k, std::uint32_t stride, std::uint32_t pad) {
  c.set_h_in(h_in);
  c.set_w_in(w_in);
  c.set_c_in(c_in);
  c.set_c_out(c_out);
  c.set_k_h(k);
  c.set_k_w(k);
  c.set_stride_h(stride);
  c.set_stride_w(stride);
  c.set_pad_top(pad);
  c.set_pad_bottom(pad);
  c.set_pad_left(pad);
  c.set_pad_right(pad);
  c.set_h_out((h_in + 2 * pad - k) / stride + 1);
  c.set_w_out((w_in + 2 * pad - k) / stride + 1);
}

inline void set_identity_requant(isa::pulp::KernelCall& call) {
  call.mutable_requant()->add_multiplier(1);
  call.mutable_requant()->add_shift(0);
  call.mutable_requant()->set_lo(call.output_signed() ? -128 : 0);
  call.mutable_requant()->set_hi(call.output_signed() ? 127 : 255);
}

}  // namespace wb::sim::pulp::programs_testing
