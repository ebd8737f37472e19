#pragma once
// What a cluster core executes, as the cluster model's core engine (sim/pulp/cores/core_engine.h)
// runs it: one operation per RI5CY instruction of a kernel's loop nest, with the L1 address of
// every load and store (issue #37). The streams are written from PULP-NN's inner loops
// (sim/pulp/programs/kernel_programs.h), apart from the compiler's predictor (perf/pulp/cost): where the
// two disagree, the report shows it.
//
// The engine gives each operation one cycle, then adds what the hardware adds: a load whose
// result the next instruction reads stalls one cycle (RI5CY's load-use hazard); an access
// that loses its TCDM bank to another core or the DMA waits a cycle and retries; a word or
// halfword access that crosses a word boundary is two accesses; a taken branch flushes the
// fetch stage; the divider takes its latency; a barrier holds a core until all have reached it. Hardware loops (lp.setup) cost their setup
// instruction and nothing per iteration.

#include <cstdint>
#include <vector>

namespace wb::sim::pulp {

// The int8 MACs of one DotProduct: four byte lanes of a 32-bit register.
inline constexpr std::uint64_t kMacsPerDotProduct = 4;

enum class CoreOpKind : std::uint8_t {
  Alu,        // add, shift, compare, clip, move, p.mul, pv.maxu.b, pointer arithmetic
  DotProduct, // pv.sdotsp.b / pv.sdotusp.b: 4 MACs in one cycle
  Load,       // lb/lbu/lh/lhu/lw (post-increment addressing included)
  Store,      // sb/sh/sw
  LoopSetup,  // lp.setup / lp.setupi: a hardware loop, no per-iteration cost after it
  Branch,     // a conditional branch or jump that is taken (a not-taken branch is an Alu op)
  Divide,     // div/divu/rem/remu: the divider's latency (HwConfig)
  Barrier,    // the event unit's barrier inside a call: waits for every core with a program to
              // reach its own, then the barrier's latency (HwConfig barrier_cycles)
};

struct CoreOp {
  std::uint32_t address = 0;  // Load, Store: the L1 byte address
  CoreOpKind kind = CoreOpKind::Alu;
  std::uint8_t bytes = 0;     // Load, Store: 1, 2 or 4
  bool feeds_next = false;    // Load: the next operation reads its result (a load-use stall)
};
static_assert(sizeof(CoreOp) == 8, "a core's program of a large tile holds millions of these");

using CoreProgram = std::vector<CoreOp>;

// Appends operations to a program. The helpers keep the kernels' loop nests readable.
class CoreProgramBuilder {
 public:
  explicit CoreProgramBuilder(CoreProgram& program) : program_(program) {}
  void alu(std::uint32_t count = 1) { repeat(CoreOp{0, CoreOpKind::Alu, 0, false}, count); }
  void dot_product(std::uint32_t count = 1) { repeat(CoreOp{0, CoreOpKind::DotProduct, 0, false}, count); }
  void load(std::uint32_t address, std::uint8_t bytes, bool feeds_next = false) {
    program_.push_back(CoreOp{address, CoreOpKind::Load, bytes, feeds_next});
  }
  void store(std::uint32_t address, std::uint8_t bytes) {
    program_.push_back(CoreOp{address, CoreOpKind::Store, bytes, false});
  }
  void loop_setup(std::uint32_t count = 1) { repeat(CoreOp{0, CoreOpKind::LoopSetup, 0, false}, count); }
  void branch() { program_.push_back(CoreOp{0, CoreOpKind::Branch, 0, false}); }
  void divide() { program_.push_back(CoreOp{0, CoreOpKind::Divide, 0, false}); }
  void barrier() { program_.push_back(CoreOp{0, CoreOpKind::Barrier, 0, false}); }

 private:
  void repeat(CoreOp op, std::uint32_t count) { program_.insert(program_.end(), count, op); }
  CoreProgram& program_;
};

}  // namespace wb::sim::pulp
