// Speed of the cluster model's core engine (sim/pulp/cores/core_engine.h): operations per second it
// runs with 8 cores on the programs of typical matmul calls, and how long building those
// programs takes. Not a test: run it by hand and record the figures in BENCHMARKS.md.
//   bench_core_engine [--runs N]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "sim/pulp/cores/core_engine.h"
#include "sim/pulp/programs/kernel_programs.h"

namespace {

using wb::sim::pulp::CoreProgram;

// A well-formed matmul-family call on 16 banks' worth of L1, operands one after another.
wb::isa::pulp::KernelCall bench_call(wb::isa::pulp::KernelKind kind, std::uint32_t hw, std::uint32_t c_in,
                                     std::uint32_t c_out, std::uint32_t k, int cores) {
  wb::isa::pulp::KernelCall c;
  c.set_kind(kind);
  c.set_parallel(wb::isa::pulp::PARALLEL_HO);
  const std::uint32_t pad = k / 2;
  c.set_h_in(hw);
  c.set_w_in(hw);
  c.set_c_in(c_in);
  c.set_h_out(hw);
  c.set_w_out(hw);
  c.set_c_out(c_out);
  c.set_k_h(k);
  c.set_k_w(k);
  c.set_stride_h(1);
  c.set_stride_w(1);
  c.set_pad_top(pad);
  c.set_pad_bottom(pad);
  c.set_pad_left(pad);
  c.set_pad_right(pad);
  c.set_has_bias(true);
  const std::uint64_t kdim = std::uint64_t{k} * k * c_in;
  std::uint64_t at = 0;
  const auto place = [&](std::uint64_t bytes) {
    const std::uint64_t here = at;
    at += (bytes + 3) / 4 * 4;
    return here;
  };
  c.set_input(place(std::uint64_t{hw} * hw * c_in));
  c.set_output(place(std::uint64_t{hw} * hw * c_out));
  c.set_weights(place(c_out * kdim));
  c.set_bias(place(4 * std::uint64_t{c_out}));
  c.set_im2col(place(2 * kdim * static_cast<std::uint64_t>(cores)));
  for (std::uint32_t ch = 0; ch < c_out; ++ch) {
    c.mutable_requant()->add_multiplier(1);
    c.mutable_requant()->add_offset(0);
  }
  c.mutable_requant()->add_shift(8);
  c.mutable_requant()->set_hi(255);
  return c;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::stoi(argv[++i]);
  }
  constexpr int cores = 8;
  struct Case {
    const char* name;
    wb::isa::pulp::KernelCall call;
    std::uint64_t macs;
  };
  const std::vector<Case> cases = {
      {"conv 3x3 16x16x32->32", bench_call(wb::isa::pulp::KERNEL_CONV, 16, 32, 32, 3, cores), 16ull * 16 * 32 * 9 * 32},
      {"pointwise 16x16x64->64", bench_call(wb::isa::pulp::KERNEL_POINTWISE, 16, 64, 64, 1, cores), 16ull * 16 * 64 * 64},
      {"conv 3x3 8x8x3->16 (misaligned)", bench_call(wb::isa::pulp::KERNEL_CONV, 8, 3, 16, 3, cores), 8ull * 8 * 3 * 9 * 16},
  };
  const wb::sim::pulp::CorePipeline pipeline;
  fmt::print("{:<34} {:>10} {:>10} {:>9} {:>9} {:>12} {:>12}\n", "call", "ops", "cycles", "MAC/cyc", "conflicts",
             "build Mop/s", "engine Mop/s");
  for (const Case& c : cases) {
    double build = 1e30, engine = 1e30;
    std::uint64_t ops = 0;
    wb::sim::pulp::CallRun run;
    for (int r = 0; r < runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<CoreProgram> programs;
      for (int core = 0; core < cores; ++core) programs.push_back(wb::sim::pulp::kernel_program(c.call, core, cores));
      build = std::min(build, seconds_since(t0));
      ops = 0;
      for (const CoreProgram& p : programs) ops += p.size();
      t0 = std::chrono::steady_clock::now();
      run = wb::sim::pulp::run_call(programs, 16, pipeline);
      engine = std::min(engine, seconds_since(t0));
    }
    std::uint64_t conflicts = 0;
    for (const auto& core : run.cores) conflicts = std::max(conflicts, core.bank_conflict_cycles);
    fmt::print("{:<34} {:>10} {:>10} {:>9.2f} {:>9} {:>12.1f} {:>12.1f}\n", c.name, ops, run.cycles,
               static_cast<double>(c.macs) / static_cast<double>(run.cycles), conflicts, ops / build / 1e6,
               ops / engine / 1e6);
  }
  return 0;
}
