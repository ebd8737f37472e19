#pragma once
// KERNEL_MATMUL's functional kernel (isa/pulp.proto): the product of two activations,
// y[m][n] = requant(sum over k < c_in of a[m][k] * b(n, k)) with one requant entry and zero
// points 0, written from that contract (the simulator does not call the compiler; tests check
// it against a plain reference and compiler/golden's run_matmul checks the whole network).
// Apart from sim/pulp/kernels/kernels.cpp, which dispatches and checks the operands against L1.

#include <cstdint>
#include <span>
#include <string>

#include "isa/pulp.pb.h"

namespace wb::sim::pulp {

// The longest reduction the cores' int32 sums hold whatever the operand types: every product is
// at most 255 * 255 = 65025 in magnitude, and 33025 of them stay below 2^31.
inline constexpr std::uint32_t kMatMulMaxReduction = 33025;

// b's bytes (c_out x c_in, either layout), and the transposed copy's at `im2col` when
// matmul_b_by_rows (0 otherwise).
std::uint64_t matmul_b_bytes(const isa::pulp::KernelCall& call);
std::uint64_t matmul_scratch_bytes(const isa::pulp::KernelCall& call);

// "" or what the call's fields get wrong for a matmul: w_in or w_out other than 1, a parallel
// other than HO, a bias, a requant with more than one entry, c_in above kMatMulMaxReduction, by
// rows a scratch that overlaps a, b (unless matmul_b_transposed: b is not read) or the output,
// matmul_b_transposed without matmul_b_by_rows.
std::string matmul_call_problem(const isa::pulp::KernelCall& call);

// Runs a well-formed matmul call on the L1 bytes. With matmul_b_by_rows the transposed b is
// written to the scratch first, as the cores do, and the products read it; with
// matmul_b_transposed too, the products read the scratch as an earlier call left it.
void run_matmul_kernel(const isa::pulp::KernelCall& call, std::span<std::uint8_t> l1);

}  // namespace wb::sim::pulp
