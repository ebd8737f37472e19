// ONNX import as `workbench compile` runs it on a float model: the bytes parsed as a
// ModelProto (import_onnx_file's checks), imported with shape inference, the constants
// checked, then the pow2 scheme's pass pipeline (kDefaultPipeline without fuse-residual-add,
// plus avgpool-to-depthwise: every pass any scheme runs).

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>

#include "compiler/frontend/onnx_import.h"
#include "compiler/passes/pass_manager.h"
#include "compiler/quant/quantizer.h"
#include "support/error.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// Shape inference has given every value its static shape; a graph holding a tensor larger
// than this would make the constant folder allocate it, which is slow and not what we look for.
constexpr std::int64_t kMaxValueBytes = std::int64_t{16} << 20;

bool small_enough(const wb::Graph& graph) {
  for (const wb::Value* value : graph.values()) {
    if (!value->has_type()) continue;
    std::int64_t bytes = static_cast<std::int64_t>(wb::dtype_size(value->dtype));
    for (const std::int64_t dim : value->shape) {
      if (dim < 0 || (dim != 0 && bytes > kMaxValueBytes / dim)) return false;
      bytes *= dim;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!model.has_graph() || model.ir_version() <= 0) return 0;
  try {
    // No base folder: external data is a UserError, and the fuzzer reads no files.
    wb::ImportedModel imported = wb::import_onnx_model(model, std::nullopt);
    if (!small_enough(imported.graph)) return 0;
    wb::quant::check_finite_constants(imported.graph);
    wb::PassManagerOptions options;
    options.print_stream = &wb::fuzz::null_stream();
    wb::PassManager::from_pipeline(wb::quant::quantization_pipeline(wb::quant::Scheme::Pow2), options)
        .run(imported.graph);
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  return 0;
}
