#pragma once
// Creating passes by their pipeline names (the list is passes.def).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/passes/pass.h"

namespace wb {

struct PassInfo {
  std::string_view name;
  std::string_view description;
};

// Every registered pass, in passes.def order.
const std::vector<PassInfo>& registered_passes();

// `workbench passes`: a line per pass (its name and what it does), then the default pipeline.
std::string format_registered_passes();

// UserError naming the unknown pass and listing the known ones.
std::unique_ptr<Pass> create_pass(std::string_view name);

// The float-graph canonicalisation every flow starts with.
inline constexpr std::string_view kDefaultPipeline =
    "fold-constants,unroll-recurrence,remove-identity,fuse-layernorm,fuse-rmsnorm,fuse-gelu,hoist-matmul-scales,channels-last-blocks,batched-attention,tokens-as-image,reduce-mean-to-pool,canonicalize-nchw,channel-moves-to-gather,conv-transpose-to-conv,fold-pad,trim-dilated-taps,fold-batchnorm,batchnorm-to-depthwise,fuse-residual-add,fuse-activation,collapse-concat,"
    "gemm-to-conv";

}  // namespace wb
