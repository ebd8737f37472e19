#include "sim/common/watchdog.h"

#include <fmt/format.h>

namespace wb::sim {

namespace {

std::string stall_message(std::uint64_t cycle, const std::vector<UnitState>& units) {
  std::string text = fmt::format("the simulation stopped at cycle {} with work left and no unit able to progress (",
                                 cycle);
  for (std::size_t i = 0; i < units.size(); ++i) {
    text += fmt::format("{}{}: {}", i > 0 ? "; " : "", units[i].unit, units[i].state);
  }
  return text + "); this is a simulator bug, please report it with the program";
}

}  // namespace

SimulationStalled::SimulationStalled(std::uint64_t cycle, const std::vector<UnitState>& units)
    : std::runtime_error(stall_message(cycle, units)) {}

}  // namespace wb::sim
