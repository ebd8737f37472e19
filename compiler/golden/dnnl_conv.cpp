// oneDNN picks each convolution's layouts ("any", NHWC on AVX-512 machines) except 1x1 ones;
// activations are reordered in and out around the primitive (the executor's tensors stay
// NCHW), weights once per executor. Direct algorithm only: Winograd would change the numerics.

#include "compiler/golden/dnnl_conv.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>

#include "compiler/golden/kernels.h"

namespace wb::golden {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

enum Scratch : std::size_t { kSrc = 0, kDst = 1, kWeights = 2 };

struct ConvPlan final : KernelCache::Entry {
  // What the plan was made for; any change (new input shape, new weights) remakes it.
  Conv2D conv;
  bool has_bias = false;
  FusedActivation activation;
  const float* weights_source = nullptr;  // set when `weights` holds its reordered copy

  bool supported = false;  // false: oneDNN has no implementation, use the loops
  dnnl::stream stream;
  dnnl::convolution_forward primitive;
  memory::desc user_src, user_weights, user_dst, bias_md;
  memory::desc src_md, weights_md, dst_md;
  std::optional<dnnl::reorder> src_reorder, weights_reorder, dst_reorder;
  memory weights;  // weights in weights_md (constant weights only)

  bool matches(const Conv2D& c, bool bias, const FusedActivation& act, const float* w, bool weights_constant) const {
    return conv == c && has_bias == bias && activation.kind == act.kind && activation.min == act.min &&
           activation.max == act.max && weights_source == (weights_constant ? w : nullptr);
  }
};

std::optional<dnnl::reorder> reorder_if_needed(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  return dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to));
}

// oneDNN takes read-only inputs through non-const handles; it never writes to them.
memory wrap(const memory::desc& md, const float* data) { return memory(md, cpu_engine(), const_cast<float*>(data)); }

std::unique_ptr<ConvPlan> make_plan(const Conv2D& c, const float* w, bool weights_constant, bool has_bias,
                                    const FusedActivation& activation) {
  auto plan = std::make_unique<ConvPlan>();
  plan->conv = c;
  plan->has_bias = has_bias;
  plan->activation = activation;
  const memory::dims src_dims{c.batch, c.in_channels, c.in_h, c.in_w};
  const memory::dims dst_dims{c.batch, c.out_channels, c.out_h, c.out_w};
  const bool grouped = c.group > 1;
  const memory::dims weight_dims =
      grouped ? memory::dims{c.group, c.group_out_channels(), c.group_in_channels(), c.kernel_h, c.kernel_w}
              : memory::dims{c.out_channels, c.in_channels, c.kernel_h, c.kernel_w};
  const auto f32 = memory::data_type::f32;
  plan->user_src = memory::desc(src_dims, f32, Tag::nchw);
  plan->user_dst = memory::desc(dst_dims, f32, Tag::nchw);
  plan->user_weights = memory::desc(weight_dims, f32, grouped ? Tag::goihw : Tag::oihw);
  if (has_bias) plan->bias_md = memory::desc({c.out_channels}, f32, Tag::a);

  dnnl::primitive_attr attr;
  if (activation.kind != FusedActivation::Kind::None) {
    dnnl::post_ops ops;
    if (activation.kind == FusedActivation::Kind::Relu) {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    } else {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, activation.min, activation.max);
    }
    attr.set_post_ops(ops);
  }
  // A 1x1 convolution on NCHW is a plain GEMM (weights times the image as a C x HW matrix),
  // which beats reordering its input and output to use oneDNN's NHWC kernels (ResNet-50:
  // 23 ms instead of 26 per run); larger windows gain from the reorders.
  const bool pointwise = c.kernel_h == 1 && c.kernel_w == 1;
  std::optional<dnnl::convolution_forward::primitive_desc> pd;
  for (const Tag activations : {pointwise ? Tag::nchw : Tag::any, Tag::any}) {
    try {
      // oneDNN's dilation counts the gaps between taps (ONNX's minus one).
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
          memory::desc(src_dims, f32, activations), memory::desc(weight_dims, f32, Tag::any), plan->bias_md,
          memory::desc(dst_dims, f32, activations), {c.stride_h, c.stride_w}, {c.dilation_h - 1, c.dilation_w - 1},
          {c.pad_top, c.pad_left}, {c.pad_bottom, c.pad_right});
      pd.emplace(desc, attr, cpu_engine());
      break;
    } catch (const dnnl::error&) {
      // unimplemented for these layouts (or at all): try the next, then the caller's loops
    }
  }
  if (!pd) return plan;
  plan->primitive = dnnl::convolution_forward(*pd);
  plan->src_md = pd->src_desc();
  plan->weights_md = pd->weights_desc();
  plan->dst_md = pd->dst_desc();
  plan->stream = dnnl::stream(cpu_engine());
  plan->src_reorder = reorder_if_needed(plan->user_src, plan->src_md);
  plan->weights_reorder = reorder_if_needed(plan->user_weights, plan->weights_md);
  plan->dst_reorder = reorder_if_needed(plan->dst_md, plan->user_dst);
  if (weights_constant) {
    if (plan->weights_reorder) {
      plan->weights = memory(plan->weights_md, cpu_engine());
      memory user_weights = wrap(plan->user_weights, w);
      plan->weights_reorder->execute(plan->stream, user_weights, plan->weights);
      plan->stream.wait();
    } else {
      plan->weights = wrap(plan->user_weights, w);
    }
    plan->weights_source = w;
  }
  plan->supported = true;
  return plan;
}

