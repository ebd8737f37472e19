#pragma once
// Emission, the compiler's last step: the program of a scheduled, allocated network. Packs
// the convs' weights (weight_packing.h), chooses the blocks to stage in AM (weight_staging.h),
// emits the instructions with DDR homes placed as they are needed (emit_instructions.h,
// ddr_layout.h), and adds the network's inputs and outputs, the weight blob and the DDR
// footprint.
//
// Pre: a schedule and an allocation of the plan. Post: a complete Program, its header left
// to the caller (the hw fingerprint, the model, the options).

#include "compiler/xdnn/emit_instructions.h"

namespace wb::xdnn {

EmittedProgram emit_program(const EmitInputs& inputs);

}  // namespace wb::xdnn
