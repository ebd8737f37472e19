// What each xDNN instruction kind reads and writes (the accesses the compiler's dependency
// flags and the simulator's in-flight check both use), and when two accesses conflict.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "isa/xdnn_access.h"
#include "isa/xdnn_program.h"

namespace wb::isa::xdnn {
namespace {

// A buffer of `buffer_channels` in sections of 16 lanes, 4 rows of 3 pixels (width stride 4),
// one byte each, of which `channels` from `offset` are the tensor.
Region region(Memory memory, std::uint64_t address, std::uint32_t channels, std::uint32_t offset = 0,
              std::uint32_t buffer_channels = 0, std::uint32_t replication = 1) {
  Region r;
  r.set_memory(memory);
  r.set_address(address);
  auto* l = r.mutable_layout();
  l->set_channels(channels);
  l->set_height(4);
  l->set_width(3);
  l->set_section_channels(16);
  l->set_width_stride(4);
  l->set_replication(replication);
  l->set_element_bytes(1);
  l->set_channel_offset(offset);
  l->set_buffer_channels(buffer_channels == 0 ? channels * replication : buffer_channels);
  return r;
}

struct Expected {
  Memory memory;
  std::uint64_t begin, end;
  bool write;
};

void expect_accesses(const Instr& instr, const std::vector<Expected>& expected) {
  const std::vector<Access> got = instruction_accesses(instr);
  ASSERT_EQ(got.size(), expected.size()) << instr_mnemonic(instr);
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(testing::Message() << instr_mnemonic(instr) << " access " << i);
    EXPECT_EQ(got[i].memory, expected[i].memory);
    EXPECT_EQ(got[i].begin, expected[i].begin);
    EXPECT_EQ(got[i].end, expected[i].end);
    EXPECT_EQ(got[i].write, expected[i].write);
  }
}

// One section of 4 rows x 4 words of 16 lanes: 256 bytes; 40 channels take 3 sections.
constexpr std::uint64_t kSection = 4 * 4 * 16;

TEST(XdnnAccess, ARegionIsItsWholeBufferWithItsChannels) {
  const Access a = region_access(region(MEMORY_AM, 1000, 8, 16, 40), true);
  EXPECT_EQ(a.memory, MEMORY_AM);
  EXPECT_EQ(a.begin, 1000u);
  EXPECT_EQ(a.end, 1000u + 3 * kSection);
  EXPECT_TRUE(a.has_channels);
  EXPECT_EQ(a.base, 1000u);
  EXPECT_EQ(a.channel_begin, 16u);
  EXPECT_EQ(a.channel_end, 24u);
  EXPECT_TRUE(a.write);
  // A replicated layout holds copies of its channels across the word: no channel range.
  EXPECT_FALSE(region_access(region(MEMORY_AM, 0, 4, 0, 0, 3), false).has_channels);
  const Access bytes = bytes_access(MEMORY_DDR, 64, 100, false);
  EXPECT_EQ(bytes.begin, 64u);
  EXPECT_EQ(bytes.end, 164u);
  EXPECT_FALSE(bytes.has_channels);
  EXPECT_FALSE(bytes.write);
}

TEST(XdnnAccess, AConvReadsItsInputAndWeightsAndWritesItsOutput) {
  Instr instr;
  Conv* c = instr.mutable_conv();
  *c->mutable_input() = region(MEMORY_AM, 0, 16);
  *c->mutable_output() = region(MEMORY_AM, 4096, 8, 8, 32);
  c->mutable_window()->set_kernel_h(3);
  c->mutable_window()->set_kernel_w(2);
  c->set_groups(1);
  c->set_weight_bytes(2);
  c->set_filter_address(512);
  // Weights: 8 filters x 16 channels x 3 x 2 taps x 2 bytes, in the filter cache.
  expect_accesses(instr, {{MEMORY_AM, 0, kSection, false},
                          {MEMORY_AM, 4096, 4096 + 2 * kSection, true},
                          {MEMORY_FILTER_CACHE, 512, 512 + 8 * 16 * 6 * 2, false}});
  // Grouped: each filter reads its group's channels only.
  c->set_groups(4);
  c->set_weight_bytes(1);
  expect_accesses(instr, {{MEMORY_AM, 0, kSection, false},
                          {MEMORY_AM, 4096, 4096 + 2 * kSection, true},
                          {MEMORY_FILTER_CACHE, 512, 512 + 8 * 4 * 6, false}});
  // On the host: regions and weights in DDR.
  *c->mutable_input() = region(MEMORY_DDR, 100, 16);
  *c->mutable_output() = region(MEMORY_DDR, 9000, 8);
  c->set_on_host(true);
  c->set_groups(1);
  expect_accesses(instr, {{MEMORY_DDR, 100, 100 + kSection, false},
                          {MEMORY_DDR, 9000, 9000 + kSection, true},
                          {MEMORY_DDR, 512, 512 + 8 * 16 * 6, false}});
}

TEST(XdnnAccess, PoolsAddsAndHostLayersReadTheirOperandsAndWriteTheirOutput) {
  Instr pool;
  *pool.mutable_pool()->mutable_input() = region(MEMORY_AM, 0, 16);
  *pool.mutable_pool()->mutable_output() = region(MEMORY_AM, 300, 16);
  expect_accesses(pool, {{MEMORY_AM, 0, kSection, false}, {MEMORY_AM, 300, 300 + kSection, true}});
  Instr add;
  *add.mutable_eltwise()->mutable_a() = region(MEMORY_AM, 0, 16);
  *add.mutable_eltwise()->mutable_b() = region(MEMORY_AM, 1000, 17);
  *add.mutable_eltwise()->mutable_output() = region(MEMORY_AM, 2000, 16);
  expect_accesses(add, {{MEMORY_AM, 0, kSection, false},
                        {MEMORY_AM, 1000, 1000 + 2 * kSection, false},
                        {MEMORY_AM, 2000, 2000 + kSection, true}});
  Instr lut;
  HostElementwise* h = lut.mutable_host_elementwise();
  h->set_kind(HOST_LUT);
  *h->mutable_a() = region(MEMORY_DDR, 0, 16);
  *h->mutable_b() = region(MEMORY_DDR, 5000, 16);  // not an operand of a lookup
  *h->mutable_output() = region(MEMORY_DDR, 1000, 16);
  h->add_table(1);
  expect_accesses(lut, {{MEMORY_DDR, 0, kSection, false}, {MEMORY_DDR, 1000, 1000 + kSection, true}});
  h->set_kind(HOST_SOFTMAX);
  expect_accesses(lut, {{MEMORY_DDR, 0, kSection, false}, {MEMORY_DDR, 1000, 1000 + kSection, true}});
  h->set_kind(HOST_MUL);
  expect_accesses(lut, {{MEMORY_DDR, 0, kSection, false},
                        {MEMORY_DDR, 1000, 1000 + kSection, true},
                        {MEMORY_DDR, 5000, 5000 + kSection, false}});
}

TEST(XdnnAccess, ACopyReadsAndWritesTheExtentOfItsChunks) {
  Copy c;
  c.set_source_memory(MEMORY_DDR);
  c.set_source(1000);
  c.set_destination_memory(MEMORY_AM);
  c.set_destination(64);
  c.set_chunk_bytes(4);
  c.set_count(3);
  c.set_source_stride(10);
  c.set_destination_stride(16);
  c.set_rows(2);
  c.set_source_row_stride(100);
  c.set_destination_row_stride(64);
  // Last chunk: row 1, chunk 2: source 1000 + 100 + 20 .. + 4; destination 64 + 64 + 32 .. + 4.
  const std::vector<Expected> expected{{MEMORY_DDR, 1000, 1124, false}, {MEMORY_AM, 64, 164, true}};
  Instr up;
  *up.mutable_upload() = c;
  expect_accesses(up, expected);
  Instr down;
  *down.mutable_download() = c;
  expect_accesses(down, expected);
  Instr load;
  *load.mutable_load_weights() = linear_copy(MEMORY_AM, 4096, MEMORY_FILTER_CACHE, 0, 300);
  expect_accesses(load, {{MEMORY_AM, 4096, 4396, false}, {MEMORY_FILTER_CACHE, 0, 300, true}});
  // Rows 0 is one row; an empty copy touches nothing.
  c.set_rows(0);
  *up.mutable_upload() = c;
  expect_accesses(up, {{MEMORY_DDR, 1000, 1024, false}, {MEMORY_AM, 64, 100, true}});
  c.set_count(0);
  *up.mutable_upload() = c;
  expect_accesses(up, {});
  expect_accesses(Instr{}, {});
}

TEST(XdnnAccess, TwoAccessesConflictWhenOneWritesBytesAndChannelsTheOtherTouches) {
  const auto at = [](Memory m, std::uint64_t begin, std::uint64_t end, bool write) {
    return bytes_access(m, begin, end - begin, write);
  };
  EXPECT_FALSE(conflict(at(MEMORY_AM, 0, 100, false), at(MEMORY_AM, 50, 150, false)));  // two reads
  EXPECT_TRUE(conflict(at(MEMORY_AM, 0, 100, true), at(MEMORY_AM, 50, 150, false)));
  EXPECT_TRUE(conflict(at(MEMORY_AM, 0, 100, false), at(MEMORY_AM, 99, 150, true)));
  EXPECT_FALSE(conflict(at(MEMORY_AM, 0, 100, true), at(MEMORY_AM, 100, 150, true)));  // adjacent
  EXPECT_FALSE(conflict(at(MEMORY_AM, 0, 100, true), at(MEMORY_DDR, 0, 100, true)));   // other memory
  // Two tensors of one sectioned buffer: disjoint channels at the same base do not conflict
  // (concat inputs writing their own channels), overlapping ones do.
  const Access first = region_access(region(MEMORY_AM, 0, 8, 0, 24), true);
  const Access second = region_access(region(MEMORY_AM, 0, 8, 8, 24), true);
  const Access both = region_access(region(MEMORY_AM, 0, 16, 4, 24), false);
  EXPECT_FALSE(conflict(first, second));
  EXPECT_TRUE(conflict(first, both));
  EXPECT_TRUE(conflict(both, second));
  // Against plain bytes (a copy of the buffer) the channels do not help.
  EXPECT_TRUE(conflict(first, at(MEMORY_AM, 0, 16, false)));
  // Another base: the byte ranges decide.
  EXPECT_TRUE(conflict(first, region_access(region(MEMORY_AM, 16, 8, 8, 24), false)));
  // Replicated: no channel ranges, so any overlap conflicts.
  EXPECT_TRUE(conflict(region_access(region(MEMORY_AM, 0, 4, 0, 0, 3), true),
                       region_access(region(MEMORY_AM, 0, 4, 0, 0, 3), false)));
}

}  // namespace
}  // namespace wb::isa::xdnn
