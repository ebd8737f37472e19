// KERNEL_PIXEL_COPY in the cluster model, on one-layer programs written by hand: steps of
// cluster-DMA copies with no kernel call move whole pixels, the cores stay idle, and the
// predictor's timeline (perf/pulp/timeline) prices the copies as the cluster runs them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "isa/pulp_program.h"
#include "perf/pulp/timeline.h"
#include "sim/pulp/pulp_sim.h"
#include "tests/support/user_error_testing.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::sim::pulp {
namespace {

using testing::HasSubstr;

constexpr std::uint64_t kChannels = 8, kPixels = 12;  // x, y [1, 8, 3, 4]
constexpr std::uint64_t kOutputL2 = 256;

// y's pixel p is x's pixel kPixels - 1 - p (a reversal): per tile of `per_tile` output pixels,
// one load copy per pixel (no two consecutive output pixels read consecutive input pixels),
// into one of three L1 slots, then the tile written back.
isa::pulp::Network reversal(std::uint64_t per_tile, bool is_signed) {
  using namespace isa::pulp;
  Network network;
  const auto io = [&](IoTensor* t, const char* name, std::uint64_t address) {
    t->set_name(name);
    for (const std::int64_t d : {1, 8, 3, 4}) t->add_shape(d);
    t->set_memory(MEMORY_L2);
    t->set_address(address);
    t->set_bits(8);
    t->set_is_signed(is_signed);
  };
  io(network.add_inputs(), "x", 0);
  io(network.add_outputs(), "y", kOutputL2);
  Layer& layer = *network.add_layers();
  layer.set_name("reverse");
  layer.set_kind(KERNEL_PIXEL_COPY);
  layer.set_type(kernel_kind_name(KERNEL_PIXEL_COPY));
  layer.set_output("y");
  layer.set_output_address(kOutputL2);
  *layer.mutable_output_shape() = network.outputs(0).shape();
  layer.set_output_memory(MEMORY_L2);
  layer.set_output_signed(is_signed);
  std::uint64_t tile = 0;
  for (std::uint64_t first = 0; first < kPixels; first += per_tile, ++tile) {
    const std::uint64_t pixels = std::min(per_tile, kPixels - first), slot = (tile % 3) * per_tile * kChannels;
    Step& step = *layer.add_steps();
    for (std::uint64_t p = 0; p < pixels; ++p) {
      *step.add_load() = linear_copy(MEMORY_L2, (kPixels - 1 - first - p) * kChannels, MEMORY_L1, slot + p * kChannels,
                                     kChannels);
    }
    *step.add_write_back() = linear_copy(MEMORY_L1, slot, MEMORY_L2, kOutputL2 + first * kChannels, pixels * kChannels);
  }
  return network;
}

IntTensor random_image(bool is_signed, std::mt19937& rng) {
  IntTensor x;
  x.shape = {1, 8, 3, 4};
  std::uniform_int_distribution<std::int32_t> v(is_signed ? -128 : 0, is_signed ? 127 : 255);
  for (std::uint64_t i = 0; i < kChannels * kPixels; ++i) x.values.push_back(v(rng));
  return x;
}

TEST(PulpSimPixelCopy, CopiesAloneMoveWholePixelsWithTheCoresIdle) {
  const HwConfig config = test::pulp_config();
  std::mt19937 rng(3);
  for (const std::uint64_t per_tile : {kPixels, std::uint64_t{5}, std::uint64_t{1}}) {
    for (const bool is_signed : {false, true}) {
      SCOPED_TRACE(testing::Message() << per_tile << " pixels per tile, signed " << is_signed);
      const isa::pulp::Network network = reversal(per_tile, is_signed);
      const IntTensor x = random_image(is_signed, rng);
      SimOptions options;
      options.capture_layer_outputs = true;
      const SimResult r = simulate(network, config, {x}, options);
      // NCHW: channel c of pixel p at c * kPixels + p.
      std::vector<std::int32_t> expected(x.values.size());
      for (std::uint64_t c = 0; c < kChannels; ++c) {
        for (std::uint64_t p = 0; p < kPixels; ++p) expected[c * kPixels + p] = x.values[c * kPixels + kPixels - 1 - p];
      }
      EXPECT_EQ(r.outputs.at(0).values, expected);
      EXPECT_EQ(r.layer_outputs.at("y").values, expected) << "captured with the layer's own type";
      const LayerStats& s = r.layers.at(0);
      EXPECT_EQ(r.kernel_calls, 0u);
      EXPECT_EQ(s.compute_cycles, 0u);
      EXPECT_EQ(s.dma_issue_cycles + s.dma_wait_cycles, s.cycles);
      EXPECT_EQ(s.l1_bytes_in, kPixels * kChannels);
      EXPECT_EQ(s.l1_bytes_out, kPixels * kChannels);
      // No core work to misjudge: the predictor's timeline is the cluster's.
      EXPECT_EQ(perf::pulp::layer_cycles(network.layers(0), config.pulp()), s.cycles);
    }
  }
}

TEST(PulpSimPixelCopy, ACallWhereNoneBelongsOrNoCallWhereOneDoesIsRefused) {
  const HwConfig config = test::pulp_config();
  SimOptions timing;
  timing.data = false;
  isa::pulp::Network with_call = reversal(kPixels, false);
  isa::pulp::KernelCall& call = *with_call.mutable_layers(0)->mutable_steps(0)->mutable_compute();
  call.set_kind(isa::pulp::KERNEL_PIXEL_COPY);
  EXPECT_THAT(test::user_error_of([&] { simulate(with_call, config, {}, timing); }),
              HasSubstr("a pixel_gather layer's steps are copies alone, but this one has a kernel call"));
  isa::pulp::Network not_copies = reversal(kPixels, false);
  not_copies.mutable_layers(0)->set_kind(isa::pulp::KERNEL_ADD);
  EXPECT_THAT(test::user_error_of([&] { simulate(not_copies, config, {}, timing); }),
              HasSubstr("the step has no kernel call"));
}

}  // namespace
}  // namespace wb::sim::pulp
