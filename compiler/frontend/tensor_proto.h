#pragma once
// Conversion between ONNX TensorProto and the IR's Tensor.

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <optional>

#include "compiler/ir/tensor.h"

namespace wb {

// Maps an ONNX element type (TensorProto::DataType) to a DType; throws UserError naming
// `what` for types the workbench does not handle (string, float16, bfloat16, complex).
DType dtype_from_onnx(int onnx_type, std::string_view what);
int dtype_to_onnx(DType dtype);

// Reads the tensor's data from raw_data, the typed fields, or external data. External
// files are resolved relative to `base_dir`; without one, external data is an error.
// Every inconsistency (value count, file missing or too short) is a UserError naming the tensor.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::optional<std::filesystem::path>& base_dir);

// After raw bytes were copied into a bool tensor from a file: a byte other than 0 or 1 (no
// format allows it, a damaged file may hold it) becomes 1, so reading it as bool is defined.
void normalize_bools(Tensor& tensor);

// Writes the data as raw_data.
onnx::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name);

}  // namespace wb
