#pragma once
// The PULP compiler driver (DORY's flow): QGraph + HwConfig -> a tile program
// (isa/pulp.proto), its compile report and a tiling log. Steps, each its own unit:
//   map_layers     QGraph nodes -> PULP-NN kernels (layer_mapping.h)
//   plan_memory    L2 homes of the activations (first fit over their lifetimes; L3 when L2
//                  is full), L3 -> L2 chunks of output rows / channels, weight buffers
//                  (memory_plan.h), with the L2 -> L1 tiler per layer (tiler.h)
//   emit_network   per tile the DMA copies, kernel call and waits (emit_network.h)

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/pulp/compile_options.h"
#include "compiler/pulp/tiling_referee.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"

namespace wb::pulp {

struct CompileResult {
  isa::pulp::Network network;
  nlohmann::json report;   // per-layer tiling, L2/L3 use, predicted cycles, unsupported
  std::string tiling_log;  // DORY-style: tile sizes, buffer sizes, number of tiles, L1 occupation
};

// UserError listing every unsupported node at once, or naming the layer that does not fit
// (the constraint and the smallest L1 / L2 that would work). `referee`: what measures tiler=cost
// and energy's candidate tilings (tiling_referee.h); null, the predictor decides alone.
CompileResult compile_pulp(const quant::QGraph& graph, const HwConfig& config, const CompileOptions& options,
                           const TilingReferee* referee = nullptr);

// The tiling log of a program.
std::string tiling_log(const isa::pulp::Network& network, const HwConfig& config);

}  // namespace wb::pulp
