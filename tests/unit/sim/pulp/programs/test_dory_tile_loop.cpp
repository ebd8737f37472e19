// DORY 2021's layer loop as the cores run it (sim/pulp/programs/dory_tile_loop.h): the table of its
// compiled code parses, has the loop's structure (three team barriers a tile besides the
// kernel's), the transfers a core programs cost their ops before the right barrier, the split of
// rows over cores is DORY's, and the engine runs the stretches in lockstep.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/pulp/cores/core_engine.h"
#include "sim/pulp/programs/dory_tile_loop.h"
#include "sim/pulp/programs/kernel_programs.h"

namespace wb::sim::pulp {
namespace {

constexpr int kCores = 8;
constexpr int kBanks = 16;
constexpr std::int64_t kL1Bytes = 64 * 1024;
constexpr std::int64_t kBudget = 38000;

std::vector<std::uint32_t> stack_tops() {
  std::vector<std::uint32_t> tops;
  for (int c = 0; c < kCores; ++c) tops.push_back(core_stack_top(kL1Bytes, kBudget, c, kCores));
  return tops;
}

std::size_t count(const CoreProgram& p, CoreOpKind kind) {
  return static_cast<std::size_t>(std::count_if(p.begin(), p.end(), [&](const CoreOp& op) { return op.kind == kind; }));
}

TEST(DoryTileLoop, ATileMeetsThreeTeamBarriersBesidesTheKernels) {
  const std::vector<std::uint32_t> none(kCores, 0);
  for (const bool depthwise : {false, true}) {
    const auto before = dory_tile_loop_programs(DoryStretch::Before, depthwise, none, stack_tops());
    const auto after = dory_tile_loop_programs(DoryStretch::After, depthwise, none, stack_tops());
    const auto entry = dory_tile_loop_programs(DoryStretch::Entry, depthwise, none, stack_tops());
    ASSERT_EQ(before.size(), static_cast<std::size_t>(kCores));
    for (int c = 0; c < kCores; ++c) {
      const auto i = static_cast<std::size_t>(c);
      // The barrier before the kernel; the one after it and the loop's end.
      EXPECT_EQ(count(before[i], CoreOpKind::Barrier), 1u) << depthwise << " core " << c;
      EXPECT_EQ(count(after[i], CoreOpKind::Barrier), 2u) << depthwise << " core " << c;
      // The constants' copies, the first tile's, the one before the first kernel.
      EXPECT_EQ(count(entry[i], CoreOpKind::Barrier), 3u) << depthwise << " core " << c;
      // Each tile's code divides once before and once after its kernel (the copy functions'
      // size / (rows * run)).
      EXPECT_EQ(count(before[i], CoreOpKind::Divide), 1u);
      EXPECT_EQ(count(after[i], CoreOpKind::Divide), 1u);
      // The rest is the loop's bookkeeping on the stack: hundreds of ops, not a handful.
      EXPECT_GT(before[i].size() + after[i].size(), 300u);
      EXPECT_GT(count(before[i], CoreOpKind::Store), 30u);
    }
  }
}

TEST(DoryTileLoop, ItsLoadsAndStoresStayOnTheCoresOwnStack) {
  const std::vector<std::uint32_t> tops = stack_tops();
  const auto programs = dory_tile_loop_programs(DoryStretch::Before, false, std::vector<std::uint32_t>(kCores, 0), tops);
  for (int c = 0; c < kCores; ++c) {
    const auto i = static_cast<std::size_t>(c);
    const std::uint32_t below = c + 1 < kCores ? tops[i + 1] : 0;  // the next core's stack ends here
    for (const CoreOp& op : programs[i]) {
      if (op.kind != CoreOpKind::Load && op.kind != CoreOpKind::Store) continue;
      EXPECT_LT(op.address, tops[i]);
      EXPECT_GT(op.address, std::max<std::uint32_t>(below, static_cast<std::uint32_t>(kBudget)));
    }
  }
}

TEST(DoryTileLoop, EachTransferACoreProgramsCostsItsOpsBeforeTheBarrier) {
  const std::vector<std::uint32_t> none(kCores, 0);
  std::vector<std::uint32_t> some(kCores, 0);
  some[3] = 5;
  for (const DoryStretch stretch : {DoryStretch::Entry, DoryStretch::Before, DoryStretch::After}) {
    const auto base = dory_tile_loop_programs(stretch, false, none, stack_tops());
    const auto more = dory_tile_loop_programs(stretch, false, some, stack_tops());
    EXPECT_EQ(more[3].size(), base[3].size() + 5 * kDoryOpsPerTransfer);
    EXPECT_EQ(count(more[3], CoreOpKind::Branch), count(base[3], CoreOpKind::Branch) + 5);
    EXPECT_EQ(more[2].size(), base[2].size());
    // The transfers are programmed before the barrier the stretch's copies precede: the
    // kernel's in a tile's code (its first), the loop's end after a kernel (its last).
    const auto barrier_at = [](const CoreProgram& p, std::size_t nth) {
      std::size_t seen = 0;
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i].kind == CoreOpKind::Barrier && seen++ == nth) return i;
      }
      return p.size();
    };
    const std::size_t nth = stretch == DoryStretch::Before ? 0 : 1;
    EXPECT_EQ(barrier_at(more[3], nth), barrier_at(base[3], nth) + 5 * kDoryOpsPerTransfer);
    if (nth > 0) {
      EXPECT_EQ(barrier_at(more[3], nth - 1), barrier_at(base[3], nth - 1));
    }
  }
  // The core that programs them runs their instructions, and the barrier waits for it. (Less
  // than their cycles in all: out of lockstep, core 3 loses fewer stack banks to the others.)
  const CorePipeline pipeline;
  const CallRun a = run_call(dory_tile_loop_programs(DoryStretch::Before, false, none, stack_tops()), kBanks, pipeline);
  const CallRun b = run_call(dory_tile_loop_programs(DoryStretch::Before, false, some, stack_tops()), kBanks, pipeline);
  EXPECT_EQ(b.cores[3].instructions, a.cores[3].instructions + 5 * kDoryOpsPerTransfer);
  EXPECT_GT(b.cycles, a.cycles);
}

