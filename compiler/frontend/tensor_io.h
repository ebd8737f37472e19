#pragma once
// Tensor files: NumPy .npy (format 1.0-3.0, C order, little endian) and ONNX TensorProto
// .pb, chosen by extension. The .npy reader/writer is our own (no maintained C++ library
// for it is packaged in Debian); it follows numpy's format spec (numpy/lib/format.py).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir/tensor.h"
#include "isa/atomic_file.h"  // write_file_atomically

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

// Checks, before any long work and without creating anything, that the output folder `dir`
// that option `what` (e.g. "-o") names can be made: UserError naming it when it is a file or
// its nearest existing ancestor is not a writable folder.
void check_output_folder(const std::filesystem::path& dir, std::string_view what);
// Creates that folder (with the same errors).
void create_output_folder(const std::filesystem::path& dir, std::string_view what);
// Checks that output file `path` (option `what`) can be written: not a folder, its folder
// exists and is writable. UserError naming it otherwise. Writes nothing.
void check_output_file(const std::filesystem::path& path, std::string_view what);
// Checks that input file `path` (option `what`) exists and is a readable file.
void check_input_file(const std::filesystem::path& path, std::string_view what);
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace wb
