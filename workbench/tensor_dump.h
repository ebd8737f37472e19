#pragma once
// `workbench quantize --dump`: every integer tensor of one golden-model run, one file each.

#include <filesystem>
#include <vector>

#include "compiler/golden/integer_executor.h"
#include "compiler/ir/tensor.h"

namespace wb {

// Runs on float inputs and writes every tensor the run computes (the quantised inputs
// included) as <dir>/<NNN>_<name>.npy: NNN the execution index from 000 (the inputs first),
// name the QTensor's with every character outside [A-Za-z0-9._-] replaced by '_'.
// Creates `dir`. Returns the outputs.
std::vector<Tensor> run_and_dump(const golden::IntegerExecutor& executor, const std::vector<Tensor>& float_inputs,
                                 const std::filesystem::path& dir);

}  // namespace wb