TEST(DoryTileLoop, RowsAreSplitOverTheCoresAsDorysCopyFunctionsSplitThem) {
  // chunk = ceil(rows / cores); core c takes [c * chunk, min((c + 1) * chunk, rows)).
  const std::vector<std::uint32_t> sixteen = {2, 2, 2, 2, 2, 2, 2, 2};
  const std::vector<std::uint32_t> twelve = {2, 2, 2, 2, 2, 2, 0, 0};
  const std::vector<std::uint32_t> three = {1, 1, 1, 0, 0, 0, 0, 0};
  const std::vector<std::uint32_t> seventeen = {3, 3, 3, 3, 3, 2, 0, 0};
  for (const auto& [rows, want] : {std::pair{16u, sixteen}, std::pair{12u, twelve}, std::pair{3u, three},
                                   std::pair{17u, seventeen}}) {
    std::uint32_t sum = 0;
    for (int c = 0; c < kCores; ++c) {
      EXPECT_EQ(dory_rows_of_core(rows, kCores, c), want[static_cast<std::size_t>(c)]) << rows << " rows, core " << c;
      sum += dory_rows_of_core(rows, kCores, c);
    }
    EXPECT_EQ(sum, rows);
  }
  EXPECT_EQ(dory_rows_of_core(5, 0, 0), 0u);
}

TEST(DoryTileLoop, AStretchTakesItsOpsPlusItsStallsAndBarriers) {
  const CorePipeline pipeline;
  for (const bool depthwise : {false, true}) {
    for (const DoryStretch stretch : {DoryStretch::Before, DoryStretch::After}) {
      const auto programs = dory_tile_loop_programs(stretch, depthwise, std::vector<std::uint32_t>(kCores, 0), stack_tops());
      const CallRun run = run_call(programs, kBanks, pipeline);
      std::uint64_t floor = 0;
      for (const CoreOp& op : programs[1]) {
        floor += 1;
        if (op.kind == CoreOpKind::Branch) floor += static_cast<std::uint64_t>(pipeline.branch_taken_cycles);
        if (op.kind == CoreOpKind::Divide) floor += static_cast<std::uint64_t>(pipeline.divide_cycles - 1);
        if (op.kind == CoreOpKind::Barrier) floor += static_cast<std::uint64_t>(pipeline.barrier_cycles);
        if (op.kind == CoreOpKind::Load && op.feeds_next) floor += static_cast<std::uint64_t>(pipeline.load_use_stall_cycles);
      }
      EXPECT_GE(run.cycles, floor) << depthwise;
      // Released together by the barrier, the cores touch their stacks at the same offsets: where
      // the stacks' ends share banks, they take turns.
      std::uint64_t conflicts = 0;
      for (const CoreRun& c : run.cores) conflicts += c.bank_conflict_cycles;
      EXPECT_GT(conflicts, 0u) << depthwise;
    }
  }
}

TEST(DoryTileLoop, ATokenOutsideTheTablesAlphabetIsRefused) {
  EXPECT_THROW(parse_dory_ops("A X B", 4096), std::invalid_argument);
  EXPECT_THROW(parse_dory_ops("L12", 4096), std::invalid_argument);  // above the frame
  EXPECT_THROW(parse_dory_ops("S-9000", 4096), std::invalid_argument);  // below the stack's start
  EXPECT_THROW(parse_dory_ops("Lx", 4096), std::invalid_argument);
  const CoreProgram p = parse_dory_ops("A L-8+ S-4 B D |", 4096);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_TRUE(p[1].feeds_next);
  EXPECT_EQ(p[1].address, 4096u - 16 - 8);
  EXPECT_EQ(p[2].kind, CoreOpKind::Store);
}

}  // namespace
}  // namespace wb::sim::pulp
