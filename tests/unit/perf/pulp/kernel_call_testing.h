#pragma once
// Kernel calls the predictor's tests build by hand.

#include <cstdint>

#include "isa/pulp.pb.h"

namespace wb::perf::pulp::testing_calls {

// An elementwise add over a side x side x side tile (1x1 window, stride 1).
inline isa::pulp::KernelCall cube_add(std::uint32_t side) {
  isa::pulp::KernelCall call;
  call.set_kind(isa::pulp::KERNEL_ADD);
  call.set_h_in(side);
  call.set_w_in(side);
  call.set_c_in(side);
  call.set_h_out(side);
  call.set_w_out(side);
  call.set_c_out(side);
  call.set_k_h(1);
  call.set_k_w(1);
  call.set_stride_h(1);
  call.set_stride_w(1);
  return call;
}

}  // namespace wb::perf::pulp::testing_calls
