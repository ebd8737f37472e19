// DDR layout: homes and scratch areas after the weights, 64-byte aligned and disjoint; compact
// homes for network inputs, outputs and host operands, the AM image for the rest; and the
// copies between a home and AM, run on byte arrays and checked element by element against
// the layouts' own address arithmetic (isa/xdnn_program.h), for whole buffers, row stripes
// and channel ranges, in both directions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/xdnn/ddr_layout.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/emit_testing.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

// x[1,40,5,5] -> 3x3 conv "a" (40) -> Lut tanh "t" -> 3x3 conv "b" (40) -> 1x1 conv "c" (40)
// -> y. On v2_28 a buffer of 40 channels is two sections, the second 12 channels full.
quant::QGraph chain() {
  test::HandQGraph g("ddr_chain");
  const int x = g.input("x", {1, 40, 5, 5}, 1.0 / 32);
  const int a = g.tensor("a", {1, 40, 5, 5}, 1.0 / 16);
  const int t = g.tensor("t", {1, 40, 5, 5}, 1.0 / 127);
  const int m = g.tensor("m", {1, 40, 5, 5}, 1.0 / 16);
  const int y = g.tensor("y", {1, 40, 5, 5}, 1.0 / 16);
  g.conv("a", x, a, 3, 91);
  g.lut("t", a, t, "tanh");
  g.conv("b", t, m, 3, 92);
  g.conv("c", m, y, 1, 93);
  return g.finish({y});
}

struct Fixture {
  std::unique_ptr<PlannedNetwork> n = plan_network(chain(), test::xdnn_config("v2_28"));
  int buffer(const std::string& tensor) const { return buffer_of(n->plan, n->mapping, n->graph.find_tensor(tensor)); }
};

TEST(DdrLayout, HomesAndScratchFollowTheWeightsAlignedAndDisjoint) {
  Fixture f;
  DdrLayout ddr(f.n->graph, f.n->mapping, f.n->plan, 1000);
  EXPECT_EQ(ddr.bytes_used(), 1024u);  // the weights, aligned
  std::vector<std::pair<std::uint64_t, std::uint64_t>> areas;
  for (const char* t : {"m", "x", "y", "a", "t"}) {
    const int b = f.buffer(t);
    const std::uint64_t home = ddr.home(b);
    EXPECT_EQ(home % kDdrAlignment, 0u) << t;
    EXPECT_EQ(ddr.home(b), home) << t << ": placed once";
    areas.emplace_back(home, home + isa::xdnn::buffer_bytes(ddr.home_layout(b)));
  }
  EXPECT_EQ(areas.front().first, 1024u);  // in the order asked for
  const std::uint64_t scratch = ddr.scratch(100);
  EXPECT_EQ(scratch % kDdrAlignment, 0u);
  areas.emplace_back(scratch, scratch + 100);
  const std::uint64_t second = ddr.scratch(1);
  areas.emplace_back(second, second + 1);
  std::sort(areas.begin(), areas.end());
  for (std::size_t i = 1; i < areas.size(); ++i) EXPECT_LE(areas[i - 1].second, areas[i].first);
  EXPECT_EQ(ddr.bytes_used(), (areas.back().second + kDdrAlignment - 1) / kDdrAlignment * kDdrAlignment);
}

TEST(DdrLayout, InputsOutputsAndHostOperandsAreCompactTheRestTheAmImage) {
  Fixture f;
  DdrLayout ddr(f.n->graph, f.n->mapping, f.n->plan, 0);
  for (const char* t : {"x", "a", "t", "y"}) {
    const int b = f.buffer(t);
    EXPECT_TRUE(ddr.compact(b)) << t;
    const isa::xdnn::TensorLayout l = ddr.home_layout(b);
    EXPECT_EQ(l.section_channels(), 40u) << t;  // one section of every channel: HWC
    EXPECT_EQ(l.width_stride(), 5u) << t;
    EXPECT_EQ(isa::xdnn::buffer_bytes(l), 40u * 5u * 5u) << t;
  }
  EXPECT_TRUE(ddr.host_elementwise_operand(f.buffer("a")));
  EXPECT_TRUE(ddr.host_elementwise_operand(f.buffer("t")));
  EXPECT_FALSE(ddr.host_elementwise_operand(f.buffer("x")));
  EXPECT_FALSE(ddr.host_elementwise_operand(f.buffer("m")));
  const int m = f.buffer("m");
  EXPECT_FALSE(ddr.compact(m));
  const isa::xdnn::TensorLayout am = buffer_layout(f.n->plan, f.n->plan.buffers[static_cast<std::size_t>(m)]);
  EXPECT_EQ(ddr.home_layout(m).SerializeAsString(), am.SerializeAsString());
  EXPECT_EQ(am.section_channels(), 28u);
  EXPECT_EQ(am.width_stride(), 8u);  // v2 aligns rows to 8 words
}