void execute(ConvPlan& plan, KernelCache& cache, const float* x, const float* w, const float* bias, float* y) {
  const dnnl::engine& engine = cpu_engine();
  dnnl::stream& stream = plan.stream;
  memory src = wrap(plan.user_src, x);
  if (plan.src_reorder) {
    memory blocked(plan.src_md, engine, cache.scratch(kSrc, plan.src_md.get_size()));
    plan.src_reorder->execute(stream, src, blocked);
    src = blocked;
  }
  memory weights = plan.weights;
  if (plan.weights_source == nullptr) {  // weights computed at run time
    weights = wrap(plan.user_weights, w);
    if (plan.weights_reorder) {
      memory blocked(plan.weights_md, engine, cache.scratch(kWeights, plan.weights_md.get_size()));
      plan.weights_reorder->execute(stream, weights, blocked);
      weights = blocked;
    }
  }
  memory user_dst(plan.user_dst, engine, y);
  memory dst = plan.dst_reorder ? memory(plan.dst_md, engine, cache.scratch(kDst, plan.dst_md.get_size())) : user_dst;
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(plan.bias_md, bias));
  plan.primitive.execute(stream, args);
  if (plan.dst_reorder) plan.dst_reorder->execute(stream, dst, user_dst);
  stream.wait();
}

}  // namespace

bool dnnl_conv_f32(const Node& node, const Conv2D& conv, const float* x, const float* w, bool weights_constant,
                   const float* bias, const FusedActivation& activation, float* y) {
  std::optional<KernelCache> local;  // a kernel called outside an executor prepares and drops its plan
  KernelCache* running = current_kernel_cache();
  KernelCache& cache = running != nullptr ? *running : local.emplace();
  const std::lock_guard lock(cache.mutex());
  std::unique_ptr<KernelCache::Entry>& entry = cache.entry(node);
  auto* plan = dynamic_cast<ConvPlan*>(entry.get());
  if (plan == nullptr || !plan->matches(conv, bias != nullptr, activation, w, weights_constant)) {
    entry.reset();  // drop the old reordered weights before making the new ones
    entry = make_plan(conv, w, weights_constant, bias != nullptr, activation);
    plan = static_cast<ConvPlan*>(entry.get());
  }
  if (!plan->supported) return false;
  execute(*plan, cache, x, w, bias, y);
  return true;
}

}  // namespace wb::golden
