// Binding another DDR model (docs/tlm.md): before the overlay elaborates, its DDR socket is
// bound to a model of this test's. Forwarding to the default channel, the model gives the
// figures of the timing model (docs/xdnn.md, "Timing model": no cycle moves with the default);
// with a fixed latency of its own, the cycles move. It sees one timing transaction per transfer.
// Its own process: the binding is the process's (SystemC elaborates once).
//
// v3_96 figures used below: clock 700 MHz, instr_issue_cycles 16, DDR 23.375 bytes per cycle
// and 105 cycles of latency (test_xdnn_timing.cpp derives them).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "support/error.h"
#include "isa/xdnn_program.h"
#include "sim/common/bandwidth_target.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn {
namespace {

using sim::xdnn::SimResult;
using sim::xdnn::simulate;
using testing::HasSubstr;

struct Seen {
  tlm::tlm_command command;
  std::uint64_t address;
  unsigned length;
  sim::TransferShape shape;
};

// Forwards to the default channel, or answers every transfer after a fixed time.
SC_MODULE(TestDdr) {
  tlm_utils::simple_target_socket<TestDdr> socket{"socket"};
  tlm_utils::simple_initiator_socket<TestDdr> to_channel{"to_channel"};
  sim::BandwidthTarget channel{"channel"};
  std::optional<std::uint64_t> fixed_cycles;  // none: the channel's time
  sc_core::sc_time period;
  bool answer_error = false;
  std::vector<Seen> seen;

  SC_CTOR(TestDdr) {
    socket.register_b_transport(this, &TestDdr::b_transport);
    to_channel.bind(channel.socket);
  }

  void use_channel(const HwConfig& config) {
    channel.configure(sim::xdnn::ddr_channel_params(config));
    fixed_cycles.reset();
    answer_error = false;
    seen.clear();
  }
  void use_fixed(const HwConfig& config, std::uint64_t cycles) {
    use_channel(config);
    fixed_cycles = cycles;
    period = sc_core::sc_time(1000.0 / config.clock_mhz, sc_core::SC_NS);
  }

  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    Seen s{p.get_command(), p.get_address(), p.get_data_length(), {}};
    if (const auto* shape = p.get_extension<sim::TransferShape>()) s.shape.copy_from(*shape);
    seen.push_back(s);
    if (answer_error) {
      p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    } else if (fixed_cycles) {
      delay += period * static_cast<double>(*fixed_cycles);
      p.set_response_status(tlm::TLM_OK_RESPONSE);
    } else {
      to_channel->b_transport(p, delay);
    }
  }
};

TestDdr* g_model = nullptr;

class BindTestDdr : public testing::Environment {
 public:
  void SetUp() override {
    static TestDdr model("test_ddr");
    g_model = &model;
    sim::xdnn::bind_ddr_model([](const HwConfig&) -> tlm::tlm_target_socket<>& { return g_model->socket; });
  }
};
testing::Environment* const g_environment = testing::AddGlobalTestEnvironment(new BindTestDdr);

// 23375 bytes occupy the default channel for exactly 23375 / 23.375 = 1000 cycles.
constexpr std::uint64_t kBytes = 23375;

enum class Second { None, LoadWeights, SameUnitUpload, Download };

// An upload of kBytes from DDR, then maybe a second transfer without a dependency flag.
x::Program transfers(Second second) {
  ProgramBuilder b;
  const std::uint64_t src = b.ddr(kBytes), dst = b.ddr(kBytes);
  const std::uint64_t am0 = b.am(kBytes), am1 = b.am(kBytes);
  b.layer("move", "concat", region(x::MEMORY_AM, am0, layout(1, 1, 1)));
  *b.instr("move").mutable_upload() = x::linear_copy(x::MEMORY_DDR, src, x::MEMORY_AM, am0, kBytes);
  if (second == Second::LoadWeights) {
    *b.instr("move").mutable_load_weights() = x::linear_copy(x::MEMORY_DDR, src, x::MEMORY_FILTER_CACHE, 0, kBytes);
  } else if (second == Second::SameUnitUpload) {
    *b.instr("move").mutable_upload() = x::linear_copy(x::MEMORY_DDR, dst, x::MEMORY_AM, am1, kBytes);
  } else if (second == Second::Download) {
    *b.instr("move").mutable_download() = x::linear_copy(x::MEMORY_AM, am1, x::MEMORY_DDR, dst, kBytes);
  }
  return b.program();
}

