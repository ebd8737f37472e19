// The initiator side of a memory boundary (sim/common/memory_initiator): a copy's runs as the
// DMA moves them, the payload a model receives (timing only, its data pointer valid), and how
// the model's answer is read back: whole cycles, its occupancy, its errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "sim/common/bandwidth_target.h"
#include "sim/common/memory_initiator.h"
#include "tests/unit/sim/common/systemc_testing.h"

namespace wb::sim {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using testing::HasSubstr;

// The fields xDNN's Copy and PULP's DmaCopy share.
struct FakeCopy {
  std::uint64_t source_ = 0, destination_ = 0, chunk_bytes_ = 0, count_ = 1, source_stride_ = 0,
                destination_stride_ = 0, rows_ = 0, source_row_stride_ = 0, destination_row_stride_ = 0;
  std::uint64_t source() const { return source_; }
  std::uint64_t destination() const { return destination_; }
  std::uint64_t chunk_bytes() const { return chunk_bytes_; }
  std::uint64_t count() const { return count_; }
  std::uint64_t source_stride() const { return source_stride_; }
  std::uint64_t destination_stride() const { return destination_stride_; }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t source_row_stride() const { return source_row_stride_; }
  std::uint64_t destination_row_stride() const { return destination_row_stride_; }
};

void expect_shape(const MemoryTransfer& t, std::uint64_t rows, std::uint64_t count, std::uint64_t chunk,
                  std::uint64_t stride, std::uint64_t row_stride) {
  EXPECT_EQ(t.shape.rows, rows);
  EXPECT_EQ(t.shape.count, count);
  EXPECT_EQ(t.shape.chunk_bytes, chunk);
  EXPECT_EQ(t.shape.stride, stride);
  EXPECT_EQ(t.shape.row_stride, row_stride);
}

TEST(CopyTransfer, MergesChunksAndRowsContiguousOnBothSides) {
  // 4 chunks of 16 bytes back to back on both sides: one run of 64.
  const FakeCopy linear{100, 200, 16, 4, 16, 16};
  MemoryTransfer t = copy_transfer(linear, true);
  EXPECT_EQ(t.command, tlm::TLM_READ_COMMAND);
  EXPECT_EQ(t.address, 100u);
  expect_shape(t, 1, 1, 64, 0, 0);
  // The same into the memory: a write at the destination.
  t = copy_transfer(linear, false);
  EXPECT_EQ(t.command, tlm::TLM_WRITE_COMMAND);
  EXPECT_EQ(t.address, 200u);
  EXPECT_EQ(t.shape.bytes(), 64u);
  // Contiguous in the memory but strided on the other side: a run per chunk, at the memory's stride.
  const FakeCopy scatter{0, 0, 16, 4, 16, 64};
  expect_shape(copy_transfer(scatter, true), 1, 4, 16, 16, 0);
  expect_shape(copy_transfer(scatter, false), 1, 4, 16, 64, 0);
  // Rows of merged chunks, the rows contiguous too: one run; rows apart: a run per row.
  FakeCopy rows{0, 0, 16, 4, 16, 16, 3, 64, 64};
  expect_shape(copy_transfer(rows, true), 1, 1, 192, 0, 0);
  rows.destination_row_stride_ = 128;
  expect_shape(copy_transfer(rows, true), 3, 1, 64, 0, 64);
  expect_shape(copy_transfer(rows, false), 3, 1, 64, 0, 128);
  // Rows of strided chunks: every chunk of every row.
  const FakeCopy both{0, 0, 8, 2, 8, 32, 3, 64, 100};
  const MemoryTransfer w = copy_transfer(both, false);
  expect_shape(w, 3, 2, 8, 32, 100);
  EXPECT_EQ(w.shape.bytes(), 48u);
}

TEST(CopyTransfer, AContiguousRunIsOneChunk) {
  const MemoryTransfer t = contiguous_transfer(tlm::TLM_READ_COMMAND, 0x40, 96);
  expect_shape(t, 1, 1, 96, 0, 0);
  EXPECT_EQ(t.address, 0x40u);
}

enum class Behaviour { Fixed, Error, TakeBack, WaitInside, BadOccupancy };

struct Seen {
  tlm::tlm_command command = tlm::TLM_IGNORE_COMMAND;
  std::uint64_t address = 0;
  unsigned length = 0, streaming_width = 0;
  bool data = false, byte_enables = false, shape = false;
  TransferShape shape_fields;
};

// A model that does what it is told and records what it received.
SC_MODULE(ScriptedModel) {
  tlm_utils::simple_target_socket<ScriptedModel> socket{"socket"};
  Behaviour behaviour = Behaviour::Fixed;
  sc_time fixed = sc_time(25, SC_NS);
  Seen seen;

  SC_CTOR(ScriptedModel) { socket.register_b_transport(this, &ScriptedModel::b_transport); }

  void b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
    seen.command = p.get_command();
    seen.address = p.get_address();
    seen.length = p.get_data_length();
    seen.streaming_width = p.get_streaming_width();
    seen.data = p.get_data_ptr() != nullptr;
    seen.byte_enables = p.get_byte_enable_ptr() != nullptr;
    const auto* shape = p.get_extension<TransferShape>();
    seen.shape = shape != nullptr;
    if (shape != nullptr) seen.shape_fields.copy_from(*shape);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    switch (behaviour) {
      case Behaviour::Fixed: delay += fixed; break;
      case Behaviour::Error: p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE); break;
      case Behaviour::TakeBack: delay = sc_core::SC_ZERO_TIME; break;
      case Behaviour::WaitInside:
        wait(delay + fixed);
        delay = sc_core::SC_ZERO_TIME;
        break;
      case Behaviour::BadOccupancy: {
        auto* occupancy = p.get_extension<ChannelOccupancy>();
        occupancy->reported = true;
        occupancy->start = sc_core::sc_time_stamp() + delay + 2 * fixed;  // after the transfer's end
        occupancy->end = occupancy->start;
        delay += fixed;
        break;
      }
    }
  }
};

