// The default DDR target (sim/common/bandwidth_target) alone behind its socket: a transfer
// begins at sc_time_stamp() + its annotated delay, waits there for the channel, holds it for
// its bytes and completes after the latency; b_transport adds all that to the delay and never
// waits, so a loosely-timed initiator can chain transfers in its local time; it reports when
// the bytes held the channel.

#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "sim/common/bandwidth_target.h"
#include "tests/unit/sim/common/systemc_testing.h"

namespace wb::sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

sc_time nanoseconds(double v) { return sc_time(v, SC_NS); }

struct Call {
  sc_time called, delay;
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  ChannelOccupancy occupancy;
};

// Two threads send transfers through one socket to a 4 B/cycle channel with 10 cycles of
// latency at 1 GHz.
SC_MODULE(Bench) {
  tlm_utils::simple_initiator_socket<Bench> socket{"socket"};
  BandwidthTarget target{"target"};
  Call a1, a2, b;
  sc_time a_synchronised;

  SC_CTOR(Bench) {
    socket.bind(target.socket);
    target.configure(BandwidthPortParams{4.0, 10, nanoseconds(1)});
    SC_THREAD(loosely_timed);
    SC_THREAD(contender);
  }

  Call call(std::uint64_t bytes, sc_time delay) {
    std::vector<unsigned char> data(bytes);
    tlm::tlm_generic_payload p;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(0x1000);
    p.set_data_ptr(data.data());
    p.set_data_length(static_cast<unsigned int>(bytes));
    p.set_streaming_width(static_cast<unsigned int>(bytes));
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    auto* occupancy = new ChannelOccupancy;
    p.set_extension(occupancy);
    Call c;
    c.called = sc_core::sc_time_stamp();
    socket->b_transport(p, delay);
    c.delay = delay;
    c.status = p.get_response_status();
    c.occupancy.copy_from(*occupancy);
    return c;
  }

  // Two transfers in its local time, then one wait for both.
  void loosely_timed() {
    a1 = call(400, sc_core::SC_ZERO_TIME);  // channel [0, 100), done at 110
    a2 = call(40, a1.delay);                // begins at 110: channel [110, 120), done at 130
    wait(a2.delay);
    a_synchronised = sc_core::sc_time_stamp();
  }
  // At 20 it finds the channel promised to the other thread's second transfer until 120.
  void contender() {
    wait(nanoseconds(20));
    b = call(200, sc_core::SC_ZERO_TIME);  // channel [120, 170), done at 180
  }
};

Bench* g_bench = nullptr;
const bool registered = test::add_to_simulation([] {
  static Bench bench("bandwidth_target_bench");
  g_bench = &bench;
});

TEST(BandwidthTarget, AddsQueueingTransferAndLatencyToTheAnnotatedDelayWithoutWaiting) {
  ASSERT_NE(g_bench, nullptr);
  const Bench& b = *g_bench;
  EXPECT_EQ(b.a1.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(b.a1.delay, nanoseconds(110));
  // Called at 0 like the first: b_transport did not wait, and the delay accumulated.
  EXPECT_EQ(b.a2.called, nanoseconds(0));
  EXPECT_EQ(b.a2.delay, nanoseconds(130));
  EXPECT_EQ(b.a_synchronised, nanoseconds(130));
  // Requests are served in the order they arrive, whatever their begin time.
  EXPECT_EQ(b.b.called, nanoseconds(20));
  EXPECT_EQ(b.b.delay, nanoseconds(160));
}

TEST(BandwidthTarget, ReportsWhenTheBytesHeldTheChannel) {
  const Bench& b = *g_bench;
  ASSERT_TRUE(b.a1.occupancy.reported);
  EXPECT_EQ(b.a1.occupancy.start, nanoseconds(0));
  EXPECT_EQ(b.a1.occupancy.end, nanoseconds(100));
  EXPECT_EQ(b.a2.occupancy.start, nanoseconds(110));
  EXPECT_EQ(b.a2.occupancy.end, nanoseconds(120));
  EXPECT_EQ(b.b.occupancy.start, nanoseconds(120));
  EXPECT_EQ(b.b.occupancy.end, nanoseconds(170));
}

TEST(BandwidthTarget, CountsTheChannelsWorkAndStartsEachRunIdle) {
  Bench& b = *g_bench;
  const BandwidthPortStats& stats = b.target.stats();
  EXPECT_EQ(stats.transfers, 3u);
  EXPECT_EQ(stats.bytes, 640u);
  EXPECT_EQ(stats.busy_cycles, 100u + 10u + 50u);
  EXPECT_EQ(stats.stall_cycles, 100u);  // the contender, from 20 to 120
  b.target.configure(BandwidthPortParams{4.0, 10, nanoseconds(1)});
  EXPECT_EQ(b.target.stats().transfers, 0u);
}

}  // namespace
}  // namespace wb::sim
