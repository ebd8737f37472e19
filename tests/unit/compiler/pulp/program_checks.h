#pragma once
// Checks of whole PULP programs the compiler tests share: every copy inside its memories and
// every output byte written exactly once (check_program), compiled with several configs and
// both tilers (compile_everywhere), and the grouped CNN's groups.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/pulp/compile.h"
#include "compiler/quant/qgraph.h"
#include "isa/hw_config.h"
#include "isa/pulp.pb.h"
#include "tests/unit/compiler/pulp/pulp_testing.h"

namespace wb::pulp {

// Every byte of every layer's output is written exactly once by the layer's write-backs and
// L3 stores to its home, and every copy stays inside its memories (gtest failures otherwise).
void check_program(const isa::pulp::Network& network, const PulpParams& hw);

// Compiles `graph` with each config's overrides and both tilers, checks each program with
// check_program and hands it to `more`.
void compile_everywhere(const quant::QGraph& graph, const std::vector<std::vector<std::string>>& configs,
                        const std::function<void(const CompileResult&)>& more);

// The grouped layers of grouped_pulp_cnn(): input and output channels per group.
const std::map<std::string, std::pair<std::uint32_t, std::uint32_t>>& grouped_layers();

// The configs the grouped CNN is compiled and run with: whole layers in L1; 3.5 KiB of L1
// (grouped_s2's 24 filters do not fit twice: channel tiles of whole groups); 6 KiB of L2
// (tensors in L3, layers in chunks of rows staged through L2); 3200 B of L2 (weights in chunks
// of whole groups loaded from L3 as well).
const std::vector<std::vector<std::string>>& grouped_cnn_configs();

// Every grouped kernel call of a program holds whole groups of its layer.
void check_whole_groups(const isa::pulp::Network& network);

}  // namespace wb::pulp