// 10 ns a cycle. Each outcome is taken at a known time.
SC_MODULE(InitiatorBench) {
  MemoryInitiator to_default{"to_default", "DDR"}, to_model{"to_model", "L3"};
  BandwidthTarget channel{"channel"};
  ScriptedModel model{"model"};
  MemoryInitiator::Outcome by_default, offset, fixed, rounded, error, take_back, waiting, bad_occupancy;
  Seen seen_write;

  SC_CTOR(InitiatorBench) {
    to_default.socket.bind(channel.socket);
    to_model.socket.bind(model.socket);
    channel.configure(BandwidthPortParams{8.0, 2, sc_time(10, SC_NS)});
    SC_THREAD(run);
  }

  static MemoryTransfer transfer(tlm::tlm_command command, std::uint64_t address, std::uint64_t rows,
                                 std::uint64_t chunk) {
    MemoryTransfer t;
    t.command = command;
    t.address = address;
    t.shape.rows = rows;
    t.shape.chunk_bytes = chunk;
    t.shape.row_stride = 2 * chunk;
    return t;
  }

  void run() {
    const sc_time period(10, SC_NS);
    by_default = to_default.transport(transfer(tlm::TLM_READ_COMMAND, 0x40, 2, 32), sc_core::SC_ZERO_TIME, period);
    wait(sc_time(1000, SC_NS));
    offset = to_default.transport(transfer(tlm::TLM_READ_COMMAND, 0x40, 1, 8), sc_time(30, SC_NS), period);
    fixed = to_model.transport(transfer(tlm::TLM_WRITE_COMMAND, 0x1234, 3, 100), sc_core::SC_ZERO_TIME, period);
    seen_write = model.seen;
    model.fixed = sc_time(21, SC_NS);
    rounded = to_model.transport(transfer(tlm::TLM_READ_COMMAND, 0, 1, 4), sc_core::SC_ZERO_TIME, period);
    model.behaviour = Behaviour::Error;
    error = to_model.transport(transfer(tlm::TLM_WRITE_COMMAND, 0x80, 1, 16), sc_core::SC_ZERO_TIME, period);
    model.behaviour = Behaviour::TakeBack;
    take_back = to_model.transport(transfer(tlm::TLM_READ_COMMAND, 0, 1, 4), sc_time(20, SC_NS), period);
    model.behaviour = Behaviour::WaitInside;
    model.fixed = sc_time(40, SC_NS);
    waiting = to_model.transport(transfer(tlm::TLM_READ_COMMAND, 0, 1, 4), sc_time(10, SC_NS), period);
    model.behaviour = Behaviour::BadOccupancy;
    bad_occupancy = to_model.transport(transfer(tlm::TLM_READ_COMMAND, 0, 1, 4), sc_core::SC_ZERO_TIME, period);
  }
};

