#pragma once
// The QGraph to and from its protobuf form (qgraph.proto), for the quantized-model cache.
// Reading checks every enum and index, so a damaged message is an error, not a graph
// that crashes the compiler later.

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/tensor.h"
#include "compiler/quant/qgraph.h"

namespace wb::quant {

// A QGraph and the float inputs a run feeds it.
struct QuantizedModel {
  QGraph graph;
  std::vector<Tensor> float_inputs;
};

std::string serialize_quantized_model(const QuantizedModel& model);
// UserError starting with `source` when the bytes are not a valid QuantizedModel.
QuantizedModel parse_quantized_model(std::string_view bytes, std::string_view source);

}  // namespace wb::quant
