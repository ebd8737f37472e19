#pragma once
// What each instruction does to the memories (functional, no timing): the overlay's
// arithmetic as docs/quant.md defines it, written independently of compiler/golden.

#include <string>

#include "isa/hw_config.h"
#include "isa/xdnn.pb.h"
#include "sim/xdnn/memory.h"

namespace wb::sim::xdnn {

// "" when the instruction can run on this hardware with these memories, else why not
// (a region outside its memory, a bad layout, a conv the array cannot do, ...).
std::string instruction_problem(const isa::xdnn::Instr& instr, const MemorySizes& memories, const HwConfig& config);

// Performs the instruction on the memories. Throws std::runtime_error with a reason when
// the data itself is out of range (a conv reading rows its input tile does not hold).
void execute(const isa::xdnn::Instr& instr, Memories& memories);


}  // namespace wb::sim::xdnn
