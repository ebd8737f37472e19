// The ONNX TensorProto reader (compiler/frontend/tensor_files.h, parse_tensor_pb; the .pb files
// of --input, --calib and ONNX's test data), without a base folder so external data is an
// error and no file is read. A tensor that parses must come back unchanged through
// tensor_to_proto.

#include <cstdint>
#include <cstring>
#include <optional>

#include "compiler/frontend/tensor_files.h"
#include "compiler/frontend/tensor_proto.h"
#include "support/error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const wb::Tensor tensor = wb::parse_tensor_pb(wb::fuzz::as_text(data, size), "fuzz.pb", std::nullopt);
    const wb::Tensor again = wb::tensor_from_proto(wb::tensor_to_proto(tensor, "t"), std::nullopt);
    if (again.dtype() != tensor.dtype() || again.shape() != tensor.shape() || again.nbytes() != tensor.nbytes() ||
        (tensor.nbytes() > 0 && std::memcmp(again.raw(), tensor.raw(), tensor.nbytes()) != 0)) {
      wb::fuzz::invariant_failed("tensor_from_proto(tensor_to_proto(x)) is not the same tensor");
    }
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  return 0;
}
