#pragma once
// What the PULP kernel tests share (test_pulp_kernels.cpp, test_softmax_kernel.cpp): calls with
// their operands placed in an L1 of their own, run, and checked to write their output alone.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/tensor.h"
#include "isa/pulp.pb.h"
#include "sim/pulp/kernels/kernels.h"

namespace wb::sim::pulp::kernel_testing {

using isa::pulp::KernelCall;
using isa::pulp::KernelKind;

inline constexpr std::uint8_t kCanary = 0xa5;

// Operands placed one after another, 4-byte aligned (the bias and partial sums are int32).
class L1Builder {
 public:
  std::uint64_t place(std::uint64_t bytes) {
    const std::uint64_t at = (end_ + 3) / 4 * 4;
    end_ = at + bytes;
    return at;
  }
  std::vector<std::uint8_t> memory() const { return std::vector<std::uint8_t>(end_ + 64, kCanary); }

 private:
  std::uint64_t end_ = 0;
};

struct ByteRange {
  std::uint64_t address, bytes;
};

// Every byte outside `writable` as it was before the call.
inline void expect_only_written(const std::vector<std::uint8_t>& before, const std::vector<std::uint8_t>& after,
                         const std::vector<ByteRange>& writable) {
  for (std::uint64_t i = 0; i < before.size(); ++i) {
    const bool may_change = std::any_of(writable.begin(), writable.end(), [&](const ByteRange& r) {
      return i >= r.address && i < r.address + r.bytes;
    });
    if (!may_change) {
      ASSERT_EQ(after[i], before[i]) << "byte " << i << " outside the output changed";
    }
  }
}

// A test means something only if the golden output is not one saturated value.
inline void expect_varied(const Tensor& y) {
  std::set<std::int64_t> values;
  for (std::int64_t i = 0; i < y.numel(); ++i) values.insert(y.as_int64(i));
  EXPECT_GE(values.size(), std::min<std::size_t>(5, static_cast<std::size_t>(y.numel()))) << "degenerate golden output";
}

// Test names from the specs' `name`, and the spec printed by it when a test fails.
template <class Spec>
std::string spec_name(const ::testing::TestParamInfo<Spec>& param_info) {
  return param_info.param.name;
}

// An elementwise call (1x1 window, stride 1) over an h x w tile of c channels, in and out.
inline KernelCall elementwise_call(KernelKind kind, std::uint32_t h, std::uint32_t w, std::uint32_t c) {
  KernelCall call;
  call.set_kind(kind);
  call.set_h_in(h);
  call.set_w_in(w);
  call.set_c_in(c);
  call.set_h_out(h);
  call.set_w_out(w);
  call.set_c_out(c);
  call.set_k_h(1);
  call.set_k_w(1);
  call.set_stride_h(1);
  call.set_stride_w(1);
  return call;
}

// A kernel call with its L1 filled in (operands and table).
struct CallInL1 {
  KernelCall call;
  std::vector<std::uint8_t> l1;
};

// Runs a well-formed call; returns its output bytes (nothing else in L1 may change).
inline std::vector<std::uint8_t> run_in_l1(CallInL1& k) {
  EXPECT_EQ(kernel_problem(k.call, k.l1.size()), "");
  const std::vector<std::uint8_t> before = k.l1;
  run_kernel(k.call, k.l1);
  const std::uint64_t bytes = std::uint64_t{k.call.h_out()} * k.call.w_out() * k.call.c_out();
  expect_only_written(before, k.l1, {{k.call.output(), bytes}});
  const auto begin = k.l1.begin() + static_cast<std::ptrdiff_t>(k.call.output());
  return {begin, begin + static_cast<std::ptrdiff_t>(bytes)};
}

// Bytes of int8 values.
inline std::vector<std::uint8_t> int8_bytes(const std::vector<int>& values) {
  std::vector<std::uint8_t> out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(v)));
  return out;
}

}  // namespace wb::sim::pulp::kernel_testing
