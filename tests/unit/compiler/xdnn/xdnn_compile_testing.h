#pragma once
// Compiling a QGraph for xDNN and checking the simulation against the golden model, for the
// xDNN compiler's tests.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "compiler/golden/integer_executor.h"
#include "compiler/xdnn/compile.h"
#include "isa/xdnn_program.h"
#include "sim/xdnn/xdnn_sim.h"
#include "tests/support/quant_testing.h"

namespace wb::xdnn {

// Compiles `g`, runs it on the simulator and compares the network output and every layer
// output with the golden model's, bit for bit; returns the simulation.
// `given`: the quantized input (token ids inside their table); none: seeded over its type's range.
inline sim::xdnn::SimResult expect_bit_exact(const quant::QGraph& g, const HwConfig& hw, const CompileOptions& options = {},
                                             const Tensor* given = nullptr) {
  const Tensor x = given != nullptr ? *given : test::random_quantized(g.tensor(g.inputs[0]), 5);
  std::map<std::string, Tensor> golden;
  golden::IntegerExecutor(g).run_quantized({x}, [&](int index, const Tensor& t) { golden[g.tensor(index).name] = t; });
  const CompileResult compiled = compile_xdnn(g, hw, options);
  sim::IntTensor input{x.shape(), {}};
  for (std::int64_t i = 0; i < x.numel(); ++i) input.values.push_back(static_cast<std::int32_t>(x.as_int64(i)));
  sim::SimOptions capture;
  capture.capture_layer_outputs = true;
  sim::xdnn::SimResult r = sim::xdnn::simulate(compiled.program, hw, {input}, capture);
  const auto expect_equal = [&](const std::string& name, const sim::IntTensor& actual) {
    const Tensor& want = golden.at(name);
    ASSERT_EQ(actual.values.size(), static_cast<std::size_t>(want.numel())) << name;
    for (std::int64_t i = 0; i < want.numel(); ++i) {
      ASSERT_EQ(actual.values[static_cast<std::size_t>(i)], want.as_int64(i)) << name << " element " << i;
    }
  };
  expect_equal(g.tensor(g.outputs[0]).name, r.outputs.at(0));
  // One capture per checked output: a layer's, or a merged conv's parts (the siblings' outputs).
  std::size_t checked = 0;
  for (const auto& layer : compiled.program.layers()) checked += isa::xdnn::checked_outputs(layer).size();
  EXPECT_EQ(r.layer_outputs.size(), checked);
  for (const auto& [name, values] : r.layer_outputs) expect_equal(name, values);
  return r;
}

}  // namespace wb::xdnn