// The value of element (c, h, w), never 0 (AM and DDR start as 0xee).
std::uint8_t value(std::uint32_t c, std::uint32_t h, std::uint32_t w) {
  return static_cast<std::uint8_t>(1 + (c * 7 + h * 31 + w * 3) % 200);
}

constexpr std::uint8_t kUntouched = 0xee;

// Runs home_copies of `buffer` for rows [r0, r1) and channels [c0, c1) both ways and checks
// every element, and that nothing outside what the copies may touch changes: on the DDR side
// a compact home's other channels, on the AM side the sections outside [c0, c1)'s.
void check_home_copies(DdrLayout& ddr, const BufferPlan& plan, int buffer, RowRange rows, std::uint32_t c0,
                       std::uint32_t c1) {
  SCOPED_TRACE(testing::Message() << "rows " << rows.begin << ".." << rows.end << " channels " << c0 << ".." << c1);
  const Buffer& b = plan.buffers[static_cast<std::size_t>(buffer)];
  const std::uint64_t home = ddr.home(buffer);
  const bool compact = ddr.compact(buffer);
  const isa::xdnn::TensorLayout home_layout = ddr.home_layout(buffer);
  isa::xdnn::TensorLayout am_layout = buffer_layout(plan, b);
  am_layout.set_height(rows.size());  // AM holds exactly the stripe's rows
  const std::uint64_t am_address = 4096;
  const auto ddr_at = [&](std::uint32_t c, std::uint32_t h, std::uint32_t w) {
    return home + (compact ? (std::uint64_t{h} * b.width + w) * b.channels + c
                           : isa::xdnn::element_offset(home_layout, c, h, w));
  };
  const auto am_at = [&](std::uint32_t c, std::uint32_t h, std::uint32_t w) {
    return am_address + isa::xdnn::element_offset(am_layout, c, h - rows.begin, w);
  };
  const std::uint64_t lanes = am_layout.section_channels();
  const std::uint64_t section_bytes = std::uint64_t{rows.size()} * isa::xdnn::row_bytes(am_layout);
  const std::uint64_t am_begin = am_address + c0 / lanes * section_bytes;
  const std::uint64_t am_end = am_address + (c1 + lanes - 1) / lanes * section_bytes;
  std::vector<std::uint8_t> ddr_bytes(home + isa::xdnn::buffer_bytes(home_layout) + 4096, kUntouched);
  std::vector<std::uint8_t> am_bytes(am_address + isa::xdnn::buffer_bytes(am_layout) + 4096, kUntouched);

  // Up: the home holds the buffer.
  for (std::uint32_t c = 0; c < b.channels; ++c) {
    for (std::uint32_t h = 0; h < b.height; ++h) {
      for (std::uint32_t w = 0; w < b.width; ++w) ddr_bytes[ddr_at(c, h, w)] = value(c, h, w);
    }
  }
  for (const auto& copy : ddr.home_copies(Transfer::Kind::Upload, buffer, am_address, rows, c0, c1)) {
    EXPECT_EQ(copy.source_memory(), isa::xdnn::MEMORY_DDR);
    EXPECT_EQ(copy.destination_memory(), isa::xdnn::MEMORY_AM);
    test::run_strided_copy(copy, ddr_bytes, am_bytes);
  }
  for (std::uint32_t c = c0; c < c1; ++c) {
    for (std::uint32_t h = rows.begin; h < rows.end; ++h) {
      for (std::uint32_t w = 0; w < b.width; ++w) ASSERT_EQ(am_bytes[am_at(c, h, w)], value(c, h, w)) << c << " " << h << " " << w;
    }
  }
  for (std::uint64_t i = 0; i < am_bytes.size(); ++i) {
    if (i < am_begin || i >= am_end) {
      ASSERT_EQ(am_bytes[i], kUntouched) << "AM byte " << i << " outside the sections copied";
    }
  }

  // Down: AM holds the stripe, the home nothing yet.
  std::fill(ddr_bytes.begin(), ddr_bytes.end(), kUntouched);
  std::fill(am_bytes.begin(), am_bytes.end(), kUntouched);
  for (std::uint32_t c = 0; c < b.channels; ++c) {
    for (std::uint32_t h = rows.begin; h < rows.end; ++h) {
      for (std::uint32_t w = 0; w < b.width; ++w) am_bytes[am_at(c, h, w)] = value(c, h, w);
    }
  }
  for (const auto& copy : ddr.home_copies(Transfer::Kind::Download, buffer, am_address, rows, c0, c1)) {
    EXPECT_EQ(copy.source_memory(), isa::xdnn::MEMORY_AM);
    EXPECT_EQ(copy.destination_memory(), isa::xdnn::MEMORY_DDR);
    test::run_strided_copy(copy, am_bytes, ddr_bytes);
  }
  for (std::uint32_t c = 0; c < b.channels; ++c) {
    for (std::uint32_t h = 0; h < b.height; ++h) {
      for (std::uint32_t w = 0; w < b.width; ++w) {
        const bool copied = c >= c0 && c < c1 && h >= rows.begin && h < rows.end;
        if (copied) {
          ASSERT_EQ(ddr_bytes[ddr_at(c, h, w)], value(c, h, w)) << c << " " << h << " " << w;
        } else if (compact || h < rows.begin || h >= rows.end) {
          // Other rows, and a compact home's other channels (a concat's other members), stay.
          ASSERT_EQ(ddr_bytes[ddr_at(c, h, w)], kUntouched) << c << " " << h << " " << w;
        }
      }
    }
  }
  for (std::uint64_t i = 0; i < home; ++i) ASSERT_EQ(ddr_bytes[i], kUntouched) << "DDR byte " << i << " below the home";
}

