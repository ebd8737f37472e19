// QDQ import (compiler/quant/qdq_import.h) as `workbench compile` reads an already quantized
// model: the bytes imported as an ONNX model, and if it holds QDQ nodes, rebuilt as a QGraph
// with the scheme its metadata names (else xdnn). A QGraph that imports is exported again as
// model.qdq.onnx is; the importer promises that a model we wrote comes back identical, so the
// exported model must import to the same QGraph (compared in print_qgraph's text form).

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/qdq_export.h"
#include "compiler/quant/qdq_import.h"
#include "compiler/quant/qgraph.h"
#include "support/error.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::optional<wb::quant::QGraph> import_qdq(const void* data, std::size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return std::nullopt;
  if (!model.has_graph() || model.ir_version() <= 0) return std::nullopt;
  const wb::ImportedModel imported = wb::import_onnx_model(model, std::nullopt);
  if (!wb::quant::is_qdq_graph(imported.graph)) return std::nullopt;
  wb::quant::Scheme scheme = wb::quant::Scheme::Xdnn;
  if (const auto it = imported.metadata.find(wb::quant::kSchemeMetadataKey); it != imported.metadata.end()) {
    scheme = wb::quant::parse_scheme(it->second);
  }
  return wb::quant::import_qdq_graph(imported.graph, scheme);
}

std::string text_of(const wb::quant::QGraph& graph) {
  std::ostringstream text;
  wb::quant::print_qgraph(text, graph);
  return text.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<wb::quant::QGraph> graph;
  try {
    graph = import_qdq(data, size);
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  if (!graph) return 0;
  std::string exported;
  try {
    exported = wb::quant::export_qdq_model(*graph);
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
    return 0;  // 16-bit tensors: QDQ before opset 21 cannot hold them (documented)
  }
  std::optional<wb::quant::QGraph> again;
  try {
    again = import_qdq(exported.data(), exported.size());
  } catch (const wb::UserError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    wb::fuzz::invariant_failed("a model export_qdq_model wrote does not import");
  }
  // ONNX requires a graph name: export_qdq_model names an unnamed QGraph "quantized".
  if (again && graph->name.empty() && again->name == "quantized") again->name.clear();
  if (!again || text_of(*again) != text_of(*graph)) {
    wb::fuzz::invariant_failed("a model export_qdq_model wrote imports to another QGraph");
  }
  return 0;
}
