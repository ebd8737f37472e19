#include "tests/unit/compiler/pulp/program_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace wb::pulp {

namespace {

// Max address + 1 a copy touches on each side.
std::pair<std::uint64_t, std::uint64_t> copy_ends(const isa::pulp::DmaCopy& c) {
  const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
  const std::uint64_t last = c.count() - 1;
  return {c.source() + (rows - 1) * c.source_row_stride() + last * c.source_stride() + c.chunk_bytes(),
          c.destination() + (rows - 1) * c.destination_row_stride() + last * c.destination_stride() + c.chunk_bytes()};
}

std::uint64_t memory_size(isa::pulp::Memory m, const PulpParams& hw) {
  switch (m) {
    case isa::pulp::MEMORY_L1: return static_cast<std::uint64_t>(hw.l1_bytes);
    case isa::pulp::MEMORY_L2: return static_cast<std::uint64_t>(hw.l2_bytes);
    default: return static_cast<std::uint64_t>(hw.l3_bytes + hw.l3_flash_bytes);
  }
}

}  // namespace

void check_program(const isa::pulp::Network& network, const PulpParams& hw) {
  for (const auto& layer : network.layers()) {
    std::map<std::uint64_t, int> written;  // byte address in the output's memory -> times
    const auto note = [&](const isa::pulp::DmaCopy& c) {
      const std::uint64_t rows = std::max<std::uint64_t>(c.rows(), 1);
      for (std::uint64_t r = 0; r < rows; ++r) {
        for (std::uint64_t i = 0; i < c.count(); ++i) {
          for (std::uint64_t b = 0; b < c.chunk_bytes(); ++b) {
            ++written[c.destination() + r * c.destination_row_stride() + i * c.destination_stride() + b];
          }
        }
      }
    };
    for (const auto& step : layer.steps()) {
      for (const auto* copies : {&step.load(), &step.prefetch(), &step.write_back(), &step.l3_load(), &step.l3_store()}) {
        for (const auto& c : *copies) {
          const auto [src_end, dst_end] = copy_ends(c);
          EXPECT_LE(src_end, memory_size(c.source_memory(), hw)) << layer.name();
          EXPECT_LE(dst_end, memory_size(c.destination_memory(), hw)) << layer.name();
        }
      }
      EXPECT_LE(step.compute().output() + std::uint64_t{step.compute().h_out()} * step.compute().w_out() *
                                              step.compute().c_out(),
                static_cast<std::uint64_t>(hw.l1_tile_budget_bytes))
          << layer.name();
      const auto& final_copies = layer.output_memory() == isa::pulp::MEMORY_L3 ? step.l3_store() : step.write_back();
      for (const auto& c : final_copies) note(c);
    }
    // HWC at output_address; a concat input's pixels are output_pixel_bytes apart. A 3-D
    // [a, b, n] (attention's scores) is a * b pixels of n.
    const auto& shape = layer.output_shape();
    const bool rows = shape.size() == 3;
    const auto channels = static_cast<std::uint64_t>(rows ? shape[2] : shape.size() > 1 ? shape[1] : 1);
    std::uint64_t pixels = rows ? static_cast<std::uint64_t>(shape[0] * shape[1]) : 1;
    for (int d = 2; !rows && d < shape.size(); ++d) pixels *= static_cast<std::uint64_t>(shape[d]);
    const std::uint64_t pixel = layer.output_pixel_bytes() != 0 ? layer.output_pixel_bytes() : channels;
    std::set<std::uint64_t> expected;
    for (std::uint64_t p = 0; p < pixels; ++p) {
      for (std::uint64_t c = 0; c < channels; ++c) expected.insert(layer.output_address() + p * pixel + c);
    }
    std::set<std::uint64_t> addresses;
    for (const auto& [address, times] : written) {
      addresses.insert(address);
      ASSERT_EQ(times, 1) << layer.name() << " byte " << address;
    }
    EXPECT_EQ(addresses, expected) << layer.name();
  }
}

void compile_everywhere(const quant::QGraph& graph, const std::vector<std::vector<std::string>>& configs,
                        const std::function<void(const CompileResult&)>& more) {
  for (const auto& overrides : configs) {
    const HwConfig config = test::pulp_config(overrides);
    for (const TilerObjective objective : {TilerObjective::Dory, TilerObjective::Cost}) {
      SCOPED_TRACE(fmt::format("{} {}", fmt::join(overrides, " "), objective_name(objective)));
      CompileOptions options;
      options.tiler = objective;
      const CompileResult r = compile_pulp(graph, config, options);
      check_program(r.network, config.pulp());
      more(r);
    }
  }
}

const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>& grouped_layers() {
  static const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> layers{
      {"grouped_4x4", {4, 4}}, {"grouped_s2", {8, 12}}, {"grouped_1x1", {3, 2}}, {"multiplier", {1, 2}}};
  return layers;
}

const std::vector<std::vector<std::string>>& grouped_cnn_configs() {
  static const std::vector<std::vector<std::string>> configs{
      {}, {"l1_tile_budget_bytes=3584"}, {"l1_tile_budget_bytes=3584", "l2_bytes=6KiB"},
      {"l1_tile_budget_bytes=3584", "l2_bytes=3200"}};
  return configs;
}

void check_whole_groups(const isa::pulp::Network& network) {
  for (const auto& layer : network.layers()) {
    if (layer.kind() != isa::pulp::KERNEL_GROUPED_CONV) continue;
    const auto [group_in, group_out] = grouped_layers().at(layer.name());
    EXPECT_EQ(layer.tiling().tile_c_out() % group_out, 0u) << layer.name();
    for (const auto& step : layer.steps()) {
      const auto& call = step.compute();
      ASSERT_GE(call.groups(), 1u) << layer.name();
      EXPECT_EQ(call.c_in(), call.groups() * group_in) << layer.name();
      EXPECT_EQ(call.c_out(), call.groups() * group_out) << layer.name();
    }
  }
}

}  // namespace wb::pulp
