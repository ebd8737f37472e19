#pragma once
// Tensor files: NumPy .npy (format 1.0-3.0, C order, little endian) and ONNX TensorProto
// .pb, chosen by extension. The .npy reader/writer is our own (no maintained C++ library
// for it is packaged in Debian); it follows numpy's format spec (numpy/lib/format.py).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir/tensor.h"

namespace wb {

enum class TensorFileFormat { Npy, Pb };

// By extension (.npy or .pb); UserError otherwise.
TensorFileFormat tensor_format_of(const std::filesystem::path& path);

Tensor read_tensor_file(const std::filesystem::path& path);
// Writes atomically: the file appears complete or not at all.
void write_tensor_file(const std::filesystem::path& path, const Tensor& tensor, const std::string& name = "");

Tensor parse_npy(std::string_view bytes, std::string_view source_name);
// An ONNX TensorProto (a .pb file); external data is read relative to `base_dir`, and is an
// error without one.
Tensor parse_tensor_pb(std::string_view bytes, std::string_view source_name,
                       const std::optional<std::filesystem::path>& base_dir);
std::string serialize_npy(const Tensor& tensor);

}  // namespace wb
