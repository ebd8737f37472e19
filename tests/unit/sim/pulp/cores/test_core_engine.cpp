// The core engine (sim/pulp/cores/core_engine.h) on hand-written programs: a core's cycles are its
// operations plus the stalls the pipeline adds, counted by hand; cores and the DMA on one bank
// share it round robin and the loser's waits are counted as conflicts; cores on different banks
// never wait.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/pulp/cores/core_engine.h"

namespace wb::sim::pulp {
namespace {

constexpr int kEngineBanks = 16;

CoreProgram loads_at(std::uint32_t address, std::uint32_t count, std::uint8_t bytes = 4) {
  CoreProgram p;
  CoreProgramBuilder b(p);
  for (std::uint32_t i = 0; i < count; ++i) b.load(address, bytes);
  return p;
}

TEST(CoreEngine, OneCoreTakesAnOperationACyclePlusThePipelinesStalls) {
  CoreProgram p;
  CoreProgramBuilder b(p);
  b.alu(3);                           // 3
  b.load(0, 4, /*feeds_next=*/true);  // 1 + a load-use stall of 2
  b.alu();                            // 1
  b.branch();                         // 1 + 3 taken
  b.divide();                         // 7 in all
  b.loop_setup();                     // 1
  b.dot_product(2);                   // 2
  b.store(8, 1);                      // 1
  const CorePipeline pipeline{.load_use_stall_cycles = 2, .branch_taken_cycles = 3, .divide_cycles = 7};
  const CallRun run = run_call({p}, kEngineBanks, pipeline);
  ASSERT_EQ(run.cores.size(), 1u);
  const CoreRun& core = run.cores[0];
  EXPECT_EQ(core.cycles, 3u + 3u + 1u + 4u + 7u + 1u + 2u + 1u);
  EXPECT_EQ(run.cycles, core.cycles);
  EXPECT_EQ(core.instructions, 11u);
  EXPECT_EQ(core.loads, 1u);
  EXPECT_EQ(core.stores, 1u);
  EXPECT_EQ(core.dot_products, 2u);
  EXPECT_EQ(core.load_use_stall_cycles, 2u);
  EXPECT_EQ(core.bank_conflict_cycles + core.dma_conflict_cycles + core.split_accesses, 0u);
}

TEST(CoreEngine, AnEmptyProgramTakesNoCycles) {
  const CallRun run = run_call({CoreProgram{}, loads_at(0, 5)}, kEngineBanks, CorePipeline{});
  EXPECT_EQ(run.cores[0].cycles, 0u);
  EXPECT_EQ(run.cores[1].cycles, 5u);
  EXPECT_EQ(run.cycles, 5u);
}

TEST(CoreEngine, MisalignedWordsAndHalfwordsAcrossAWordAreTwoAccesses) {
  // Word at 2: bytes 2..5 span words 0 and 1. Halfword at 3: bytes 3..4, across. Halfword at 2
  // and byte at 3: inside one word.
  for (const auto& [address, bytes, split] : {std::tuple{2u, std::uint8_t{4}, true}, std::tuple{3u, std::uint8_t{2}, true},
                                              std::tuple{2u, std::uint8_t{2}, false}, std::tuple{3u, std::uint8_t{1}, false},
                                              std::tuple{8u, std::uint8_t{4}, false}}) {
    const CallRun run = run_call({loads_at(address, 10, bytes)}, kEngineBanks, CorePipeline{});
    EXPECT_EQ(run.cores[0].split_accesses, split ? 10u : 0u) << address << " " << int{bytes};
    EXPECT_EQ(run.cores[0].cycles, split ? 20u : 10u) << address << " " << int{bytes};
    EXPECT_EQ(run.cores[0].loads, 10u);
  }
}

TEST(CoreEngine, TwoCoresOnOneBankEveryCycleEachLoseAboutHalf) {
  constexpr std::uint32_t n = 100;
  // Addresses 0 and 64: words 0 and 16, both bank 0 of 16.
  const CallRun run = run_call({loads_at(0, n), loads_at(64, n)}, kEngineBanks, CorePipeline{});
  for (const CoreRun& core : run.cores) {
    // Every cycle either core is not granted is a counted conflict, nothing else delays it.
    EXPECT_EQ(core.cycles, n + core.bank_conflict_cycles);
    EXPECT_GE(core.bank_conflict_cycles, n - 1);
    EXPECT_LE(core.bank_conflict_cycles, n);
    EXPECT_EQ(core.dma_conflict_cycles, 0u);
  }
  // One grant per cycle of the shared bank: 2n accesses take 2n cycles.
  EXPECT_EQ(run.cycles, 2 * n);
}

TEST(CoreEngine, TwoCoresOnDifferentBanksNeverWait) {
  constexpr std::uint32_t n = 100;
  const CallRun run = run_call({loads_at(0, n), loads_at(4, n)}, kEngineBanks, CorePipeline{});
  for (const CoreRun& core : run.cores) {
    EXPECT_EQ(core.bank_conflict_cycles, 0u);
    EXPECT_EQ(core.cycles, n);
  }
}

TEST(CoreEngine, AMisalignedWordMeetsTheCoreOnItsSecondBank) {
  // Core 0's word at 2 takes banks 0 then 1; core 1 reads bank 1 (address 4) every cycle.
  const CallRun run = run_call({loads_at(2, 1), loads_at(4, 4)}, kEngineBanks, CorePipeline{});
  EXPECT_EQ(run.cores[0].split_accesses, 1u);
  EXPECT_EQ(run.cores[0].cycles + run.cores[1].cycles,
            2u + 4u + run.cores[0].bank_conflict_cycles + run.cores[1].bank_conflict_cycles);
  // Cycle 0: each its own bank; bank 1's favoured requester moves to core 1 (the one asking
  // above 0). Cycle 1: both ask bank 1, core 1 is favoured and wins; the favour wraps to core 0.
  // Cycle 2: core 0's second word wins over core 1's third load. One lost cycle each.
  EXPECT_EQ(run.cores[0].bank_conflict_cycles, 1u);
  EXPECT_EQ(run.cores[1].bank_conflict_cycles, 1u);
}

// Back-to-back bursts of 8 bytes at address 0: the DMA asks for banks 0 and 1 every cycle.
DmaL1Traffic dma_on_banks_0_and_1(int bursts) {
  DmaL1Traffic dma;
  dma.bytes_per_cycle = 8;
  for (int i = 0; i < bursts; ++i) dma.bursts.push_back(DmaBurst{0, 0, 8});
  return dma;
}

TEST(CoreEngine, ADmaBurstOnTheCoresBankSlowsItAndIsCountedAsDmaConflict) {
  constexpr std::uint32_t n = 100;
  const DmaL1Traffic dma = dma_on_banks_0_and_1(200);
  const CallRun run = run_call({loads_at(64, n)}, kEngineBanks, CorePipeline{}, &dma);
  const CoreRun& core = run.cores[0];
  EXPECT_EQ(core.bank_conflict_cycles, 0u);
  EXPECT_EQ(core.cycles, n + core.dma_conflict_cycles);
  // Round robin between two requesters of bank 0: the core loses every other cycle.
  EXPECT_GE(core.dma_conflict_cycles, n - 1);
  EXPECT_LE(core.dma_conflict_cycles, n);
  EXPECT_GT(run.dma_stall_cycles, 0u);
  // 200 bursts of one cycle each, plus the cycles the DMA lost bank 0.
  EXPECT_EQ(run.dma_end_cycle, 200u + run.dma_stall_cycles);
}

TEST(CoreEngine, ADmaBurstOnOtherBanksCostsTheCoresNothing) {
  constexpr std::uint32_t n = 100;
  const DmaL1Traffic dma = dma_on_banks_0_and_1(200);
  const CallRun run = run_call({loads_at(8, n)}, kEngineBanks, CorePipeline{}, &dma);
  EXPECT_EQ(run.cores[0].cycles, n);
  EXPECT_EQ(run.cores[0].dma_conflict_cycles, 0u);
  EXPECT_EQ(run.dma_stall_cycles, 0u);
  EXPECT_EQ(run.dma_end_cycle, 200u);
}

TEST(CoreEngine, ABurstMovesBytesPerCycleAndWaitsForItsStartAndTheBurstBefore) {
  DmaL1Traffic dma;
  dma.bytes_per_cycle = 8;
  // 64 bytes from 0: 16 words at 2 a cycle = 8 cycles from cycle 10; the second burst may
  // start at 12 but waits for the first (one burst at a time): 18..19 for its 4 words (16 B).
  dma.bursts = {DmaBurst{10, 0, 64}, DmaBurst{12, 256, 16}};
  const CallRun run = run_call({}, kEngineBanks, CorePipeline{}, &dma);
  EXPECT_EQ(run.dma_end_cycle, 20u);
  EXPECT_EQ(run.cycles, 0u);
}

// 8 cores, each a PULP-NN-like loop: per iteration 6 word loads then 8 dot products.
std::vector<CoreProgram> eight_cores_loading(bool same_bank) {
  std::vector<CoreProgram> programs(8);
  for (std::uint32_t core = 0; core < 8; ++core) {
    CoreProgramBuilder b(programs[core]);
    // Same bank: every core reads words 16 apart (bank 0); spread: core c reads banks 2c and 2c+1.
    const std::uint32_t base = same_bank ? 64 * core : 8 * core;
    for (int it = 0; it < 50; ++it) {
      for (std::uint32_t l = 0; l < 6; ++l) b.load(same_bank ? base + 1024 * l : base + 4 * (l % 2), 4);
      b.dot_product(8);
    }
  }
  return programs;
}

TEST(CoreEngine, EightCoresOnOneBankAreSlowerThanSpreadByTheConflictsCounted) {
  constexpr std::uint64_t ops = 50 * 14;
  const CallRun spread = run_call(eight_cores_loading(false), kEngineBanks, CorePipeline{});
  const CallRun same = run_call(eight_cores_loading(true), kEngineBanks, CorePipeline{});
  EXPECT_EQ(spread.cycles, ops);
  for (const CoreRun& core : spread.cores) EXPECT_EQ(core.bank_conflict_cycles, 0u);
  std::uint64_t slowest_conflicts = 0;
  for (const CoreRun& core : same.cores) {
    EXPECT_EQ(core.cycles, ops + core.bank_conflict_cycles);
    if (core.cycles == same.cycles) slowest_conflicts = core.bank_conflict_cycles;
  }
  EXPECT_EQ(same.cycles - spread.cycles, slowest_conflicts);
  // 8 x 300 loads through one bank at one a cycle: at least 2400 cycles.
  EXPECT_GE(same.cycles, 8u * 50 * 6);
}

// Core 0 reaches the barrier after 10 ALU ops (cycle 10), core 1 at once: both go on at
// 10 + barrier_cycles (7 here) = 17 and finish their one op at 18. Core 2 has no barrier and
// finishes at 3 without holding anyone; an empty program takes part in nothing.
TEST(CoreEngine, ABarrierHoldsEveryCoreUntilTheLastArrivesThenItsLatency) {
  CoreProgram slow, quick, apart;
  CoreProgramBuilder s(slow), q(quick), a(apart);
  s.alu(10);
  s.barrier();
  s.alu();
  q.barrier();
  q.alu();
  a.alu(3);
  CorePipeline pipeline;
  pipeline.barrier_cycles = 7;
  const CallRun run = run_call({slow, quick, apart, CoreProgram{}}, kEngineBanks, pipeline);
  EXPECT_EQ(run.cores[0].cycles, 18u);
  EXPECT_EQ(run.cores[1].cycles, 18u);
  EXPECT_EQ(run.cores[2].cycles, 3u);
  EXPECT_EQ(run.cores[3].cycles, 0u);
  EXPECT_EQ(run.cores[0].instructions, 12u);
  EXPECT_EQ(run.cores[1].instructions, 2u);
}

// A core whose loads wait on a bank still reaches the barrier late: the other waits for it.
// Cores 0 and 1 load the same bank 4 times each (8 grants through one bank: the later of them
// the later arrives at cycle 8), then the barrier; both end together.
TEST(CoreEngine, ABarrierWaitsForACoreSlowedByConflicts) {
  CoreProgram p0 = loads_at(0, 4), p1 = loads_at(64, 4);
  CoreProgramBuilder(p0).barrier();
  CoreProgramBuilder(p1).barrier();
  CoreProgramBuilder(p0).alu();
  CoreProgramBuilder(p1).alu();
  CorePipeline pipeline;
  pipeline.barrier_cycles = 5;
  const CallRun run = run_call({p0, p1}, kEngineBanks, pipeline);
  // The bank grants one load a cycle and never idles while both ask: the 8th grant is in
  // cycle 7, so the later core reaches the barrier at 8, having lost at least 4 cycles.
  EXPECT_EQ(run.cores[0].cycles, 8u + 5u + 1u);
  EXPECT_EQ(run.cores[1].cycles, 8u + 5u + 1u);
  EXPECT_GE(std::max(run.cores[0].bank_conflict_cycles, run.cores[1].bank_conflict_cycles), 4u);
}

TEST(CoreEngine, RefusesABankCountThatIsNotAPowerOfTwo) {
  EXPECT_THROW(run_call({loads_at(0, 1)}, 12, CorePipeline{}), std::invalid_argument);
}

}  // namespace
}  // namespace wb::sim::pulp
