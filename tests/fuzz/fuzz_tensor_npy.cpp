// The .npy reader (compiler/frontend/tensor_files.h, parse_npy), as --input, --calib and verify
// read tensor files. A tensor that parses must come back unchanged through serialize_npy.

#include <cstdint>
#include <cstring>

#include "compiler/frontend/tensor_files.h"
#include "support/error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const wb::Tensor tensor = wb::parse_npy(wb::fuzz::as_text(data, size), "fuzz.npy");
    const wb::Tensor again = wb::parse_npy(wb::serialize_npy(tensor), "written.npy");
    if (again.dtype() != tensor.dtype() || again.shape() != tensor.shape() || again.nbytes() != tensor.nbytes() ||
        (tensor.nbytes() > 0 && std::memcmp(again.raw(), tensor.raw(), tensor.nbytes()) != 0)) {
      wb::fuzz::invariant_failed("serialize_npy(parse_npy(x)) does not parse back to the same tensor");
    }
  } catch (const wb::UserError& e) {
    wb::fuzz::ignore(e);
  }
  return 0;
}
