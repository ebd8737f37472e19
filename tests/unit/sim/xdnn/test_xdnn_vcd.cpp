// The VCD of the units' busy signals. SystemC opens trace files only before its first
// sc_start, so this is its own binary and one test: the first simulate() of the process
// writes a VCD, later runs work without one and refuse one.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/xdnn/overlay.h"
#include "support/error.h"
#include "tests/unit/sim/xdnn/xdnn_sim_testing.h"

namespace wb::test::xdnn {
namespace {

x::Program eltwise_then_upload() {
  ProgramBuilder b;
  const auto l = layout(4, 4, 4);
  const auto a = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto out = region(x::MEMORY_AM, b.am(bytes_of(l)), l);
  const auto ddr = region(x::MEMORY_DDR, b.ddr(bytes_of(l)), l);
  b.input("a", {1, 4, 4, 4}, a);
  b.output("y", {1, 4, 4, 4}, out);
  b.layer("add", "eltwise", out);
  x::Eltwise& e = *b.instr("add").mutable_eltwise();
  *e.mutable_a() = a;
  *e.mutable_b() = a;
  *e.mutable_output() = out;
  e.add_input_multiplier(1);
  e.add_input_multiplier(2);
  *e.mutable_requant() = requant({1}, {0}, {0}, -128, 127);
  x::Instr& down = b.instr("add");
  down.mutable_wait()->set_eltwise(true);
  x::Copy& c = *down.mutable_download();
  c.set_source_memory(x::MEMORY_AM);
  c.set_source(out.address());
  c.set_destination_memory(x::MEMORY_DDR);
  c.set_destination(ddr.address());
  c.set_chunk_bytes(bytes_of(l));
  c.set_count(1);
  return b.program();
}

TEST(XdnnSimVcd, FirstRunWritesBusySignalsLaterRunsRefuseAVcd) {
  const auto dir = std::filesystem::temp_directory_path() / "wb_test_xdnn_vcd";
  std::filesystem::create_directories(dir);
  const auto path = dir / "run.vcd";
  std::filesystem::remove(path);
  const IntTensor a = random_tensor(4, 4, 4, -40, 40, 9);
  sim::xdnn::SimOptions with_vcd;
  with_vcd.vcd_path = path;
  const auto first = sim::xdnn::simulate(eltwise_then_upload(), config(), {a}, with_vcd);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string vcd = text.str();
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
  std::size_t vars = 0;
  for (std::size_t at = vcd.find("$var"); at != std::string::npos; at = vcd.find("$var", at + 1)) ++vars;
  // Every unit of the overlay, the Dedicated Block's too (the report lists those only where it ran).
  EXPECT_EQ(vars, sim::xdnn::kUnits) << vcd.substr(0, 2000);
  EXPECT_EQ(first.units.size(), sim::xdnn::kUnits - 2);
  EXPECT_NE(vcd.find("busy"), std::string::npos);
  // The simulation goes on without a VCD ...
  const auto second = sim::xdnn::simulate(eltwise_then_upload(), config(), {a}, {});
  EXPECT_EQ(second.total_cycles, first.total_cycles);
  EXPECT_EQ(second.outputs[0].values, first.outputs[0].values);
  // ... but cannot open another one.
  EXPECT_THROW(sim::xdnn::simulate(eltwise_then_upload(), config(), {a}, with_vcd), UserError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wb::test::xdnn
