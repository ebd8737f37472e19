// What tiler=energy prices a tiling with (perf/pulp/energy_prediction): the copies' bytes as
// they are in the program, the flash's told from L3's RAM by address, the kernel calls' busy
// cycles as instructions, and the static power over the cycles given.
#include <gtest/gtest.h>

#include <cstdint>

#include "isa/hw_config.h"
#include "isa/pulp_program.h"
#include "perf/pulp/cost.h"
#include "perf/pulp/energy_prediction.h"
#include "tests/support/test_paths.h"
#include "tests/unit/perf/pulp/kernel_call_testing.h"

namespace wb::perf::pulp::energy_prediction_test {

using namespace isa::pulp;
namespace {

PulpParams gap8_params() { return load_hw_config(test::source_dir() / "configs" / "gap8.yaml").pulp(); }

KernelCall sixteen_cubed_add() { return testing_calls::cube_add(16); }

TEST(PulpEnergyPrediction, CountsTheProgramsCopiesAndCallsAsTheyAre) {
  const PulpParams hw = gap8_params();
  Layer layer;
  const std::uint64_t flash = static_cast<std::uint64_t>(hw.l3_bytes);  // the first flash address
  *layer.add_l3_prefetch() = linear_copy(MEMORY_L3, flash, MEMORY_L2, 0, 1000);  // weights, from the flash
  Step& step = *layer.add_steps();
  *step.add_load() = linear_copy(MEMORY_L2, 0, MEMORY_L1, 0, 4096);
  *step.add_write_back() = linear_copy(MEMORY_L1, 8192, MEMORY_L2, 8192, 2048);
  *step.add_l3_store() = linear_copy(MEMORY_L2, 8192, MEMORY_L3, 64, 300);  // to the HyperRAM
  *step.mutable_compute() = sixteen_cubed_add();
  const energy::PulpEvents e = predicted_events(layer, hw, 5000);
  EXPECT_EQ(e.cycles, 5000u);
  EXPECT_EQ(e.l1_dma_bytes, 4096u + 2048u);
  EXPECT_EQ(e.l3_bytes, 1000u + 300u);
  EXPECT_EQ(e.l3_flash_bytes, 1000u);
  const KernelCost cost = kernel_cost(sixteen_cubed_add(), hw, hw.cores);
  std::uint64_t busy = 0, loads = 0;
  for (std::size_t c = 0; c < cost.core_cycles.size(); ++c) {
    busy += cost.core_cycles[c];
    loads += cost.core_loads[c];
  }
  EXPECT_GT(busy, 0u);
  EXPECT_EQ(e.core_instructions, busy);
  EXPECT_EQ(e.l1_core_accesses, loads);
}

TEST(PulpEnergyPrediction, MoreCyclesCostMoreStaticEnergy) {
  const PulpParams hw = gap8_params();
  Layer layer;
  *layer.add_steps()->mutable_compute() = sixteen_cubed_add();
  const double short_run = predicted_energy_pj(layer, hw, 100, 1000);
  const double long_run = predicted_energy_pj(layer, hw, 100, 2000);
  // 1000 cycles more at 100 MHz: 10 us of the cluster's and the SoC's static power.
  EXPECT_NEAR(long_run - short_run, (hw.energy.cluster_idle_mw + hw.energy.soc_mw) * 10 * 1e3, 1e-6);
}

}  // namespace
}  // namespace wb::perf::pulp::energy_prediction_test
