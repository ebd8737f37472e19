// Binding other L2 and L3 models (docs/tlm.md): before the cluster elaborates, its L2 (cluster
// DMA) and L3 (uDMA) sockets are bound to models of this test's. Forwarding to the default
// targets, every copy is priced by the defaults' rules; with a fixed time per transfer of their
// own, the cycles move by exactly that.
// Its own process: the binding is the process's (SystemC elaborates once).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "compiler/pulp/compile.h"
#include "support/error.h"
#include "isa/pulp_program.h"
#include "sim/common/memory_initiator.h"
#include "sim/pulp/memory_targets.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::sim::pulp {
namespace {

using testing::HasSubstr;

struct Seen {
  tlm::tlm_command command;
  std::uint64_t address;
  unsigned length;
};

enum class Mode { Default, Fixed, Error, WaitInside };

// Forwards to a default target, or answers on its own.
template <typename Default>
class TestMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TestMemory> socket{"socket"};
  tlm_utils::simple_initiator_socket<TestMemory> to_default{"to_default"};
  Default inner{"default"};
  Mode mode = Mode::Default;
  sc_core::sc_time fixed;
  std::vector<Seen> seen;

  explicit TestMemory(sc_core::sc_module_name name) : sc_core::sc_module(name) {
    socket.register_b_transport(this, &TestMemory::b_transport);
    to_default.bind(inner.socket);
  }

  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    seen.push_back({p.get_command(), p.get_address(), p.get_data_length()});
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    switch (mode) {
      case Mode::Default: to_default->b_transport(p, delay); break;
      case Mode::Fixed: delay += fixed; break;
      case Mode::Error: p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE); break;
      case Mode::WaitInside: wait(delay + fixed); delay = sc_core::SC_ZERO_TIME; break;
    }
  }
};

TestMemory<L2Target>* g_l2 = nullptr;
TestMemory<L3Target>* g_l3 = nullptr;

class BindTestMemories : public testing::Environment {
 public:
  void SetUp() override {
    static TestMemory<L2Target> l2("test_l2");
    static TestMemory<L3Target> l3("test_l3");
    g_l2 = &l2;
    g_l3 = &l3;
    bind_l2_model([](const HwConfig&) -> tlm::tlm_target_socket<>& { return g_l2->socket; });
    bind_l3_model([](const HwConfig&) -> tlm::tlm_target_socket<>& { return g_l3->socket; });
  }
};
testing::Environment* const g_environment = testing::AddGlobalTestEnvironment(new BindTestMemories);

// gap8's clock: 100 MHz.
const sc_core::sc_time kPeriod(10, sc_core::SC_NS);

// Both models back to their default targets, configured for `config`, nothing seen.
void use_defaults(const HwConfig& config) {
  g_l2->inner.configure(l2_port_params(config.pulp(), kPeriod));
  g_l3->inner.configure(l3_params(config.pulp(), kPeriod));
  g_l2->mode = g_l3->mode = Mode::Default;
  g_l2->seen.clear();
  g_l3->seen.clear();
}

struct Compiled {
  HwConfig config;
  isa::pulp::Network network;
};

// Small L1 and L2: every layer tiled, tensors staged through L3; no weight prefetch, so each
// layer runs as it does alone.
const Compiled& staged() {
  static const Compiled c = [] {
    Compiled r{test::pulp_config({"l1_tile_budget_bytes=4KiB", "l2_bytes=12KiB"}), {}};
    r.network = wb::pulp::compile_pulp(test::small_pulp_cnn_qgraph(), r.config,
                                       wb::pulp::parse_compile_options({"weight_prefetch=off"}))
                    .network;
    return r;
  }();
  return c;
}

SimResult run(const Compiled& c) {
  SimOptions timing;
  timing.data = false;
  return simulate(c.network, c.config, {}, timing);
}

// The copies of each engine that move bytes: L3 reads and writes (uDMA), cluster-DMA copies.
struct Copies {
  std::uint64_t l3_reads = 0, l3_writes = 0, dma = 0;
};

// Calls on_udma with each list of uDMA copies of the program and on_dma with each list of
// cluster-DMA copies, in program order.
template <class OnUdma, class OnDma>
void for_each_copy_list(const isa::pulp::Network& network, OnUdma&& on_udma, OnDma&& on_dma) {
  for (const auto& layer : network.layers()) {
    on_udma(layer.l3_prefetch());
    for (const auto& step : layer.steps()) {
      on_udma(step.l3_load());
      on_udma(step.l3_prefetch());
      on_udma(step.l3_store());
      on_dma(step.load());
      on_dma(step.prefetch());
      on_dma(step.write_back());
    }
  }
}

Copies copies_of(const isa::pulp::Network& network) {
  Copies n;
  const auto udma = [&](const auto& copies) {
    for (const auto& c : copies) {
      if (isa::pulp::copy_bytes(c) == 0) continue;
      ++(c.source_memory() == isa::pulp::MEMORY_L3 ? n.l3_reads : n.l3_writes);
    }
  };
  const auto dma = [&](const auto& copies) {
    for (const auto& c : copies) n.dma += isa::pulp::copy_bytes(c) > 0 ? 1 : 0;
  };
  for_each_copy_list(network, udma, dma);
  return n;
}

