// The .cmd text of a program: a header of three comment lines, then one line per instruction
// in the form "<id> <mnemonic> <layer> <operands> wait=<units>". The expected lines are the
// format as docs/xdnn.md shows it (xfDNN's .cmd), one per instruction kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "compiler/xdnn/compile.h"
#include "isa/xdnn_program.h"
#include "tests/unit/compiler/xdnn/xdnn_testing.h"

namespace wb::xdnn {
namespace {

using isa::xdnn::Instr;
using isa::xdnn::Region;

Region region(isa::xdnn::Memory memory, std::uint64_t address, std::uint32_t channels, std::uint32_t height,
              std::uint32_t width) {
  Region r;
  r.set_memory(memory);
  r.set_address(address);
  auto* l = r.mutable_layout();
  l->set_channels(channels);
  l->set_height(height);
  l->set_width(width);
  l->set_section_channels(96);
  l->set_width_stride(width);
  l->set_replication(1);
  l->set_element_bytes(1);
  l->set_buffer_channels(channels);
  return r;
}

isa::xdnn::Window window(std::uint32_t k, std::uint32_t s, std::uint32_t p) {
  isa::xdnn::Window w;
  w.set_kernel_h(k);
  w.set_kernel_w(k);
  w.set_stride_h(s);
  w.set_stride_w(s);
  w.set_pad_top(p);
  w.set_pad_left(p);
  w.set_pad_bottom(p);
  w.set_pad_right(p);
  w.set_dilation_h(1);
  w.set_dilation_w(1);
  return w;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A program with one instruction of every kind.
isa::xdnn::Program every_kind() {
  isa::xdnn::Program p;
  auto* h = p.mutable_header();
  h->set_format_version(7);
  h->set_hw_name("v3_96");
  h->set_hw_fingerprint("0123456789abcdef");
  h->set_model_name("tiny");
  h->set_quant_scheme("xdnn");
  h->set_compile_options("schedule_search=on");
  p.set_weights(std::string(300, '\0'));
  p.set_ddr_bytes_used(4096);
  const auto add = [&](const std::string& layer) {
    Instr* instr = p.add_instrs();
    instr->set_id(static_cast<std::uint32_t>(p.instrs_size() - 1));
    instr->set_layer(layer);
    return instr;
  };
  // A weight load, then a conv with a pipelined max pool writing channels 16..47 of a 64-channel
  // buffer, waiting on the load.
  *add("conv1")->mutable_load_weights() =
      isa::xdnn::linear_copy(isa::xdnn::MEMORY_DDR, 0x40, isa::xdnn::MEMORY_FILTER_CACHE, 0, 288);
  Instr* conv = add("conv1");
  auto* c = conv->mutable_conv();
  *c->mutable_input() = region(isa::xdnn::MEMORY_AM, 0x100, 8, 4, 4);
  *c->mutable_output() = region(isa::xdnn::MEMORY_AM, 0x2000, 32, 2, 2);
  c->mutable_output()->mutable_layout()->set_channel_offset(16);
  c->mutable_output()->mutable_layout()->set_buffer_channels(64);
  *c->mutable_window() = window(3, 1, 1);
  c->set_groups(1);
  c->set_filter_address(0x120);
  c->set_row_begin(0);
  c->set_row_end(4);
  c->mutable_pipelined_pool()->set_kind(isa::xdnn::POOL_MAX);
  *c->mutable_pipelined_pool()->mutable_window() = window(2, 2, 0);
  conv->mutable_wait()->set_weights(true);
  // A standalone average pool on 16-bit data, replicated input.
  Instr* pool = add("pool1");
  auto* sp = pool->mutable_pool();
  *sp->mutable_input() = region(isa::xdnn::MEMORY_AM, 0x3000, 4, 8, 8);
  sp->mutable_input()->mutable_layout()->set_replication(3);
  sp->mutable_input()->mutable_layout()->set_buffer_channels(12);
  *sp->mutable_output() = region(isa::xdnn::MEMORY_AM, 0x4000, 4, 4, 4);
  sp->mutable_output()->mutable_layout()->set_element_bytes(2);
  sp->mutable_pool()->set_kind(isa::xdnn::POOL_AVG);
  *sp->mutable_pool()->mutable_window() = window(2, 2, 0);
  pool->mutable_wait()->set_conv(true);
  pool->mutable_wait()->set_upload(true);
  // An add with ReLU (requant lo 0).
  auto* e = add("add1")->mutable_eltwise();
  *e->mutable_a() = region(isa::xdnn::MEMORY_AM, 0x0, 8, 2, 2);
  *e->mutable_b() = region(isa::xdnn::MEMORY_AM, 0x200, 8, 2, 2);
  *e->mutable_output() = region(isa::xdnn::MEMORY_AM, 0x400, 8, 2, 2);
  e->mutable_requant()->set_lo(0);
  e->mutable_requant()->set_hi(127);
  // A spill (one linear download) and a 3-D upload of a concat copy (intermediate).
  Instr* down = add("add1");
  *down->mutable_download() = isa::xdnn::linear_copy(isa::xdnn::MEMORY_AM, 0x400, isa::xdnn::MEMORY_DDR, 0x1000, 128);
  down->mutable_download()->set_intermediate(true);
  isa::xdnn::Copy gather;
  gather.set_source_memory(isa::xdnn::MEMORY_DDR);
  gather.set_source(0x1000);
  gather.set_destination_memory(isa::xdnn::MEMORY_AM);
  gather.set_destination(0x500);
  gather.set_chunk_bytes(4);
  gather.set_count(2);
  gather.set_rows(3);
  gather.set_source_stride(8);
  gather.set_destination_stride(96);
  gather.set_source_row_stride(16);
  gather.set_destination_row_stride(192);
  gather.set_intermediate(true);
  *add("cat")->mutable_upload() = gather;
  // Weights staged in AM.
  Instr* staged = add("conv2");
  *staged->mutable_upload() = isa::xdnn::linear_copy(isa::xdnn::MEMORY_DDR, 0x80, isa::xdnn::MEMORY_AM, 0x9000, 64);
  staged->mutable_upload()->set_staged_weights(true);
  // Host layers: a lookup table, a product, a softmax, an FC.
  auto* lut = add("lut")->mutable_host_elementwise();
  lut->set_kind(isa::xdnn::HOST_LUT);
  *lut->mutable_a() = region(isa::xdnn::MEMORY_DDR, 0x2000, 8, 1, 1);
  *lut->mutable_output() = region(isa::xdnn::MEMORY_DDR, 0x2040, 8, 1, 1);
  for (int i = 0; i < 256; ++i) lut->add_table(i - 128);
  auto* mul = add("mul")->mutable_host_elementwise();
  mul->set_kind(isa::xdnn::HOST_MUL);
  *mul->mutable_a() = region(isa::xdnn::MEMORY_DDR, 0x2000, 8, 1, 1);
  *mul->mutable_b() = region(isa::xdnn::MEMORY_DDR, 0x2040, 8, 1, 1);
  *mul->mutable_output() = region(isa::xdnn::MEMORY_DDR, 0x2080, 8, 1, 1);
  mul->mutable_requant()->add_multiplier(3);
  mul->mutable_requant()->add_offset(64);
  mul->mutable_requant()->add_shift(7);
  mul->mutable_requant()->set_lo(-128);
  mul->mutable_requant()->set_hi(127);
  mul->mutable_requant()->set_intermediate_bits(16);
  auto* softmax = add("softmax")->mutable_host_elementwise();
  softmax->set_kind(isa::xdnn::HOST_SOFTMAX);
  *softmax->mutable_a() = region(isa::xdnn::MEMORY_DDR, 0x2080, 10, 1, 1);
  *softmax->mutable_output() = region(isa::xdnn::MEMORY_DDR, 0x20c0, 10, 1, 1);
  for (int i = 0; i < 3; ++i) softmax->add_exp_table(i);
  Instr* fc = add("fc");
  auto* f = fc->mutable_conv();
  *f->mutable_input() = region(isa::xdnn::MEMORY_DDR, 0x3000, 64, 1, 1);
  *f->mutable_output() = region(isa::xdnn::MEMORY_DDR, 0x3100, 10, 1, 1);
  *f->mutable_window() = window(1, 1, 0);
  f->set_groups(1);
  f->set_filter_address(0x40);
  f->set_row_end(1);
  f->set_on_host(true);
  fc->mutable_wait()->set_host(true);
  fc->mutable_wait()->set_download(true);
  add("empty");  // no op: a damaged program still prints
  return p;
}

TEST(ProgramText, AHeaderThenOneLinePerInstruction) {
  const std::vector<std::string> lines = lines_of(program_to_cmd(every_kind()));
  const std::vector<std::string> expected{
      "# xDNN program v7 for v3_96 (fingerprint 0123456789abcdef), model tiny, scheme xdnn",
      "# options schedule_search=on",
      "# 12 instructions, 300 weight bytes, 4096 DDR bytes",
      "0 XNLoadWeights conv1 DDR@0x40 -> filter cache@0x0 bytes=288 wait=-",
      "1 XNMaxPoolPipelined conv1 in=AM@0x100[8x4x4] out=AM@0x2000[32x2x2 c16/64] k=3x3 s=1x1 p=1,1,1,1 groups=1 "
      "filter=0x120 rows=0-4 pool:k=2x2 s=2x2 p=0,0,0,0 wait=weights",
      "2 XNAvgPool pool1 in=AM@0x3000[4x8x8 rep3] out=AM@0x4000[4x4x4 i16] k=2x2 s=2x2 p=0,0,0,0 wait=upload,conv",
      "3 XNEltwise add1 a=AM@0x0[8x2x2] b=AM@0x200[8x2x2] out=AM@0x400[8x2x2] relu wait=-",
      "4 XNDownload add1 AM@0x400 -> DDR@0x1000 bytes=128 intermediate wait=-",
      "5 XNGather cat DDR@0x1000 -> AM@0x500 bytes=24 chunks=3x2x4 strides=8/96 row_strides=16/192 intermediate "
      "wait=-",
      "6 XNUpload conv2 DDR@0x80 -> AM@0x9000 bytes=64 staged_weights wait=-",
      "7 XNLut(host) lut in=DDR@0x2000[8x1x1] out=DDR@0x2040[8x1x1] table[256]={-128,-127,...,126,127} wait=-",
      "8 XNMul(host) mul a=DDR@0x2000[8x1x1] b=DDR@0x2040[8x1x1] out=DDR@0x2080[8x1x1] m=3 off=64 shift=7 "
      "clamp=[-128,127] i16 wait=-",
      "9 XNSoftmax(host) softmax in=DDR@0x2080[10x1x1] out=DDR@0x20c0[10x1x1] exp_table[3]={0,1,2} wait=-",
      "10 XNInner(host) fc in=DDR@0x3000[64x1x1] out=DDR@0x3100[10x1x1] k=1x1 s=1x1 p=0,0,0,0 groups=1 filter=0x40 "
      "rows=0-1 wait=download,host",
      "11 XNUnknown empty ? wait=-"};
  ASSERT_EQ(lines.size(), expected.size()) << program_to_cmd(every_kind());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

TEST(ProgramText, EveryUnitOfAWaitIsNamedInTheProtocolsOrder) {
  isa::xdnn::Program p = every_kind();
  auto* w = p.mutable_instrs(0)->mutable_wait();
  w->set_download(true);
  w->set_upload(true);
  w->set_conv(true);
  w->set_pool(true);
  w->set_eltwise(true);
  w->set_weights(true);
  w->set_host(true);
  EXPECT_THAT(lines_of(program_to_cmd(p)).at(3), testing::EndsWith(" wait=download,upload,conv,pool,eltwise,weights,host"));
}

TEST(ProgramText, ACompiledProgramHasALinePerInstruction) {
  const CompileResult r = compile_xdnn(test::small_cnn_xdnn(), test::xdnn_config("v3_96"), {});
  const std::vector<std::string> lines = lines_of(r.cmd);
  ASSERT_EQ(lines.size(), 3u + static_cast<std::size_t>(r.program.instrs_size()));
  for (int i = 0; i < r.program.instrs_size(); ++i) {
    const auto& instr = r.program.instrs(i);
    EXPECT_THAT(lines[3 + static_cast<std::size_t>(i)],
                testing::StartsWith(std::to_string(i) + " " + isa::xdnn::instr_mnemonic(instr) + " " + instr.layer() + " "));
  }
}

}  // namespace
}  // namespace wb::xdnn
