#include "perf/pulp/energy_prediction.h"

#include "isa/pulp_program.h"
#include "perf/pulp/cost.h"

namespace wb::perf::pulp {

namespace {

std::uint64_t bytes_of(const google::protobuf::RepeatedPtrField<DmaCopy>& copies) {
  std::uint64_t bytes = 0;
  for (const DmaCopy& copy : copies) bytes += isa::pulp::copy_bytes(copy);
  return bytes;
}

// Bytes of `copies` whose L3 side lies past L3's RAM: the flash's.
std::uint64_t flash_bytes_of(const google::protobuf::RepeatedPtrField<DmaCopy>& copies, const PulpParams& hw) {
  std::uint64_t bytes = 0;
  for (const DmaCopy& copy : copies) {
    const bool from_l3 = copy.source_memory() == isa::pulp::MEMORY_L3;
    if ((from_l3 ? copy.source() : copy.destination()) >= static_cast<std::uint64_t>(hw.l3_bytes)) {
      bytes += isa::pulp::copy_bytes(copy);
    }
  }
  return bytes;
}

}  // namespace

energy::PulpEvents predicted_events(const isa::pulp::Layer& layer, const PulpParams& hw, std::uint64_t cycles) {
  energy::PulpEvents e;
  e.cycles = cycles;
  e.l3_bytes = bytes_of(layer.l3_prefetch());
  e.l3_flash_bytes = flash_bytes_of(layer.l3_prefetch(), hw);
  for (const isa::pulp::Step& step : layer.steps()) {
    if (step.has_compute()) {
      const KernelCost cost = kernel_cost(step.compute(), hw, hw.cores);
      for (const std::uint64_t busy : cost.core_cycles) e.core_instructions += busy;
      for (const std::uint64_t loads : cost.core_loads) e.l1_core_accesses += loads;
    }
    e.l1_dma_bytes += bytes_of(step.load()) + bytes_of(step.prefetch()) + bytes_of(step.write_back());
    for (const auto* copies : {&step.l3_load(), &step.l3_store(), &step.l3_prefetch()}) {
      e.l3_bytes += bytes_of(*copies);
      e.l3_flash_bytes += flash_bytes_of(*copies, hw);
    }
    if (step.has_row_gather()) {
      // A row per token; which rows does not change the bytes, nor whether they are the flash's.
      const isa::pulp::RowGather& gather = step.row_gather();
      const std::uint64_t rows = std::uint64_t{gather.count()} * gather.row_bytes();
      e.l3_bytes += rows;
      if (gather.table() >= static_cast<std::uint64_t>(hw.l3_bytes)) e.l3_flash_bytes += rows;
    }
  }
  return e;
}

double predicted_energy_pj(const isa::pulp::Layer& layer, const PulpParams& hw, double clock_mhz, std::uint64_t cycles) {
  double total = 0;
  for (const auto& [component, pj] : energy::pulp_energy(hw.energy, predicted_events(layer, hw, cycles), clock_mhz)) {
    total += pj;
  }
  return total;
}

}  // namespace wb::perf::pulp