// Bound behind the sockets, the default targets price every transfer as their pricing rules
// say: the channels' busy cycles are the sums over the program's copies.
TEST(PulpTlm, TheDefaultTargetsBehindBoundSocketsPriceEveryCopyByTheirRules) {
  const Compiled& c = staged();
  use_defaults(c.config);
  const SimResult r = run(c);
  const L2PortParams l2 = l2_port_params(c.config.pulp(), kPeriod);
  const L3Params l3 = l3_params(c.config.pulp(), kPeriod);
  std::uint64_t dma = 0, udma = 0;
  const auto on_l2 = [&](const auto& copies) {
    for (const auto& copy : copies) {
      if (isa::pulp::copy_bytes(copy) == 0) continue;
      dma += l2_transfer_cycles(l2, copy_transfer(copy, copy.source_memory() == isa::pulp::MEMORY_L2).shape);
    }
  };
  const auto on_l3 = [&](const auto& copies) {
    for (const auto& copy : copies) {
      if (isa::pulp::copy_bytes(copy) == 0) continue;
      udma += l3_transfer_cycles(l3, copy_transfer(copy, copy.source_memory() == isa::pulp::MEMORY_L3).shape);
    }
  };
  for_each_copy_list(c.network, on_l3, on_l2);
  EXPECT_GT(udma, 0u);
  EXPECT_EQ(r.dma_busy_cycles, dma);
  EXPECT_EQ(r.l3_busy_cycles, udma);
}

TEST(PulpTlm, AFixedL3TimeMovesTheCyclesByExactlyIt) {
  const Compiled& c = staged();
  use_defaults(c.config);
  const SimResult by_default = run(c);
  use_defaults(c.config);
  g_l3->mode = Mode::Fixed;
  g_l3->fixed = kPeriod * 5000.0;
  const SimResult fixed = run(c);
  const Copies n = copies_of(c.network);
  ASSERT_GT(n.l3_reads, 0u);
  ASSERT_GT(n.l3_writes, 0u);
  EXPECT_EQ(fixed.l3_busy_cycles, 5000 * (n.l3_reads + n.l3_writes));
  EXPECT_NE(fixed.l3_busy_cycles, by_default.l3_busy_cycles);
  EXPECT_GT(fixed.total_cycles, by_default.total_cycles);
  EXPECT_EQ(fixed.dma_busy_cycles, by_default.dma_busy_cycles);  // L2 untouched
  // The uDMA read L3 for L3 -> L2 copies and wrote it for L2 -> L3, at the L3 side's address.
  std::uint64_t reads = 0, writes = 0;
  for (const Seen& s : g_l3->seen) ++(s.command == tlm::TLM_READ_COMMAND ? reads : writes);
  EXPECT_EQ(reads, n.l3_reads);
  EXPECT_EQ(writes, n.l3_writes);
  const auto& first = c.network.layers(0).steps(0);
  if (first.l3_load_size() > 0) {
    EXPECT_EQ(g_l3->seen.front().address, first.l3_load(0).source());
    EXPECT_EQ(g_l3->seen.front().length, isa::pulp::copy_bytes(first.l3_load(0)));
  }
}

TEST(PulpTlm, AFixedL2TimeIsEveryClusterDmaCopysBusyTime) {
  const Compiled& c = staged();
  use_defaults(c.config);
  const SimResult by_default = run(c);
  use_defaults(c.config);
  g_l2->mode = Mode::Fixed;
  g_l2->fixed = kPeriod * 7.0;
  const SimResult fixed = run(c);
  EXPECT_EQ(fixed.dma_busy_cycles, 7 * copies_of(c.network).dma);
  EXPECT_EQ(g_l2->seen.size(), copies_of(c.network).dma);
  EXPECT_NE(fixed.total_cycles, by_default.total_cycles);
  EXPECT_EQ(fixed.l3_busy_cycles, by_default.l3_busy_cycles);  // L3 untouched
}

TEST(PulpTlm, AModelsErrorOrWaitIsAUserErrorNamingTheLayer) {
  const Compiled& c = staged();
  use_defaults(c.config);
  g_l3->mode = Mode::Error;
  try {
    run(c);
    FAIL() << "the L3 model's error was not reported";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("program layer 0 '"));
    EXPECT_THAT(e.what(), HasSubstr("the L3 model answered TLM_ADDRESS_ERROR_RESPONSE to a read of"));
  }
  use_defaults(c.config);
  g_l2->mode = Mode::WaitInside;
  g_l2->fixed = kPeriod * 3.0;
  try {
    run(c);
    FAIL() << "a waiting L2 model was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the L2 model waited inside b_transport"));
  }
}

TEST(PulpTlm, TheModelsCannotChangeOnceTheClusterHasElaborated) {
  use_defaults(staged().config);
  run(staged());
  EXPECT_THROW(bind_l2_model({}), std::logic_error);
  try {
    bind_l3_model({});
    FAIL() << "a model changed after elaboration";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bind_l3_model: the PULP simulator has elaborated"));
  }
}

}  // namespace
}  // namespace wb::sim::pulp
