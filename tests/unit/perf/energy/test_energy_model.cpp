// The energy model's arithmetic (perf/energy): each event times its energy, static power times
// time, in the target's component order, against sums done by hand.

#include <gtest/gtest.h>

#include "perf/energy/energy_model.h"

namespace wb::perf::energy {
namespace {

double component(const Breakdown& breakdown, const std::string& name) {
  for (const auto& [c, pj] : breakdown) {
    if (c == name) return pj;
  }
  ADD_FAILURE() << "no component " << name;
  return -1;
}

TEST(EnergyModel, StaticPowerOverTimeIsMilliwattsTimesMicroseconds) {
  // 10 mW for 2,000 cycles at 100 MHz = 10 mW x 20 us = 200 nJ = 200,000 pJ.
  EXPECT_DOUBLE_EQ(static_pj(10, 2000, 100), 200000);
  EXPECT_DOUBLE_EQ(static_pj(10, 2000, 0), 0);  // no clock, no time
}

TEST(EnergyModel, PulpChargesEachEventAtItsEnergy) {
  PulpEnergyParams p;
  p.instruction_pj = 30;
  p.simd_mac_pj = 5;
  p.l1_access_pj = 1.5;
  p.l2_byte_pj = 2;
  p.l3_ram_byte_pj = 300;
  p.l3_flash_byte_pj = 100;
  p.cluster_idle_mw = 6;
  p.soc_mw = 4;
  PulpEvents e;
  e.cycles = 1000;
  e.core_instructions = 800;
  e.core_simd_macs = 400;
  e.l1_core_accesses = 200;
  e.l1_dma_bytes = 402;  // 101 words (the last one partial)
  e.l3_bytes = 50;
  e.l3_flash_bytes = 30;
  const Breakdown b = pulp_energy(p, e, 100);
  ASSERT_EQ(b.size(), pulp_components().size());
  EXPECT_EQ(b.front().first, "cores");
  EXPECT_EQ(b.back().first, "static");
  EXPECT_DOUBLE_EQ(component(b, "cores"), 800 * 30 + 400 * 5);
  EXPECT_DOUBLE_EQ(component(b, "l1"), (200 + 101) * 1.5);
  EXPECT_DOUBLE_EQ(component(b, "l2"), (402 + 50) * 2);
  EXPECT_DOUBLE_EQ(component(b, "l3"), 20 * 300 + 30 * 100);
  EXPECT_DOUBLE_EQ(component(b, "static"), 10 * 10 * 1e3);  // 10 mW for 10 us
}

TEST(EnergyModel, XdnnChargesEachEventAtItsEnergy) {
  XdnnEnergyParams p;
  p.dsp_mac_pj = 0.5;
  p.am_byte_pj = 2;
  p.filter_cache_byte_pj = 1;
  p.pool_eltwise_element_pj = 3;
  p.ddr_byte_pj = 50;
  p.host_mw = 1000;
  p.static_mw = 20000;
  XdnnEvents e;
  e.cycles = 700;
  e.array_mac_slots = 1000;
  e.am_read_bytes = 300;
  e.am_write_bytes = 100;
  e.filter_cache_read_bytes = 40;
  e.filter_cache_write_bytes = 60;
  e.pool_eltwise_elements = 7;
  e.ddr_bytes = 11;
  e.host_cycles = 70;
  const Breakdown b = xdnn_energy(p, e, 700);
  ASSERT_EQ(b.size(), xdnn_components().size());
  EXPECT_DOUBLE_EQ(component(b, "array"), 500);
  EXPECT_DOUBLE_EQ(component(b, "am"), 800);
  EXPECT_DOUBLE_EQ(component(b, "filter_cache"), 100);
  EXPECT_DOUBLE_EQ(component(b, "pool_eltwise"), 21);
  EXPECT_DOUBLE_EQ(component(b, "ddr"), 550);
  EXPECT_DOUBLE_EQ(component(b, "host"), 1000 * 0.1 * 1e3);     // 1 W for 0.1 us
  EXPECT_DOUBLE_EQ(component(b, "static"), 20000 * 1.0 * 1e3);  // 20 W for 1 us
}

TEST(EnergyModel, EventsAddUpCountByCount) {
  PulpEvents a;
  a.cycles = 10;
  a.core_instructions = 3;
  a.l3_flash_bytes = 7;
  PulpEvents b = a;
  b.l1_dma_bytes = 5;
  a += b;
  EXPECT_EQ(a.cycles, 20u);
  EXPECT_EQ(a.core_instructions, 6u);
  EXPECT_EQ(a.l3_flash_bytes, 14u);
  EXPECT_EQ(a.l1_dma_bytes, 5u);
  XdnnEvents x;
  x.am_read_bytes = 2;
  x.host_cycles = 1;
  x += x;
  EXPECT_EQ(x.am_read_bytes, 4u);
  EXPECT_EQ(x.host_cycles, 2u);
}

TEST(EnergyModel, NoEventsNoTimeNoEnergy) {
  for (const auto& [c, pj] : pulp_energy(PulpEnergyParams{}, PulpEvents{}, 100)) EXPECT_EQ(pj, 0) << c;
  for (const auto& [c, pj] : xdnn_energy(XdnnEnergyParams{}, XdnnEvents{}, 700)) EXPECT_EQ(pj, 0) << c;
}

}  // namespace
}  // namespace wb::perf::energy
