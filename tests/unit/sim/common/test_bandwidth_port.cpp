// The shared channel's arithmetic (sim/common/bandwidth_port): contending transfers served one
// after another, latency after the last byte, waits counted as stall. No SystemC process: the
// port only computes times (the TLM target around it is test_bandwidth_target.cpp's).

#include <gtest/gtest.h>

#include <systemc>

#include "sim/common/bandwidth_port.h"

namespace wb::sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

sc_time ns(double v) { return sc_time(v, SC_NS); }

// A 4 B/cycle port with 10 cycles of latency at 1 GHz.
TEST(BandwidthPort, SerialisesContendingTransfersAndCountsStalls) {
  BandwidthPort port(BandwidthPortParams{4.0, 10, ns(1)});
  // 100 cycles busy from 0, done 10 later.
  const auto first = port.reserve(ns(0), 400);
  EXPECT_EQ(first.start, ns(0));
  EXPECT_EQ(first.end, ns(100));
  EXPECT_EQ(first.done, ns(110));
  // Requested at 20, waits for the port until 100, busy 50 cycles.
  const auto second = port.reserve(ns(20), 200);
  EXPECT_EQ(second.start, ns(100));
  EXPECT_EQ(second.end, ns(150));
  EXPECT_EQ(second.done, ns(160));
  // Requested at 110, queued behind the second until 150, 2 cycles.
  const auto third = port.reserve(ns(110), 6);
  EXPECT_EQ(third.start, ns(150));
  EXPECT_EQ(third.done, ns(162));
  // Requested after the port went idle: no wait.
  const auto fourth = port.reserve(ns(200), 4);
  EXPECT_EQ(fourth.start, ns(200));
  EXPECT_EQ(fourth.done, ns(211));
  const auto& stats = port.stats();
  EXPECT_EQ(stats.transfers, 4u);
  EXPECT_EQ(stats.bytes, 610u);
  EXPECT_EQ(stats.busy_cycles, 100u + 50u + 2u + 1u);
  EXPECT_EQ(stats.stall_cycles, 80u + 40u);  // second waited 20..100, third 110..150
}

TEST(BandwidthPort, CountsCyclesOfItsOwnClock) {
  // 2 ns a cycle: a 16-byte transfer at 8 B/cycle holds the port 2 cycles = 4 ns.
  BandwidthPort port(BandwidthPortParams{8.0, 3, ns(2)});
  const auto held = port.reserve(ns(10), 16);
  EXPECT_EQ(held.end - held.start, ns(4));
  EXPECT_EQ(held.done, ns(10 + 4 + 6));
  const auto queued = port.reserve(ns(10), 8);
  EXPECT_EQ(queued.start, ns(14));
  EXPECT_EQ(port.stats().stall_cycles, 2u);
}

TEST(BandwidthPort, OccupancyRoundsUpToWholeCycles) {
  const BandwidthPort port(BandwidthPortParams{8.0, 0, ns(1)});
  EXPECT_EQ(port.occupancy_cycles(0), 0u);
  EXPECT_EQ(port.occupancy_cycles(1), 1u);
  EXPECT_EQ(port.occupancy_cycles(16), 2u);
  EXPECT_EQ(port.occupancy_cycles(17), 3u);
}

TEST(BandwidthPort, RejectsNonsenseParameters) {
  EXPECT_THROW(BandwidthPort(BandwidthPortParams{0.0, 0, ns(1)}), std::invalid_argument);
  EXPECT_THROW(BandwidthPort(BandwidthPortParams{1.0, 0, sc_core::SC_ZERO_TIME}), std::invalid_argument);
}

}  // namespace
}  // namespace wb::sim
