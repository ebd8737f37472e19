// What every default memory target shares (sim/common/memory_target): the base protocol's
// refusals, each with its error response and no time; the extensions' copies; the choice of
// model fixed when the simulator elaborates.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "sim/common/bandwidth_target.h"
#include "sim/common/memory_target.h"
#include "tests/unit/sim/common/systemc_testing.h"

namespace wb::sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

struct Answer {
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  sc_time delay;
};

SC_MODULE(Refusals) {
  tlm_utils::simple_initiator_socket<Refusals> socket{"socket"}, unconfigured_socket{"unconfigured_socket"};
  BandwidthTarget target{"target"}, unconfigured{"unconfigured"};
  Answer read, ignore, byte_enables, streaming, empty, bad_shape, no_rows, good_shape, not_configured;

  SC_CTOR(Refusals) {
    socket.bind(target.socket);
    unconfigured_socket.bind(unconfigured.socket);
    target.configure(BandwidthPortParams{1.0, 0, sc_time(1, SC_NS)});
    SC_THREAD(run);
  }

  // A read of `bytes` at 0, changed by `edit`, through `to`.
  template <typename Edit>
  Answer send(tlm_utils::simple_initiator_socket<Refusals>& to, unsigned bytes, Edit edit) {
    std::vector<unsigned char> data(16);
    unsigned char enables[16] = {};
    tlm::tlm_generic_payload p;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(0);
    p.set_data_ptr(data.data());
    p.set_data_length(bytes);
    p.set_streaming_width(bytes);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    edit(p, enables);
    sc_time delay = sc_time(5, SC_NS);
    to->b_transport(p, delay);
    return {p.get_response_status(), delay};
  }

  void run() {
    const auto none = [](tlm::tlm_generic_payload&, unsigned char*) {};
    read = send(socket, 8, none);
    ignore = send(socket, 8, [](tlm::tlm_generic_payload& p, unsigned char*) {
      p.set_command(tlm::TLM_IGNORE_COMMAND);
    });
    byte_enables = send(socket, 8, [](tlm::tlm_generic_payload& p, unsigned char* enables) {
      p.set_byte_enable_ptr(enables);
      p.set_byte_enable_length(8);
    });
    streaming = send(socket, 8, [](tlm::tlm_generic_payload& p, unsigned char*) { p.set_streaming_width(4); });
    empty = send(socket, 0, none);
    const auto shape = [](std::uint64_t rows, std::uint64_t count, std::uint64_t chunk) {
      return [=](tlm::tlm_generic_payload& p, unsigned char*) {
        auto* s = new TransferShape;
        s->rows = rows;
        s->count = count;
        s->chunk_bytes = chunk;
        p.set_extension(s);
      };
    };
    bad_shape = send(socket, 16, shape(3, 1, 5));
    no_rows = send(socket, 16, shape(0, 4, 4));
    good_shape = send(socket, 16, shape(2, 2, 4));
    not_configured = send(unconfigured_socket, 8, none);
  }
};

Refusals* g_refusals = nullptr;
const bool target_registered = test::add_to_simulation([] {
  static Refusals refusals("memory_target_refusals");
  g_refusals = &refusals;
});

TEST(MemoryTarget, RefusesWhatTheBaseProtocolLetsItRefuseAndTakesNoTimeForIt) {
  ASSERT_NE(g_refusals, nullptr);
  const Refusals& r = *g_refusals;
  EXPECT_EQ(r.read.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r.read.delay, sc_time(13, SC_NS));  // 5 annotated + 8 bytes at 1 B/cycle
  EXPECT_EQ(r.good_shape.status, tlm::TLM_OK_RESPONSE);
  const std::pair<const Answer*, tlm::tlm_response_status> refused[] = {
      {&r.ignore, tlm::TLM_COMMAND_ERROR_RESPONSE},       {&r.byte_enables, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
      {&r.streaming, tlm::TLM_BURST_ERROR_RESPONSE},      {&r.empty, tlm::TLM_GENERIC_ERROR_RESPONSE},
      {&r.bad_shape, tlm::TLM_GENERIC_ERROR_RESPONSE},    {&r.no_rows, tlm::TLM_GENERIC_ERROR_RESPONSE},
      {&r.not_configured, tlm::TLM_GENERIC_ERROR_RESPONSE}};
  for (const auto& [answer, status] : refused) {
    EXPECT_EQ(answer->status, status);
    EXPECT_EQ(answer->delay, sc_time(5, SC_NS));
  }
  // Only the two good transfers reached the channel.
  EXPECT_EQ(r.target.stats().transfers, 2u);
}

TEST(MemoryTarget, ExtensionsCopyTheirFields) {
  TransferShape shape;
  shape.rows = 3;
  shape.count = 2;
  shape.chunk_bytes = 64;
  shape.stride = 128;
  shape.row_stride = 1024;
  tlm::tlm_extension_base* clone = shape.clone();
  TransferShape copy;
  copy.copy_from(*clone);
  clone->free();
  EXPECT_EQ(copy.rows, 3u);
  EXPECT_EQ(copy.count, 2u);
  EXPECT_EQ(copy.chunk_bytes, 64u);
  EXPECT_EQ(copy.stride, 128u);
  EXPECT_EQ(copy.row_stride, 1024u);
  EXPECT_EQ(copy.bytes(), 384u);
  ChannelOccupancy occupancy;
  occupancy.reported = true;
  occupancy.start = sc_time(2, SC_NS);
  occupancy.end = sc_time(7, SC_NS);
  ChannelOccupancy other;
  clone = occupancy.clone();
  other.copy_from(*clone);
  clone->free();
  EXPECT_TRUE(other.reported);
  EXPECT_EQ(other.start, sc_time(2, SC_NS));
  EXPECT_EQ(other.end, sc_time(7, SC_NS));
}

TEST(MemoryModelSlot, BindsTheFactorysModelAtElaborationAndRefusesAChangeAfter) {
  MemoryModelSlot slot("bind_ddr_model", "DDR", "xDNN");
  int calls = 0;
  slot.set([&](const HwConfig&) -> tlm::tlm_target_socket<>& {
    ++calls;
    return g_refusals->target.socket;
  });
  EXPECT_EQ(slot.elaborate(HwConfig{}), &g_refusals->target.socket);
  EXPECT_EQ(calls, 1);
  try {
    slot.set({});
    FAIL() << "a model changed after elaboration";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("bind_ddr_model: the xDNN simulator has elaborated"));
    EXPECT_THAT(e.what(), testing::HasSubstr("call bind_ddr_model before the process's first simulate()"));
  }
}

TEST(MemoryModelSlot, WithoutAFactoryTheDefaultTargetIsBound) {
  MemoryModelSlot slot("bind_l3_model", "L3", "PULP");
  EXPECT_EQ(slot.elaborate(HwConfig{}), nullptr);
  EXPECT_THROW(slot.set({}), std::logic_error);
}

}  // namespace
}  // namespace wb::sim
