#pragma once
// ONNX import: ModelProto (opsets 1..17; real models use 6..17) -> Graph in canonical
// form (docs/ir.md).
//
// Old operator signatures (Pad, Clip, BatchNormalization, legacy broadcasting, Softmax
// before opset 13, Upsample, Resize-10, ...) are rewritten into the opset-17 form, so
// everything after the frontend sees one version of each op. Shapes are inferred while
// importing. Models using ops or op variants the workbench cannot run are rejected with
// every such node listed at once.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/frontend/input_shapes.h"
#include "compiler/ir/graph.h"

namespace wb {

constexpr std::int64_t kMinOpset = 1;
constexpr std::int64_t kMaxOpset = 17;

struct UnsupportedNode {
  std::string name;
  std::string op_type;
  std::string reason;  // empty when the op itself is unknown; else what about it is unsupported
  // Non-empty when it fails only because an input comes from the unsupported node named here
  // (its shape unknown): a consequence, which errors count but do not list as a cause.
  std::string follows;
};

struct ImportOptions {
  // Keep unsupported nodes as OpKind::Unsupported instead of failing (for `inspect`).
  bool allow_unsupported = false;
  // The graph inputs' shapes as the user gives them (input_shapes.h): by `--shape` and by the
  // `--input` files. A symbolic dimension without one is an error (a batch dimension: 1 and a note).
  std::vector<GivenShape> given_shapes;
  std::vector<GivenShape> input_file_shapes;
};

struct ImportedModel {
  Graph graph;
  std::vector<UnsupportedNode> unsupported;
  std::int64_t ir_version = 0;
  std::string producer;  // producer_name and version, as the model records them
  std::map<std::string, std::string> metadata;  // the model's metadata_props
  std::vector<ResolvedInput> inputs;            // each graph input: declared, the shape used and why
  std::vector<std::string> notes;               // one line each: a symbolic batch dimension taken as 1
};

// Reads and imports a model file. Every problem with the file is a UserError naming it.
ImportedModel import_onnx_file(const std::filesystem::path& path, const ImportOptions& options = {});

// Imports an already parsed model; external data is resolved relative to `base_dir`.
ImportedModel import_onnx_model(const onnx::ModelProto& model, const std::optional<std::filesystem::path>& base_dir,
                                const ImportOptions& options = {});

// "2 unsupported nodes: 'a' (Shape), 'b' (Resize: mode 'cubic')": the root causes, and how
// many nodes failed only because they read one.
std::string format_unsupported(const std::vector<UnsupportedNode>& nodes);

}  // namespace wb
