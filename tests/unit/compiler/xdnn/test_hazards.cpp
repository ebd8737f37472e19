// Dependency flags between units.
#include <gtest/gtest.h>

#include "compiler/xdnn/hazards.h"
#include "isa/xdnn_program.h"

namespace wb::xdnn {
namespace {

Access am(std::uint64_t begin, std::uint64_t end, bool write) {
  Access a;
  a.begin = begin;
  a.end = end;
  a.write = write;
  return a;
}

TEST(XdnnHazards, ReadAfterWriteWaitsOnTheWriter) {
  HazardTracker t;
  EXPECT_FALSE(t.add(Unit::Upload, {am(0, 100, true)}).upload());
  const auto wait = t.add(Unit::Conv, {am(50, 60, false), am(200, 300, true)});
  EXPECT_TRUE(wait.upload());
  EXPECT_FALSE(wait.conv());
  // Already known complete: no second wait.
  EXPECT_FALSE(t.add(Unit::Pool, {am(0, 10, false)}).upload());
}

TEST(XdnnHazards, DisjointAccessesAndReadsDoNotWait) {
  HazardTracker t;
  t.add(Unit::Conv, {am(0, 100, true)});
  const auto wait = t.add(Unit::Pool, {am(100, 200, true), am(300, 400, false)});
  EXPECT_FALSE(wait.conv());
  t.add(Unit::Upload, {am(500, 600, false)});
  EXPECT_FALSE(t.add(Unit::Download, {am(500, 600, false)}).upload());  // read after read
}

TEST(XdnnHazards, WriteAfterReadWaitsOnTheReader) {
  HazardTracker t;
  t.add(Unit::Conv, {am(0, 100, false)});
  EXPECT_TRUE(t.add(Unit::Eltwise, {am(0, 10, true)}).conv());
}

TEST(XdnnHazards, DisjointChannelsOfOneBufferDoNotConflict) {
  HazardTracker t;
  Access a = am(0, 1000, true);
  a.has_channels = true;
  a.channel_begin = 0;
  a.channel_end = 4;
  Access b = a;
  b.channel_begin = 4;
  b.channel_end = 8;
  t.add(Unit::Conv, {a});
  EXPECT_FALSE(t.add(Unit::Pool, {b}).conv());
  Access c = a;
  c.channel_begin = 2;
  c.channel_end = 6;
  c.write = false;
  const auto wait = t.add(Unit::Eltwise, {c});
  EXPECT_TRUE(wait.conv());
  EXPECT_TRUE(wait.pool());
}

TEST(XdnnHazards, CompletionIsTransitive) {
  HazardTracker t;
  t.add(Unit::Upload, {am(0, 100, true)});
  EXPECT_TRUE(t.add(Unit::Conv, {am(0, 100, false), am(100, 200, true)}).upload());
  t.add(Unit::Upload, {am(1000, 1100, true)});  // unrelated, still running
  // Waiting on the conv implies its upload finished; the later upload is unrelated.
  const auto wait = t.add(Unit::Pool, {am(150, 160, false), am(0, 10, false)});
  EXPECT_TRUE(wait.conv());
  EXPECT_FALSE(wait.upload());
}

isa::xdnn::Region ddr_region(std::uint64_t address, std::uint32_t channels, std::uint32_t height, std::uint32_t width) {
  isa::xdnn::Region r;
  r.set_memory(isa::xdnn::MEMORY_DDR);
  r.set_address(address);
  auto* l = r.mutable_layout();
  l->set_channels(channels);
  l->set_height(height);
  l->set_width(width);
  l->set_section_channels(channels);
  l->set_width_stride(width);
  l->set_replication(1);
  l->set_element_bytes(1);
  l->set_buffer_channels(channels);
  return r;
}

TEST(XdnnHazards, HostElementwiseWaitsForItsOperandsAndItsResultForIt) {
  // a (64 bytes at 0) and the broadcast gate b (4 bytes at 64) come down; the host multiplies
  // them into y (64 bytes at 128); y goes up.
  isa::xdnn::Instr mul;
  auto* h = mul.mutable_host_elementwise();
  h->set_kind(isa::xdnn::HOST_MUL);
  *h->mutable_a() = ddr_region(0, 4, 4, 4);
  *h->mutable_b() = ddr_region(64, 4, 1, 1);
  *h->mutable_output() = ddr_region(128, 4, 4, 4);
  const auto accesses = isa::xdnn::instruction_accesses(mul);
  ASSERT_EQ(accesses.size(), 3u);
  EXPECT_EQ(accesses[2].begin, 64u);  // b, read
  EXPECT_EQ(accesses[2].end, 68u);
  EXPECT_FALSE(accesses[2].write);
  EXPECT_TRUE(accesses[1].write);  // the output

  const auto down = [](std::uint64_t begin, std::uint64_t end) {
    Access a = am(begin, end, true);
    a.memory = isa::xdnn::MEMORY_DDR;
    return a;
  };
  HazardTracker t;
  t.add(Unit::Download, {am(0, 64, false), down(64, 68)});  // only the gate
  EXPECT_TRUE(t.add(Unit::Host, accesses).download());
  Access up = am(1000, 1064, true);
  Access from = down(128, 192);
  from.write = false;
  EXPECT_TRUE(t.add(Unit::Upload, {from, up}).host());
  // A lut reads a alone: b does not count.
  h->set_kind(isa::xdnn::HOST_LUT);
  EXPECT_EQ(isa::xdnn::instruction_accesses(mul).size(), 2u);
}

}  // namespace
}  // namespace wb::xdnn
