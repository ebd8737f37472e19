// The PULP cluster's default memory targets (sim/pulp/memory_targets): their formulas by hand,
// and the same cycles as the compiler's predictor (perf/pulp/cost) for every shape of copy, from
// code of their own. Only the pricing here; test_pulp_tlm.cpp binds them through sockets.

#include <gtest/gtest.h>

#include "isa/pulp_program.h"
#include "perf/pulp/cost.h"
#include "sim/common/memory_initiator.h"
#include "sim/pulp/memory_targets.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::sim::pulp {
namespace {

const sc_core::sc_time kPeriod(10, sc_core::SC_NS);

TransferShape shape(std::uint64_t rows, std::uint64_t count, std::uint64_t chunk) {
  TransferShape s;
  s.rows = rows;
  s.count = count;
  s.chunk_bytes = chunk;
  return s;
}

TEST(PulpMemoryTargets, TakeTheirParametersFromTheConfig) {
  const PulpParams hw = test::pulp_config().pulp();
  const L2PortParams l2 = l2_port_params(hw, kPeriod);
  EXPECT_EQ(l2.bytes_per_cycle, static_cast<std::uint64_t>(hw.dma_bytes_per_cycle));
  EXPECT_EQ(l2.burst_bytes, static_cast<std::uint64_t>(hw.dma_burst_bytes));
  EXPECT_EQ(l2.clock_period, kPeriod);
  const L3Params l3 = l3_params(hw, kPeriod);
  EXPECT_EQ(l3.bytes_per_cycle, hw.l3_bytes_per_cycle);
  EXPECT_EQ(l3.access_cycles, static_cast<std::uint64_t>(hw.l3_latency_cycles));
}

TEST(PulpMemoryTargets, L2PricesEachRunsBytesAndBursts) {
  const L2PortParams p{8, 256, kPeriod};
  EXPECT_EQ(l2_transfer_cycles(p, shape(1, 1, 1000)), 125u + 4u);
  EXPECT_EQ(l2_transfer_cycles(p, shape(1, 1, 256)), 32u + 1u);
  EXPECT_EQ(l2_transfer_cycles(p, shape(3, 2, 300)), 6u * (38u + 2u));
  // Today's rule: a single row of several chunks is priced as one run of one chunk.
  EXPECT_EQ(priced_runs(shape(1, 4, 64)), 1u);
  EXPECT_EQ(l2_transfer_cycles(p, shape(1, 4, 64)), 8u + 1u);
}

TEST(PulpMemoryTargets, L3PricesAnAccessPerRunAndTheBytes) {
  L3Params p{1.0, 100, kPeriod};
  EXPECT_EQ(l3_transfer_cycles(p, shape(1, 1, 1000)), 100u + 1000u);
  EXPECT_EQ(l3_transfer_cycles(p, shape(3, 1, 100)), 300u + 300u);
  p.bytes_per_cycle = 0.75;
  EXPECT_EQ(l3_transfer_cycles(p, shape(1, 1, 1000)), 100u + 1334u);
  // All the bytes, one access (today's rule for a single row of chunks).
  EXPECT_EQ(l3_transfer_cycles(p, shape(1, 4, 64)), 100u + 342u);
}

// Every combination of rows, chunks and strides contiguous or not on each side, both directions.
TEST(PulpMemoryTargets, GiveThePredictorsCyclesForEveryShapeOfCopy) {
  for (const char* l3_rate : {"l3_bytes_per_cycle=1", "l3_bytes_per_cycle=0.7"}) {
    const PulpParams hw = test::pulp_config({l3_rate, "dma_burst_bytes=64"}).pulp();
    const L2PortParams l2 = l2_port_params(hw, kPeriod);
    const L3Params l3 = l3_params(hw, kPeriod);
    for (std::uint64_t rows : {0, 1, 3}) {
      for (std::uint64_t count : {1, 2, 5}) {
        for (std::uint64_t chunk : {1, 7, 64, 100, 300}) {
          for (int contiguous = 0; contiguous < 16; ++contiguous) {
            isa::pulp::DmaCopy copy;
            copy.set_source(4096);
            copy.set_destination(8192);
            copy.set_rows(rows);
            copy.set_count(count);
            copy.set_chunk_bytes(chunk);
            copy.set_source_stride(contiguous & 1 ? chunk : chunk + 16);
            copy.set_destination_stride(contiguous & 2 ? chunk : 2 * chunk);
            const std::uint64_t row = count * chunk;
            copy.set_source_row_stride(contiguous & 4 ? row : row + 32);
            copy.set_destination_row_stride(contiguous & 8 ? row : 3 * row);
            for (const bool from_memory : {true, false}) {
              const TransferShape s = copy_transfer(copy, from_memory).shape;
              ASSERT_EQ(s.bytes(), isa::pulp::copy_bytes(copy));
              ASSERT_EQ(l2_transfer_cycles(l2, s), perf::pulp::dma_cost(copy, hw).busy_cycles)
                  << copy.ShortDebugString();
              ASSERT_EQ(l3_transfer_cycles(l3, s), perf::pulp::l3_cycles(copy, hw)) << copy.ShortDebugString();
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace wb::sim::pulp
