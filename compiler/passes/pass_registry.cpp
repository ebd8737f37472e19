#include "compiler/passes/pass_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/error.h"
#include "compiler/passes/avgpool_to_depthwise.h"
#include "compiler/passes/batched_attention.h"
#include "compiler/passes/batchnorm_to_depthwise.h"
#include "compiler/passes/canonicalize_nchw.h"
#include "compiler/passes/channel_moves_to_gather.h"
#include "compiler/passes/channels_last_blocks.h"
#include "compiler/passes/tokens_as_image.h"
#include "compiler/passes/collapse_concat.h"
#include "compiler/passes/conv_transpose_to_conv.h"
#include "compiler/passes/fold_batchnorm.h"
#include "compiler/passes/fold_constants.h"
#include "compiler/passes/fold_pad.h"
#include "compiler/passes/fuse_activation.h"
#include "compiler/passes/fuse_gelu.h"
#include "compiler/passes/hoist_matmul_scales.h"
#include "compiler/passes/fuse_layernorm.h"
#include "compiler/passes/fuse_residual_add.h"
#include "compiler/passes/gemm_to_conv.h"
#include "compiler/passes/reduce_mean_to_pool.h"
#include "compiler/passes/remove_identity.h"
#include "compiler/passes/trim_dilated_taps.h"
#include "compiler/passes/unroll_recurrence.h"

namespace wb {

const std::vector<PassInfo>& registered_passes() {
  static const std::vector<PassInfo> passes = {
#define WB_PASS(name, cls, description) PassInfo{name, description},
#include "compiler/passes/passes.def"
  };
  return passes;
}

std::string format_registered_passes() {
  std::string text;
  for (const PassInfo& info : registered_passes()) text += fmt::format("{:<22} {}\n", info.name, info.description);
  return text + fmt::format("\ndefault pipeline: {}\n", kDefaultPipeline);
}

std::unique_ptr<Pass> create_pass(std::string_view name) {
#define WB_PASS(pass_name, cls, description) \
  if (name == pass_name) return std::make_unique<cls>();
#include "compiler/passes/passes.def"
  std::vector<std::string_view> known;
  for (const auto& info : registered_passes()) known.push_back(info.name);
  throw UserError(fmt::format("unknown pass '{}'; the passes are: {}", name, fmt::join(known, ", ")));
}

}  // namespace wb
