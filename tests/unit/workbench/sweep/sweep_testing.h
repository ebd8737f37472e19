#pragma once
// Sweep specs in tests: YAML text with the checked-in tiny models and configs.

#include <filesystem>
#include <string>

#include "tests/support/test_paths.h"
#include "tests/support/user_error_testing.h"
#include "workbench/sweep/spec.h"

namespace wb::test {

// A spec parsed as if it were configs/sweeps/test.yaml (so ../v3_96.yaml resolves);
// workloads are looked up in workloads/ (tiny_resnet -> workloads/tiny_resnet/model.onnx
// does not exist: give models as paths).
inline sweep::SweepSpec parse_spec(const std::string& yaml) {
  return sweep::parse_sweep_spec(yaml, source_dir() / "configs" / "sweeps" / "test.yaml", workloads_dir());
}

// "models: [<abs path of workloads/NAME.onnx>]".
inline std::string tiny_model(const std::string& name = "tiny_resnet") {
  return (workloads_dir() / (name + ".onnx")).string();
}

}  // namespace wb::test
