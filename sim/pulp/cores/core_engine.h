#pragma once
// The cluster's cores running one kernel call together, cycle by cycle, against the L1 TCDM
// (issue #37): each core an in-order RI5CY-like pipeline executing its program
// (sim/pulp/cores/core_ops.h), the TCDM `l1_banks` word-interleaved banks (bank = (address / 4) %
// banks) that each grant one access a cycle, arbitrated round robin (a round-robin
// arbitration tree, as PULP's) among the cores and the cluster DMA; a core whose access loses waits and retries the next cycle. The conflicts are
// counted, not assumed. Plain C++ inside the SystemC model: one call of run_call() simulates
// the whole kernel call, no SystemC process switch per core or cycle.
//
// The rules, as core_engine.cpp applies them: an operation issues the cycle after the one
// before it completes; a Load or Store asks for its bank in its issue cycle and completes in
// the cycle it is granted (a split access asks for the second word's bank the cycle after the
// first is granted); the cycles a core waits are its bank_conflict_cycles or
// dma_conflict_cycles, by who was granted. Reads of the same word by several cores are
// separate accesses (the interconnect does not broadcast). Each bank's arbiter is a round-robin
// tree over the cores and the DMA (common_cells' rr_arb_tree with its fair update: the
// favoured requester wins when it asks, the tree decides among the others). The tree matters:
// "the first after the one granted last" keeps cores that read the same bank in lock step
// for a whole kernel (3x the cycles of a pointwise layer with 64 input channels on 8 cores,
// against 3 % with the tree, whose asymmetry lets them drift apart as the real cluster's
// near-linear speed-ups show). A core's non-memory
// operations cannot be delayed by anyone, so the engine steps only through the cycles in which
// some requester asks for a bank.

#include <cstdint>
#include <vector>

#include "sim/pulp/cores/core_ops.h"

namespace wb::sim::pulp {

// The pipeline's latencies (HwConfig keys; docs/hw_config.md).
struct CorePipeline {
  int load_use_stall_cycles = 1;  // a load's result read by the next instruction
  int branch_taken_cycles = 2;    // extra cycles of a taken branch or jump
  int divide_cycles = 18;         // a division's whole latency
  int barrier_cycles = 11;        // from the last core's arrival at a Barrier to every core's release
  bool operator==(const CorePipeline&) const = default;
};

// The cluster DMA's L1 side during a call: bursts that each take `bytes_per_cycle / 4`
// consecutive banks (from its current address) in every cycle it moves data, from its start
// cycle (counted from the call's first cycle) until its bytes have moved. A burst asks for the
// first bytes_per_cycle / 4 words it has not moved yet and moves those whose banks it wins; a
// word it lost is asked for again the next cycle (dma_stall_cycles counts the cycles in which a
// burst lost a bank). A burst starts no earlier than the cycle after the one before it ends.
struct DmaBurst {
  std::uint64_t start_cycle = 0;
  std::uint32_t l1_address = 0;
  std::uint32_t bytes = 0;
};
struct DmaL1Traffic {
  int bytes_per_cycle = 8;
  std::vector<DmaBurst> bursts;  // in start order
};

struct CoreRun {
  std::uint64_t cycles = 0;            // from the call's first cycle to the end of this core's last op (0: no ops)
  std::uint64_t instructions = 0;
  std::uint64_t loads = 0, stores = 0;
  std::uint64_t dot_products = 0;
  std::uint64_t bank_conflict_cycles = 0;  // lost a bank to another core
  std::uint64_t dma_conflict_cycles = 0;   // lost a bank to the DMA
  std::uint64_t load_use_stall_cycles = 0;
  std::uint64_t split_accesses = 0;        // misaligned words and halfwords (two accesses)
};

struct CallRun {
  std::vector<CoreRun> cores;   // one per program given, in order
  std::uint64_t cycles = 0;     // the slowest core's
  std::uint64_t dma_stall_cycles = 0;  // cycles DMA bursts waited for a bank
  std::uint64_t dma_end_cycle = 0;     // when the last burst finished (0 without DMA)
};

// Runs the cores' programs from cycle 0 until every one has finished (and every DMA burst
// given has moved). A Barrier op holds its core until no core is running (each is at a
// barrier or finished), then releases the waiting ones barrier_cycles after the last arrival. `banks` is a power of two (else std::invalid_argument), at most 63 programs.
CallRun run_call(const std::vector<CoreProgram>& programs, int banks, const CorePipeline& pipeline,
                 const DmaL1Traffic* dma = nullptr);

}  // namespace wb::sim::pulp
