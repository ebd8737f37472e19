// Also the SystemC smoke test: it elaborates a module and runs the kernel, so a missing
// or ABI-mismatched libsystemc fails here first. SystemC elaborates once per process, so
// this binary runs all its tests inside one simulation (sc_main).

#include <gtest/gtest.h>

#include <systemc>

#include "sim/common/bandwidth_port.h"

namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

struct Record {
  sc_time first_done;
  sc_time second_done;
  sc_time third_done;
};

// Two initiators contend for one 4 B/cycle port with 10 cycles of latency at 1 GHz.
SC_MODULE(TwoInitiators) {
  wb::sim::BandwidthPort port{wb::sim::BandwidthPortParams{4.0, 10, sc_time(1, SC_NS)}};
  Record record;

  SC_CTOR(TwoInitiators) {
    SC_THREAD(first);
    SC_THREAD(second);
  }
  void first() {
    port.transfer(400);  // 100 cycles busy + 10 latency -> done at 110 ns
    record.first_done = sc_core::sc_time_stamp();
    port.transfer(6);  // 2 cycles, queued behind 'second' which holds the port until 150
    record.third_done = sc_core::sc_time_stamp();
  }
  void second() {
    sc_core::wait(sc_time(20, SC_NS));
    port.transfer(200);  // waits for the port until 100, busy 50 cycles, done at 160 ns
    record.second_done = sc_core::sc_time_stamp();
  }
};

TwoInitiators* g_top = nullptr;

TEST(BandwidthPort, SerialisesContendingTransfersAndCountsStalls) {
  ASSERT_NE(g_top, nullptr);
  EXPECT_EQ(g_top->record.first_done, sc_time(110, SC_NS));
  EXPECT_EQ(g_top->record.second_done, sc_time(160, SC_NS));
  EXPECT_EQ(g_top->record.third_done, sc_time(162, SC_NS));
  const auto& stats = g_top->port.stats();
  EXPECT_EQ(stats.transfers, 3u);
  EXPECT_EQ(stats.bytes, 606u);
  EXPECT_EQ(stats.busy_cycles, 152u);
  EXPECT_EQ(stats.stall_cycles, 80u + 40u);  // second waited 20..100, third 110..150
}

TEST(BandwidthPort, OccupancyRoundsUpToWholeCycles) {
  const wb::sim::BandwidthPort port(wb::sim::BandwidthPortParams{8.0, 0, sc_time(1, SC_NS)});
  EXPECT_EQ(port.occupancy_cycles(0), 0u);
  EXPECT_EQ(port.occupancy_cycles(1), 1u);
  EXPECT_EQ(port.occupancy_cycles(16), 2u);
  EXPECT_EQ(port.occupancy_cycles(17), 3u);
}

TEST(BandwidthPort, RejectsNonsenseParameters) {
  EXPECT_THROW(wb::sim::BandwidthPort(wb::sim::BandwidthPortParams{0.0, 0, sc_time(1, SC_NS)}), std::invalid_argument);
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  TwoInitiators top("top");
  g_top = &top;
  // gtest lists tests (for ctest discovery) without simulating.
  if (!::testing::GTEST_FLAG(list_tests)) sc_core::sc_start();
  return RUN_ALL_TESTS();
}
