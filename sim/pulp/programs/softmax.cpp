// SOFTMAX's per-core program (sim/pulp/programs/kernel_programs.h): chunks of ceil(h_out / cores) output
// rows (a pixel's channels depend on each other, so the call is always PARALLEL_HO), per pixel
// the three passes of docs/pulp.md "Softmax" over its channels, none unrolled (the third is
// bound by the divider): where an instruction reads the load just before it, the core stalls.
#include <algorithm>
#include <cstdint>

#include "sim/pulp/programs/families.h"
#include "sim/pulp/programs/steps.h"

namespace wb::sim::pulp {

namespace {

using isa::pulp::KernelCall;

std::uint32_t u32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

constexpr std::uint32_t kTableEntries = 256;

// The entry e[c] = table[x[c] - m + 255] is data, and a program may not depend on data
// (kernel_programs.h): channel c reads entry 255 - c % 256, consecutive channels consecutive
// words (the banks uniformly distributed inputs would meet).
std::uint32_t entry_at(const KernelCall& c, std::uint32_t ch) {
  return u32(c.weights() + 4 * std::uint64_t{kTableEntries - 1 - ch % kTableEntries});
}

// Under Swin's region labels (KernelCall.softmax_label_*): the labels after the exp table, the
// window's of `pixel`'s row.
std::uint64_t window_labels(const KernelCall& c, std::uint64_t pixel) {
  const std::uint64_t tokens = c.softmax_label_tokens(), row = c.softmax_row0() + pixel;
  return c.weights() + 4 * kTableEntries + row / (tokens * c.softmax_label_heads()) * tokens;
}

// Under a causal mask (KernelCall.softmax_causal_*): the keys `pixel`'s row keeps, its query's
// position plus the cached keys. The passes loop over them alone (a count, not data).
std::uint32_t causal_kept(const KernelCall& c, std::uint64_t pixel) {
  const std::uint64_t query = (c.softmax_row0() + pixel) % c.softmax_causal_queries();
  return u32(std::min<std::uint64_t>(c.c_out(), query + c.softmax_causal_offset() + 1));
}

void softmax_pixel(const KernelCall& c, std::uint64_t pixel, CoreProgramBuilder& b) {
  const bool causal = c.softmax_causal_queries() > 0;
  const std::uint32_t channels = causal ? causal_kept(c, pixel) : c.c_out();
  const std::uint64_t x = c.input() + pixel * c.c_out();
  // Under labels, branch-free (predictor.softmax_label_*): per pixel the query's label (lbu) and
  // the row bookkeeping; per element of each pass the key's label, compared into a 0 / -1 mask.
  const bool labels = c.softmax_label_tokens() > 0;
  const std::uint64_t keys = labels ? window_labels(c, pixel) : 0;
  if (labels) {
    b.load(u32(keys + (c.softmax_row0() + pixel) % c.softmax_label_tokens()), 1);
    b.alu(4);
  }
  const auto masked = [&](std::uint32_t ch, std::uint32_t mask_alu) {
    if (!labels) return;
    b.load(u32(keys + ch), 1);
    b.alu(mask_alu);
  };
  // Per pixel (softmax_pixel_overhead): the three passes' lp.setup, and 8 Alu: m's initial
  // value, the input pointer's two rewinds, the table base's pre-offset by 4 * (255 - m) (sub,
  // slli, add), the sum's clear, sum / 2 (srli).
  b.loop_setup();
  b.alu(2);
  // Pass 1, m = max x: lb/lbu x (post-increment), p.max reading it.
  for (std::uint32_t ch = 0; ch < channels; ++ch) {
    if (labels) {
      // lbu label, lbu x, xor, sltiu, neg, addi 128, and, p.maxu: no load feeds the next.
      b.load(u32(keys + ch), 1);
      b.load(u32(x + ch), 1);
      b.alu(6);
    } else {
      b.load(u32(x + ch), 1, true);
      b.alu();
    }
  }
  b.loop_setup();
  b.alu(5);
  // Pass 2, sum += e[c]: lb/lbu x, slli by 2 reading it, the add to the table base, lw of the
  // entry, the add into the sum reading it.
  for (std::uint32_t ch = 0; ch < channels; ++ch) {
    masked(ch, 3);  // lbu label, xor, sltiu, neg
    b.load(u32(x + ch), 1, true);
    b.alu(2);
    b.load(entry_at(c, ch), 4, true);
    b.alu(labels ? 2 : 1);  // (and with the mask,) the add into the sum
  }
  b.loop_setup();
  b.alu();
  // Pass 3, y = min(255, (e * 256 + sum / 2) / sum): the lookup again, slli by 8 reading the
  // entry, the add of sum / 2, divu, p.minu with 255, sb (post-increment).
  for (std::uint32_t ch = 0; ch < channels; ++ch) {
    masked(ch, 3);  // lbu label, xor, sltiu, neg
    b.load(u32(x + ch), 1, true);
    b.alu(2);
    b.load(entry_at(c, ch), 4, true);
    b.alu(labels ? 3 : 2);  // (and with the mask,) slli by 8, the add of sum / 2
    b.divide();
    b.alu();
    b.store(u32(c.output() + pixel * c.c_out() + ch), 1);
  }
  if (causal) {
    // The kept count's advance and branch-free wrap at the head's last query (addi, sltu, neg,
    // sub, and, sub), the zero loop's count (sub) and setup, then sb of zero for each masked key.
    b.alu(7);
    b.loop_setup();
    for (std::uint32_t ch = channels; ch < c.c_out(); ++ch) b.store(u32(c.output() + pixel * c.c_out() + ch), 1);
  }
}

}  // namespace

CoreProgram softmax_program(const KernelCall& call, int core, int cores) {
  CoreProgram program = per_pixel_program(
      call, core, cores, [&](std::uint64_t pixel, CoreProgramBuilder& b) { softmax_pixel(call, pixel, b); });
  if (call.softmax_label_tokens() > 0 && !program.empty()) {
    // The core's first row located once: its window (divu) and query (remu), the label pointer
    // (mul, add).
    CoreProgram start;
    CoreProgramBuilder b(start);
    b.divide();
    b.divide();
    b.alu(2);
    program.insert(program.begin(), start.begin(), start.end());
  }
  if (call.softmax_causal_queries() > 0 && !program.empty()) {
    // The core's first row's query (remu) and its kept count (addi).
    CoreProgram start;
    CoreProgramBuilder b(start);
    b.divide();
    b.alu();
    program.insert(program.begin(), start.begin(), start.end());
  }
  return program;
}

}  // namespace wb::sim::pulp
