#pragma once
// The watchdog of both simulators. SystemC does not hang when no process can go on: sc_start
// returns, and the run would end early with made-up figures. Each model therefore checks, when
// sc_start returns, that all its work is done, and otherwise reports what every unit was doing.
// The ISAs cannot wait forever by construction (xDNN's flags wait for instructions already
// issued, PULP's barrier for the cores a call forked), so a stall is a bug of the model.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace wb::sim {

struct UnitState {
  std::string unit;   // "controller", "array", "core 3"
  std::string state;  // "waiting for the array (2 of 3 done) at instruction 12 (XNConv, layer 'c')"
};

// A stall: the run stopped with work left. what() names the cycle and every unit's state.
class SimulationStalled : public std::runtime_error {
 public:
  SimulationStalled(std::uint64_t cycle, const std::vector<UnitState>& units);
};

}  // namespace wb::sim