TEST(DdrLayout, HomeCopiesMoveWholeBuffersStripesAndChannelRanges) {
  Fixture f;
  DdrLayout ddr(f.n->graph, f.n->mapping, f.n->plan, 300);
  for (const char* t : {"x", "m"}) {  // a compact home and an AM image
    SCOPED_TRACE(t);
    const int b = f.buffer(t);
    for (const RowRange rows : {RowRange{0, 5}, RowRange{1, 4}, RowRange{4, 5}}) {
      check_home_copies(ddr, f.n->plan, b, rows, 0, 40);   // every channel
      check_home_copies(ddr, f.n->plan, b, rows, 28, 40);  // the second section
      check_home_copies(ddr, f.n->plan, b, rows, 0, 28);   // the first
      check_home_copies(ddr, f.n->plan, b, rows, 10, 20);  // part of a section
      check_home_copies(ddr, f.n->plan, b, rows, 20, 33);  // across the sections' border
    }
  }
}

TEST(DdrLayout, WholeSectionsOfAnAmImageGoAsOneCopy) {
  Fixture f;
  DdrLayout ddr(f.n->graph, f.n->mapping, f.n->plan, 0);
  const int m = f.buffer("m");
  const auto whole = ddr.home_copies(Transfer::Kind::Download, m, 64, {0, 5}, 0, 40);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(isa::xdnn::copy_bytes(whole[0]), isa::xdnn::buffer_bytes(ddr.home_layout(m)));
  EXPECT_EQ(whole[0].chunk_bytes(), isa::xdnn::copy_bytes(whole[0]));  // linear
  const auto stripe = ddr.home_copies(Transfer::Kind::Upload, m, 64, {1, 4}, 0, 40);
  ASSERT_EQ(stripe.size(), 1u);
  EXPECT_EQ(stripe[0].count(), 2u);  // one chunk of rows per section
  // A compact home: one 3-D copy per section.
  EXPECT_EQ(ddr.home_copies(Transfer::Kind::Upload, f.buffer("x"), 64, {0, 5}, 0, 40).size(), 2u);
}

TEST(DdrLayout, ATensorsRegionIsItsSliceOfItsBuffersHome) {
  // concat_member_lut: convs "a" (8) and "b" (8) placed in "cat" (16), read by a Lut: a host
  // operand, so its home is compact.
  const auto n = plan_network(test::concat_member_lut_qgraph(), test::xdnn_config("v3_96"));
  DdrLayout ddr(n->graph, n->mapping, n->plan, 0);
  const int cat = n->graph.find_tensor("cat");
  const std::uint64_t home = ddr.home(buffer_of(n->plan, n->mapping, cat));
  for (const auto& [tensor, offset] : std::vector<std::pair<std::string, std::uint32_t>>{{"a", 0}, {"b", 8}}) {
    const isa::xdnn::Region r = ddr.region(n->graph.find_tensor(tensor));
    EXPECT_EQ(r.memory(), isa::xdnn::MEMORY_DDR);
    EXPECT_EQ(r.address(), home) << tensor;
    EXPECT_EQ(r.layout().channels(), 8u) << tensor;
    EXPECT_EQ(r.layout().channel_offset(), offset) << tensor;
    EXPECT_EQ(r.layout().buffer_channels(), 16u) << tensor;
    EXPECT_EQ(r.layout().section_channels(), 16u) << tensor;  // compact
  }
}

}  // namespace
}  // namespace wb::xdnn