InitiatorBench* g_initiator_bench = nullptr;
const bool initiator_registered = test::add_to_simulation([] {
  static InitiatorBench bench("memory_initiator_bench");
  g_initiator_bench = &bench;
});

TEST(MemoryInitiator, ReadsTheDefaultTargetsDelayAndOccupancyInWholeCycles) {
  ASSERT_NE(g_initiator_bench, nullptr);
  const InitiatorBench& b = *g_initiator_bench;
  // 64 bytes at 8 B/cycle: 8 cycles on the channel, then 2 of latency.
  EXPECT_EQ(b.by_default.error, "");
  EXPECT_EQ(b.by_default.cycles, 10u);
  ASSERT_TRUE(b.by_default.occupancy_reported);
  EXPECT_EQ(b.by_default.occupancy_start, sc_time(0, SC_NS));
  EXPECT_EQ(b.by_default.occupancy_end, sc_time(80, SC_NS));
  EXPECT_EQ(b.by_default.waited, sc_core::SC_ZERO_TIME);
  // Begun 3 cycles after the call: counted from its begin, held from then.
  EXPECT_EQ(b.offset.cycles, 3u);
  EXPECT_EQ(b.offset.occupancy_start, sc_time(1030, SC_NS));
}

TEST(MemoryInitiator, SendsATimingPayloadWithItsShape) {
  const Seen& s = g_initiator_bench->seen_write;
  EXPECT_EQ(s.command, tlm::TLM_WRITE_COMMAND);
  EXPECT_EQ(s.address, 0x1234u);
  EXPECT_EQ(s.length, 300u);
  EXPECT_EQ(s.streaming_width, 300u);
  EXPECT_TRUE(s.data);  // scratch, but a valid pointer
  EXPECT_FALSE(s.byte_enables);
  ASSERT_TRUE(s.shape);
  EXPECT_EQ(s.shape_fields.rows, 3u);
  EXPECT_EQ(s.shape_fields.count, 1u);
  EXPECT_EQ(s.shape_fields.chunk_bytes, 100u);
  EXPECT_EQ(s.shape_fields.row_stride, 200u);
}

TEST(MemoryInitiator, AModelWithoutOccupancyGivesItsDelayRoundedUpToWholeCycles) {
  const InitiatorBench& b = *g_initiator_bench;
  EXPECT_EQ(b.fixed.cycles, 3u);  // 25 ns
  EXPECT_FALSE(b.fixed.occupancy_reported);
  EXPECT_EQ(b.rounded.cycles, 3u);  // 21 ns
}

TEST(MemoryInitiator, NamesWhatAModelDidWrong) {
  const InitiatorBench& b = *g_initiator_bench;
  EXPECT_EQ(b.error.error, "the L3 model answered TLM_ADDRESS_ERROR_RESPONSE to a write of 16 bytes at 0x80");
  EXPECT_THAT(b.take_back.error, HasSubstr("the L3 model annotated a read of 4 bytes at 0x0 to end before it began"));
  EXPECT_THAT(b.bad_occupancy.error, HasSubstr("reported its channel held outside its read"));
}

TEST(MemoryInitiator, AModelThatWaitsInsideIsTimedFromTheTransfersBegin) {
  const InitiatorBench& b = *g_initiator_bench;
  EXPECT_EQ(b.waiting.error, "");
  EXPECT_EQ(b.waiting.waited, sc_time(50, SC_NS));  // the offset and its 40 ns
  EXPECT_EQ(b.waiting.cycles, 4u);                  // from the begin, 10 ns after the call
}

}  // namespace
}  // namespace wb::sim
