#pragma once
// Writes a QGraph as a standard ONNX model in QDQ form (opset 13; docs/quant.md, "Files
// written"), loadable by any ONNX tool and by our frontend.

#include <string>

#include "compiler/quant/qgraph.h"

namespace wb::quant {

inline constexpr int kQdqOpset = 13;
inline constexpr const char* kSchemeMetadataKey = "wb.scheme";
inline constexpr const char* kVersionMetadataKey = "wb.quant_version";

// The serialized ModelProto. UserError if a tensor is 16-bit (QuantizeLinear before opset 21
// has no int16).
std::string export_qdq_model(const QGraph& graph);

}  // namespace wb::quant
