#pragma once
// The QGraph to and from its protobuf form (qgraph.proto), for the quantized-model cache.
// Reading checks every enum and index, so a damaged message is an error, not a graph
// that crashes the compiler later.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
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
  bool synthetic_calibration = false;
  std::string record_json;  // what quant.json records beside the graph (JSON text); "" unknown
};

// A QuantizedModel as two parts: its structure (protobuf; each tensor names its bytes by
// offset and size in the blob) and the tensors' bytes back to back, 8-byte aligned.
struct SerializedModel {
  std::string structure, blob;
};
SerializedModel serialize_quantized_model(const QuantizedModel& model);

// Fills `destination` with the blob's bytes at `offset` (offsets only increase); UserError
// when it cannot.
using BlobReader = std::function<void(std::uint64_t offset, std::span<std::byte> destination)>;

// UserError starting with `source` when the structure is not a valid QuantizedModel (or a
// tensor's range is outside the blob of `blob_bytes`).
QuantizedModel parse_quantized_model(std::string_view structure, std::uint64_t blob_bytes, const BlobReader& read_blob,
                                     std::string_view source);

}  // namespace wb::quant
