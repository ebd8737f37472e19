// KERNEL_EMBEDDING in the cluster model, on one-layer programs written by hand: a step loads
// its tokens' ids into L1, and per id the controller has the uDMA copy that row of the table
// (in the L3 image) into L2. The cores stay idle, every row is one transfer, the predictor's
// timeline prices the rows as the cluster runs them, and an id outside the table is named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "isa/pulp_program.h"
#include "perf/pulp/timeline.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/support/user_error_testing.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::sim::pulp::embedding_test {
namespace {

using testing::AllOf;
using testing::HasSubstr;

constexpr std::uint32_t kFeatures = 6, kRows = 10, kTokens = 7;
constexpr std::uint64_t kOutputL2 = 256;

// Row r of the table: bytes 16 r + c (int8 and uint8 alike).
std::int32_t table_value(std::uint32_t row, std::uint32_t c) { return static_cast<std::int32_t>(16 * row + c); }

isa::pulp::Network embedding(const HwConfig& config, std::uint32_t per_tile) {
  using namespace isa::pulp;
  Network network;
  IoTensor& ids = *network.add_inputs();
  ids.set_name("ids");
  for (const std::int64_t d : {1, static_cast<int>(kTokens)}) ids.add_shape(d);
  ids.set_memory(MEMORY_L2);
  ids.set_bits(16);
  IoTensor& y = *network.add_outputs();
  y.set_name("y");
  for (const std::int64_t d : {1, static_cast<int>(kFeatures), 1, static_cast<int>(kTokens)}) y.add_shape(d);
  y.set_memory(MEMORY_L2);
  y.set_address(kOutputL2);
  y.set_bits(8);
  network.set_l3_image_address(static_cast<std::uint64_t>(config.pulp().l3_bytes));
  for (std::uint32_t r = 0; r < kRows; ++r) {
    for (std::uint32_t c = 0; c < kFeatures; ++c) network.mutable_l3_image()->push_back(static_cast<char>(table_value(r, c)));
  }
  Layer& layer = *network.add_layers();
  layer.set_name("embed");
  layer.set_kind(KERNEL_EMBEDDING);
  layer.set_type(kernel_kind_name(KERNEL_EMBEDDING));
  layer.set_output("y");
  layer.set_output_address(kOutputL2);
  *layer.mutable_output_shape() = y.shape();
  layer.set_output_memory(MEMORY_L2);
  for (std::uint32_t first = 0; first < kTokens; first += per_tile) {
    const std::uint32_t tokens = std::min(per_tile, kTokens - first);
    Step& step = *layer.add_steps();
    *step.add_load() = linear_copy(MEMORY_L2, 2 * first, MEMORY_L1, 0, 2 * tokens);
    RowGather& g = *step.mutable_row_gather();
    g.set_count(tokens);
    g.set_table_memory(MEMORY_L3);
    g.set_table(network.l3_image_address());
    g.set_rows(kRows);
    g.set_row_bytes(kFeatures);
    g.set_destination_memory(MEMORY_L2);
    g.set_destination(kOutputL2 + std::uint64_t{first} * kFeatures);
    g.set_destination_stride(kFeatures);
  }
  return network;
}

IntTensor ids_of(const std::vector<std::int32_t>& values) {
  IntTensor ids;
  ids.shape = {1, static_cast<std::int64_t>(values.size())};
  ids.values = values;
  return ids;
}

TEST(PulpSimEmbedding, EachTokensRowIsOneUdmaCopyWithTheCoresIdle) {
  const HwConfig config = test::pulp_config();
  const std::vector<std::int32_t> picked{9, 0, 3, 3, 7, 1, 9};
  for (const std::uint32_t per_tile : {kTokens, 3u, 1u}) {
    SCOPED_TRACE(testing::Message() << per_tile << " tokens per tile");
    const isa::pulp::Network network = embedding(config, per_tile);
    SimOptions options;
    const SimResult r = simulate(network, config, {ids_of(picked)}, options);
    std::vector<std::int32_t> expected(kFeatures * kTokens);  // NCHW: feature c of token t at c * T + t
    for (std::uint32_t c = 0; c < kFeatures; ++c) {
      for (std::uint32_t t = 0; t < kTokens; ++t) expected[c * kTokens + t] = table_value(static_cast<std::uint32_t>(picked[t]), c);
    }
    EXPECT_EQ(r.outputs.at(0).values, expected);
    const LayerStats& s = r.layers.at(0);
    EXPECT_EQ(r.kernel_calls, 0u);
    EXPECT_EQ(s.compute_cycles, 0u);
    EXPECT_EQ(s.l3_bytes_in, std::uint64_t{kTokens} * kFeatures) << "the picked rows, never the table";
    EXPECT_EQ(s.l3_flash_bytes, s.l3_bytes_in);
    EXPECT_EQ(s.l1_bytes_in, 2u * kTokens) << "the ids";
    EXPECT_EQ(s.l1_bytes_out, 0u);
    // Per token the controller's lhu, load-use stall, p.mac and the transfer's programming.
    const PulpParams& hw = config.pulp();
    const auto per_row = static_cast<std::uint64_t>(2 + hw.core.load_use_stall_cycles + hw.dma_command_cycles);
    EXPECT_EQ(isa::pulp::row_gather_id_cycles(hw), per_row);
    EXPECT_GE(s.dma_issue_cycles, kTokens * per_row);
    EXPECT_EQ(s.dma_issue_cycles + s.dma_wait_cycles + s.l3_cycles, s.cycles);
    // No core work to misjudge: the predictor's timeline is the cluster's.
    EXPECT_EQ(perf::pulp::layer_cycles(network.layers(0), hw), s.cycles);
    // Without data the ids are unknown: the same transfers, the same time.
    SimOptions timing;
    timing.data = false;
    EXPECT_EQ(simulate(network, config, {}, timing).total_cycles, r.total_cycles);
  }
}

TEST(PulpSimEmbedding, AnIdOutsideTheTableStopsTheRunNamingIt) {
  const HwConfig config = test::pulp_config();
  const isa::pulp::Network network = embedding(config, 3);
  SimOptions options;
  EXPECT_THAT(test::user_error_of([&] { simulate(network, config, {ids_of({1, 2, 3, 4, 10, 0, 0})}, options); }),
              AllOf(HasSubstr("layer 0 'embed', step 1"), HasSubstr("token id 10 (position 1 of the step)"),
                    HasSubstr("outside its table of 10 rows")));
  EXPECT_THAT(test::user_error_of([&] { simulate(network, config, {ids_of({1, 2, 3, 4, 70000, 0, 0})}, options); }),
              HasSubstr("input 'ids': value 70000 outside [0, 65535]"));
}

TEST(PulpSimEmbedding, AMalformedRowGatherIsRefusedBeforeTheRun) {
  const HwConfig config = test::pulp_config();
  SimOptions timing;
  timing.data = false;
  const auto refused = [&](const std::function<void(isa::pulp::Network&)>& change) {
    isa::pulp::Network network = embedding(config, kTokens);
    change(network);
    return test::user_error_of([&] { simulate(network, config, {}, timing); });
  };
  const auto gather = [](isa::pulp::Network& n) { return n.mutable_layers(0)->mutable_steps(0)->mutable_row_gather(); };
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { gather(n)->set_table_memory(isa::pulp::MEMORY_L2); }),
              HasSubstr("copies rows L2 -> L2; the uDMA copies them L3 -> L2"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { gather(n)->set_rows(1u << 30); }),
              HasSubstr("its table of 1073741824 rows of 6 bytes"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { gather(n)->set_ids(config.pulp().l1_bytes); }),
              HasSubstr("reads 7 ids at L1"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { gather(n)->set_destination_stride(2); }),
              HasSubstr("rows of 6 bytes written 2 bytes apart overlap"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { n.mutable_layers(0)->mutable_steps(0)->clear_row_gather(); }),
              HasSubstr("an embedding layer's step gathers rows, but this one has no row_gather"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { n.mutable_layers(0)->set_kind(isa::pulp::KERNEL_PIXEL_COPY); }),
              HasSubstr("only an embedding layer's steps gather rows by id"));
  EXPECT_THAT(refused([&](isa::pulp::Network& n) { n.mutable_inputs(0)->set_is_signed(true); }),
              HasSubstr("program input 'ids': 16-bit signed"));
}

}  // namespace
}  // namespace wb::sim::pulp::embedding_test
