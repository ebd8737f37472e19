#pragma once
// The shapes of a model's graph inputs: what the model declares (sizes, or symbols such as
// 'batch', 'h', 'seq' for dimensions exported as dynamic), resolved against the shapes the
// user gives (`--shape NAME=1x3x224x224`, an `--input` file's shape). A shape is never
// guessed: a symbolic dimension takes the size given for it; without one, only a batch
// dimension (the first of an input of rank 2 or more) becomes 1, with a note naming it, and
// any other is a UserError naming the input, the dimension and both ways to give it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/tensor.h"

namespace wb {

// A graph input's shape as the user gave it.
struct GivenShape {
  std::string input;   // the graph input's name; empty: the graph's inputs in their order
  Shape shape;
  std::string source;  // what gave it, for messages: "--shape x=1x3x32x32", "--input a.npy"
  // A file's element type, checked when the model is imported against what a run feeds that
  // input (run_input_dtype); none for a --shape.
  std::optional<DType> dtype = std::nullopt;

  bool operator==(const GivenShape&) const = default;
};

// The element type a run feeds a graph input of `declared` type: int64 token ids for an
// integer input (as torch exports them), else float32 (the float model's).
DType run_input_dtype(DType declared);
// "" when a file of `given` element type can feed a graph input of `declared` type, else the
// refusal naming both ("--input a.npy: holds f64 of shape [1,3], but graph input 'x' takes f32 of shape [1,3]").
std::string given_dtype_problem(const GivenShape& given, const std::string& input, DType declared);

// "1x3x224x224" (also "1,3,224,224") -> {1, 3, 224, 224}. UserError naming `source` for an
// empty, negative or non-numeric size.
Shape parse_shape_text(std::string_view text, std::string_view source);
// "NAME=1x3x224x224" (the `--shape` option) -> a GivenShape by name.
GivenShape parse_shape_option(std::string_view text);

// One dimension as the model declares it: a size, or a symbol ("" when the model names it
// neither way).
struct DeclaredDim {
  std::optional<std::int64_t> size;
  std::string symbol;
};
// "[batch,3,h,w]": sizes as numbers, symbols by name, unnamed unknowns as '?'.
std::string format_declared(const std::vector<DeclaredDim>& dims);

// A graph input as the model declares it and as it is run.
struct ResolvedInput {
  std::string name;
  std::string declared;  // format_declared of the model's dimensions
  Shape shape;           // the sizes used
  std::string source;    // "model", or the GivenShape's source, or "batch 1" (the note's case)
};

// Resolves one input's dimensions against the shape given for it (nullptr: none). Appends a
// note for each symbolic batch dimension taken as 1.
ResolvedInput resolve_input_shape(const std::string& input, const std::vector<DeclaredDim>& declared,
                                  const GivenShape* given, std::vector<std::string>& notes);

// Binds the shapes given by `--shape` and by `--input` files to the graph's inputs: each kind by
// name first, then the unnamed ones to the inputs left, in the graph's order. The result has
// one entry per input, nullptr where nothing was given. UserError for a name the graph does
// not have (with the nearest one), more of a kind than inputs, two of one kind for an
// input, or a file whose shape is not the --shape given for its input.
std::vector<const GivenShape*> bind_given_shapes(const std::vector<std::string>& inputs,
                                                 const std::vector<GivenShape>& shapes,
                                                 const std::vector<GivenShape>& files);

}  // namespace wb
