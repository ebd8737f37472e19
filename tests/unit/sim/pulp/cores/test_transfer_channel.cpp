#include <gtest/gtest.h>

#include <cstdint>

#include "sim/pulp/cores/transfer_channel.h"

namespace wb::sim::pulp {
namespace {

TEST(TransferChannel, TransfersMoveOneAtATimeAndCompleteAfterTheLatency) {
  TransferChannel channel;
  channel.reset(8, 10);
  const auto a = channel.issue(0, 100);
  const auto b = channel.issue(5, 50);
  EXPECT_EQ(a.start, 0u);
  EXPECT_EQ(a.moved, 100u);
  EXPECT_EQ(a.done, 110u);
  EXPECT_EQ(b.start, 100u);  // the channel was moving a's bytes
  EXPECT_EQ(b.done, 160u);
  EXPECT_EQ(channel.drained(), 160u);
  EXPECT_EQ(channel.moving_within(50, 120), 50u + 20u);
}

TEST(TransferChannel, AFullWindowOfOutstandingTransfersWaitsForTheOldest) {
  TransferChannel channel;
  channel.reset(2, 1000);
  const auto a = channel.issue(0, 10);   // done at 1010
  const auto b = channel.issue(0, 10);   // moves 10..20, done at 1020
  const auto c = channel.issue(0, 10);   // two in flight until a completes
  EXPECT_EQ(a.done, 1010u);
  EXPECT_EQ(b.start, 10u);
  EXPECT_EQ(c.start, a.done);
  EXPECT_EQ(channel.start_of(0), b.done);  // the next waits for b
}

TEST(TransferChannel, L1BurstsFollowTheCopysL1SideAndAreHandedOutOnce) {
  TransferChannel channel;
  channel.reset(8, 0);
  isa::pulp::DmaCopy copy;  // L2 -> L1: 2 rows of 3 chunks of 100 bytes, L1 chunks 128 apart
  copy.set_source_memory(isa::pulp::MEMORY_L2);
  copy.set_destination_memory(isa::pulp::MEMORY_L1);
  copy.set_destination(1000);
  copy.set_chunk_bytes(100);
  copy.set_count(3);
  copy.set_destination_stride(128);
  copy.set_source_stride(100);
  copy.set_rows(2);
  copy.set_destination_row_stride(1024);
  copy.set_source_row_stride(300);
  const auto slot = channel.issue(0, 120);
  channel.log_l1_bursts(copy, true, 64, slot);  // each chunk: a 64-byte and a 36-byte burst
  const DmaL1Traffic all = channel.l1_traffic(0, 1000, 8);
  ASSERT_EQ(all.bursts.size(), 12u);
  std::uint64_t bytes = 0;
  for (const DmaBurst& b : all.bursts) bytes += b.bytes;
  EXPECT_EQ(bytes, 600u);
  EXPECT_EQ(all.bursts[0].l1_address, 1000u);
  EXPECT_EQ(all.bursts[1].l1_address, 1064u);
  EXPECT_EQ(all.bursts[2].l1_address, 1128u);
  EXPECT_EQ(all.bursts[6].l1_address, 2024u);  // the second row
  // Spread over the 120 moving cycles, in order.
  for (std::size_t i = 1; i < all.bursts.size(); ++i) EXPECT_GE(all.bursts[i].start_cycle, all.bursts[i - 1].start_cycle);
  EXPECT_LT(all.bursts.back().start_cycle, 120u);
  // From cycle 112 only the last burst (36 bytes from cycle 110, 8 a cycle) is left, with the
  // 20 bytes it has not moved yet; the one before ended at 108.
  const DmaL1Traffic late = channel.l1_traffic(112, 1000, 8);
  ASSERT_EQ(late.bursts.size(), 1u);
  EXPECT_EQ(late.bursts[0].start_cycle, 0u);
  EXPECT_EQ(late.bursts[0].bytes, 20u);
  EXPECT_EQ(late.bursts[0].l1_address, 1024u + 1000u + 256u + 64u + 16u);
}

}  // namespace
}  // namespace wb::sim::pulp
