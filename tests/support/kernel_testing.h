#pragma once
// Running a small model through the reference executor in kernel tests.

#include <vector>

#include "compiler/frontend/onnx_import.h"
#include "compiler/golden/reference_executor.h"
#include "tests/support/onnx_builder.h"

namespace wb::test {

// Imports the built model and returns its first output for `inputs`.
inline Tensor run_one(const OnnxBuilder& b, const std::vector<Tensor>& inputs) {
  const ImportedModel m = import_onnx_model(b.proto(), std::nullopt);
  return ReferenceExecutor(m.graph).run(inputs)[0];
}

template <class T>
std::vector<T> values(const Tensor& t) {
  return {t.span<T>().begin(), t.span<T>().end()};
}

}  // namespace wb::test