TEST(XdnnTlm, TheDefaultChannelBehindABoundSocketGivesTheTimingModelsCycles) {
  const HwConfig hw = config();
  ASSERT_NE(g_model, nullptr);
  g_model->use_channel(hw);
  // Issued at 16, the channel busy [16, 1016), done 105 cycles later.
  EXPECT_EQ(simulate(transfers(Second::None), hw, {}, {}).total_cycles, 16u + 1000u + 105u);
  // The weight load, issued at 32, gets the channel when the upload is through: [1016, 2016).
  g_model->use_channel(hw);
  const SimResult two = simulate(transfers(Second::LoadWeights), hw, {}, {});
  EXPECT_EQ(two.total_cycles, 16u + 2000u + 105u);
  EXPECT_EQ(two.ddr_channel.transfers, 2u);
  EXPECT_EQ(two.ddr_channel.busy_cycles, 2000u);
  EXPECT_EQ(two.ddr_channel.stall_cycles, 1016u - 32u);
  // The channel's own count agrees with what the overlay saw.
  EXPECT_EQ(g_model->channel.stats().stall_cycles, two.ddr_channel.stall_cycles);
  EXPECT_EQ(g_model->channel.stats().bytes, 2 * kBytes);
}

TEST(XdnnTlm, AFixedLatencyModelMovesTheCycles) {
  const HwConfig hw = config();
  g_model->use_fixed(hw, 300);
  EXPECT_EQ(simulate(transfers(Second::None), hw, {}, {}).total_cycles, 16u + 300u);
  // No channel in this model: the weight load (issued at 32) does not wait for the upload.
  g_model->use_fixed(hw, 300);
  const SimResult two = simulate(transfers(Second::LoadWeights), hw, {}, {});
  EXPECT_EQ(two.total_cycles, 32u + 300u);
  // Without an occupancy report, a transfer holds the channel for its whole time, with no wait.
  EXPECT_EQ(two.ddr_channel.busy_cycles, 600u);
  EXPECT_EQ(two.ddr_channel.stall_cycles, 0u);
  // One unit still runs its transfers one after another.
  g_model->use_fixed(hw, 300);
  EXPECT_EQ(simulate(transfers(Second::SameUnitUpload), hw, {}, {}).total_cycles, 16u + 300u + 300u);
}

TEST(XdnnTlm, TheModelSeesOneTimingTransactionPerTransfer) {
  const HwConfig hw = config();
  g_model->use_fixed(hw, 10);
  const x::Program program = transfers(Second::Download);
  simulate(program, hw, {}, {});
  ASSERT_EQ(g_model->seen.size(), 2u);
  const Seen& read = g_model->seen[0];
  EXPECT_EQ(read.command, tlm::TLM_READ_COMMAND);  // DDR -> AM
  EXPECT_EQ(read.address, program.instrs(0).upload().source());
  EXPECT_EQ(read.length, kBytes);
  EXPECT_EQ(read.shape.bytes(), kBytes);
  const Seen& write = g_model->seen[1];
  EXPECT_EQ(write.command, tlm::TLM_WRITE_COMMAND);  // AM -> DDR
  EXPECT_EQ(write.address, program.instrs(1).download().destination());
  // A gather: four chunks 2000 bytes apart in DDR, back to back in AM.
  ProgramBuilder b;
  const std::uint64_t src = b.ddr(8000), am = b.am(4000);
  b.layer("gather", "concat", region(x::MEMORY_AM, am, layout(1, 1, 1)));
  x::Copy& gather = *b.instr("gather").mutable_upload() = x::linear_copy(x::MEMORY_DDR, src, x::MEMORY_AM, am, 1000);
  gather.set_count(4);
  gather.set_source_stride(2000);
  g_model->use_fixed(hw, 10);
  simulate(b.program(), hw, {}, {});
  ASSERT_EQ(g_model->seen.size(), 1u);
  const sim::TransferShape& shape = g_model->seen[0].shape;
  EXPECT_EQ(g_model->seen[0].length, 4000u);
  EXPECT_EQ(shape.count, 4u);
  EXPECT_EQ(shape.chunk_bytes, 1000u);
  EXPECT_EQ(shape.stride, 2000u);
}

TEST(XdnnTlm, AnErrorAnswerIsAUserErrorNamingTheInstruction) {
  const HwConfig hw = config();
  g_model->use_channel(hw);
  g_model->answer_error = true;
  try {
    simulate(transfers(Second::None), hw, {}, {});
    FAIL() << "the model's error was not reported";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("instruction 0 (XNUpload, layer 'move'): the DDR model answered "
                                    "TLM_ADDRESS_ERROR_RESPONSE to a read of 23375 bytes at 0x0"));
  }
}

TEST(XdnnTlm, TheModelCannotChangeOnceTheOverlayHasElaborated) {
  g_model->use_channel(config());
  simulate(transfers(Second::None), config(), {}, {});
  try {
    sim::xdnn::bind_ddr_model({});
    FAIL() << "a model changed after elaboration";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bind_ddr_model: the xDNN simulator has elaborated"));
  }
}

}  // namespace
}  // namespace wb::test::xdnn
