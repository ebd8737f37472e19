#pragma once
// The inputs a run feeds its model: `--input` files (NAME=PATH, or PATH for the graph's inputs
// in their order), read and checked against the graph's inputs before anything is quantized;
// their shapes are what a model's symbolic dimensions take (compiler/frontend/input_shapes.h).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/frontend/input_shapes.h"
#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"

namespace wb {

// One `--input`.
struct InputFile {
  std::string input;  // the graph input's name; empty: the next input no name took, in the graph's order
  std::filesystem::path path;

  bool operator==(const InputFile&) const = default;
  // "NAME=PATH" as given, or "PATH": how messages name it.
  std::string option() const;
};
using InputFiles = std::vector<InputFile>;

// "NAME=PATH" or "PATH". A text that names an existing file is that file, even with an '='.
InputFile parse_input_option(const std::string& text);

// Reads every file (UserError naming it when missing, unreadable, not a tensor file, holding
// NaN or Inf): its shape for the importer, tagged "--input ...".
std::vector<GivenShape> input_file_shapes(const InputFiles& files);

// A graph input as a run feeds it: its name, the shape and element type of the tensor the
// user gives (float32 for an image or embeddings: the float model's).
struct RunInputSpec {
  std::string name;
  Shape shape;
  DType dtype = DType::F32;
};
// Token ids (QTensor::token_ids) are int64, as torch exports them.
RunInputSpec run_input_spec(const quant::QTensor& input);

// The files' tensors in the order of `inputs`, each checked against its input's shape and
// type. UserError naming the file and what to give otherwise, or for an input no file was
// given for (every input needs one when any is given).
std::vector<Tensor> read_input_files(const InputFiles& files, const std::vector<RunInputSpec>& inputs);

// How the report names each input's data: "--input NAME=PATH", "seeded N(0,1), seed S", or for
// token ids (quant::QTensor::token_ids) "seeded token ids inside their table, seed S".
std::vector<std::string> input_sources(const InputFiles& files, const std::vector<quant::QTensor>& inputs,
                                       std::uint64_t seed);

}  // namespace wb
