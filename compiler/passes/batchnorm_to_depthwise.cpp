#include "compiler/passes/batchnorm_to_depthwise.h"

#include "compiler/passes/channel_affine.h"
#include "compiler/passes/fold_batchnorm.h"

namespace wb {

bool BatchNormToDepthwisePass::run(Graph& graph, PassStatistics& stats) {
  bool changed = false;
  for (Node* bn : graph.nodes()) {
    if (bn->op != OpKind::BatchNormalization) continue;
    // Training-mode outputs (running mean/var) have no per-channel form.
    bool extra_outputs = false;
    for (std::size_t i = 1; i < bn->outputs.size(); ++i) extra_outputs = extra_outputs || bn->output(i) != nullptr;
    const Value* x = bn->input(0);
    if (extra_outputs || x == nullptr || !x->has_type() || x->dtype != DType::F32 || x->shape.size() != 4) continue;
    const std::int64_t channels = x->shape[1];
    const auto affine = batchnorm_affine(*bn, channels);
    if (!affine) continue;
    Tensor weights(DType::F32, {channels, 1, 1, 1});
    Tensor bias(DType::F32, {channels});
    for (std::int64_t c = 0; c < channels; ++c) {
      weights.data<float>()[c] = static_cast<float>(affine->scale[static_cast<std::size_t>(c)]);
      bias.data<float>()[c] = static_cast<float>(affine->shift[static_cast<std::size_t>(c)]);
    }
    Attributes attrs;
    attrs.set("kernel_shape", std::vector<std::int64_t>{1, 1});
    attrs.set("group", channels);
    attrs.set(std::string(kFoldedBatchNormAttr), std::int64_t{1});
    bn->op = OpKind::Conv;
    bn->op_type = "Conv";
    bn->attrs = attrs;
    bn->inputs = {bn->inputs[0], graph.add_constant(graph.unique_value_name(bn->name + "_scale"), std::move(weights)),
                  graph.add_constant(graph.unique_value_name(bn->name + "_shift"), std::move(bias))};
    bn->outputs.resize(1);
    stats.add("batchnorms as depthwise convs");
    changed = true;
  }
  return changed;
}

}  // namespace wb
