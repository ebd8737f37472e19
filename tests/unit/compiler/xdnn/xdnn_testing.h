#pragma once
// Shared by the xDNN compiler tests: configs and a quantized small CNN.

#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "tests/support/cli_testing.h"
#include "tests/support/test_paths.h"
#include "tests/support/quant_testing.h"

namespace wb::test {

inline HwConfig xdnn_config(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return load_hw_config(source_dir() / "configs" / (name + ".yaml"), overrides);
}

// small_cnn() quantized with the xdnn scheme (conv+pool, two branches, concat, residual add,
// global average pool, FC).
inline const quant::QGraph& small_cnn_xdnn() {
  static const quant::QGraph graph = [] {
    quant::QuantizeOptions options;
    options.scheme = quant::Scheme::Xdnn;
    return quantize_model(small_cnn(), options).qgraph;
  }();
  return graph;
}

}  // namespace wb::test
