#include "compiler/passes/tokens_as_image.h"

#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "compiler/golden/kernels.h"
#include "compiler/ir/op_kind.h"
#include "compiler/ir/shape_inference.h"
#include "compiler/ir/token_layout.h"
#include "compiler/passes/pixel_moves.h"
#include "compiler/passes/rewrite.h"

namespace wb {
namespace {

using Ints = std::vector<std::int64_t>;

// A token sequence's sizes, read off its image [1, C, H, W]: T = H W pixels of C features (a
// token sequence's image has H = 1; a channels-last stage's [1, H, W, C] is its image's pixels).
struct Tokens {
  std::int64_t count = 0;     // T
  std::int64_t features = 0;  // C
};

Tokens tokens_of(const Value* image) { return {image->shape[2] * image->shape[3], image->shape[1]}; }

// torch's layouts of T tokens of C features, all row-major [T, C] in memory (batch 1).
bool is_token_layout(const Shape& shape, Tokens t) {
  return shape == Shape{1, t.count, t.features} || shape == Shape{t.count, 1, t.features} ||
         shape == Shape{t.count, t.features};
}

// Swin's windows of tokens, [nW, L, C] with nW L = T: row-major [T, C] too, window-major.
bool is_windowed_layout(const Shape& shape, Tokens t) {
  return shape.size() == 3 && shape[2] == t.features && shape[0] * shape[1] == t.count;
}

// A channels-last stage's value [1, H, W, C] of the image [1, C, H, W].
bool is_nhwc_of(const Shape& shape, const Shape& image) {
  return shape.size() == 4 && image.size() == 4 && shape == Shape{image[0], image[2], image[3], image[1]};
}

// The axis of `shape` (a token layout) holding the tokens.
std::int64_t token_axis(const Shape& shape) { return shape.size() == 3 && shape[0] == 1 ? 1 : 0; }

// A Transpose that moves only axes of size 1: the data keeps its order.
bool keeps_row_major(const Node& transpose) {
  const Shape& in = transpose.input(0)->shape;
  std::int64_t last = -1;
  for (const std::int64_t axis : transpose.attrs.get_ints("perm")) {
    if (axis < 0 || axis >= static_cast<std::int64_t>(in.size())) return false;
    if (in[static_cast<std::size_t>(axis)] == 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

bool is_f32_constant(const Tensor* c) { return c != nullptr && c->dtype() == DType::F32; }

// Whether reading the image `x` [1, C, H, W] through `chain` (Reshapes and Transposes, in the
// order they run) gives its elements in HWC order: element k of the result is pixel k / C's
// channel k % C. Each element's own NCHW index goes through the chain's reference kernels.
bool reads_in_hwc_order(const Value& x, const std::vector<const Node*>& chain) {
  const std::int64_t channels = x.shape[1], pixels = x.shape[2] * x.shape[3];
  std::vector<std::int64_t> nchw(static_cast<std::size_t>(channels * pixels));
  std::iota(nchw.begin(), nchw.end(), 0);
  Tensor order = Tensor::from_vector<std::int64_t>(x.shape, nchw);
  for (const Node* node : chain) {
    if (node->op == OpKind::Transpose) {
      std::vector<Tensor> moved;
      moved.emplace_back(DType::I64, node->output(0)->shape);
      const std::array<const Tensor*, 1> in{&order};
      golden::kernel_for(OpKind::Transpose)(*node, in, moved);
      order = std::move(moved[0]);
    } else {
      order = order.reshaped(node->output(0)->shape);
    }
  }
  for (std::int64_t k = 0; k < channels * pixels; ++k) {
    if (order.as_int64(k) != (k % channels) * pixels + k / channels) return false;
  }
  return true;
}

class TokenRewriter {
 public:
  TokenRewriter(Graph& graph, PassStatistics& stats) : graph_(graph), stats_(stats) {}

  bool run() {
    const std::vector<Node*> order = graph_.topological_order();  // before the seeds' view nodes
    seed_inputs();
    for (Node* node : order) {
      if (!rewrite_node(*node)) continue;
      replaced_.push_back(node);
    }
    if (replaced_.empty()) {
      drop_unread_seeds();
      return false;
    }
    finish();
    drop_unread_seeds();
    return true;
  }

 private:
  // ---- building blocks ---------------------------------------------------------------------
  Value* emit(OpKind op, const std::string& name, std::vector<Value*> inputs, Attributes attrs = {}) {
    Value* out = graph_.add_value(graph_.unique_value_name(name + "_image"));
    Node* node = graph_.add_node(op, name, std::move(inputs), {out});
    node->attrs = std::move(attrs);
    if (!infer_node(*node) || !out->has_type()) {
      throw std::logic_error("tokens-as-image: no shape for the new node " + name);
    }
    return out;
  }
  Value* constant(const std::string& name, Tensor data) {
    return graph_.add_constant(graph_.unique_value_name(name), std::move(data));
  }
  Value* shape_constant(const std::string& name, const Ints& dims) {
    return constant(name + "_shape", Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
  }
  Value* reshape(const std::string& name, Value* x, const Ints& dims) {
    return emit(OpKind::Reshape, name, {x, shape_constant(name, dims)});
  }
  Value* transpose(const std::string& name, Value* x, const Ints& perm) {
    Attributes attrs;
    attrs.set("perm", perm);
    return emit(OpKind::Transpose, name, {x}, std::move(attrs));
  }
  Value* slice(const std::string& name, Value* x, std::int64_t axis, std::int64_t start, std::int64_t end) {
    return emit(OpKind::Slice, name,
                {x, constant(name + "_starts", Tensor::from_vector<std::int64_t>({1}, {start})),
                 constant(name + "_ends", Tensor::from_vector<std::int64_t>({1}, {end})),
                 constant(name + "_axes", Tensor::from_vector<std::int64_t>({1}, {axis}))});
  }
  Value* image_of(const Value* v) const {
    const auto it = image_.find(v);
    return it == image_.end() ? nullptr : it->second;
  }
  void set_image(Value* original, Value* image) { image_[original] = image; }
  // The tokens [1, C, 1, H W] of an image [1, C, H, W] (itself when H is 1): the same bytes.
  Value* as_token_image(Value* image) {
    const Shape& s = image->shape;
    return s[2] == 1 ? image : reshape(image->name + "_tokens", image, {1, s[1], 1, s[2] * s[3]});
  }

  // ---- graph inputs in a token layout ------------------------------------------------------
  // A graph input [1, T, C] (or [T, 1, C]) whose readers include a token op over its last axis
  // (a LayerNormalization over it, a MatMul by a constant [C, C'], an Add of a constant over
  // tokens and features or over the features) is a token sequence from the start: its image is
  // the view Reshape(Transpose(x, (0, 2, 1)), [1, C, 1, T]) (for [T, 1, C] the Transpose moves
  // only an axis of size 1), which the quantizer absorbs, making the QGraph's input the image
  // itself (docs/token_layout.md). A Conv1d's [N, C, L] is read by a Conv: left alone. A 2-D
  // input is an [N, C] row as often as tokens, and is left alone too.
  void seed_inputs() {
    for (Value* input : graph_.inputs()) {
      if (!input->has_type() || input->dtype != DType::F32 || input->is_constant()) continue;
      const std::optional<TokenRows> layout = token_rows_of(input->shape);
      if (!layout || layout->count < 2 || layout->features < 1) continue;
      const Tokens t{layout->count, layout->features};
      if (!read_as_tokens(input, t)) continue;
      const std::string name = input->name + "_image";
      Value* rows = transpose(name + "_features_first", input, features_first_perm(input->shape));
      Value* image = reshape(name, rows, token_image_shape(*layout));
      set_image(input, image);
      seeds_.push_back(image);
      stats_.add("graph inputs read as images of tokens");
    }
  }

  bool read_as_tokens(const Value* input, Tokens t) const {
    const auto rank = static_cast<std::int64_t>(input->shape.size());
    for (const Node* reader : graph_.users(input)) {
      if (reader->input(0) == input && reader->op == OpKind::LayerNormalization &&
          normalize_axis(reader->attrs.get_int("axis", -1), rank) == rank - 1) {
        return true;
      }
      if (reader->input(0) == input && reader->op == OpKind::MatMul && reader->inputs.size() == 2) {
        const Tensor* w = reader->constant_input(1);
        if (is_f32_constant(w) && w->rank() == 2 && w->shape()[0] == t.features) return true;
      }
      if (reader->op == OpKind::Add && reader->inputs.size() == 2) {
        const std::size_t other = reader->input(0) == input ? 1 : 0;
        const Tensor* c = reader->constant_input(other);
        if (!is_f32_constant(c) || c->rank() == 0 || c->shape().back() != t.features) continue;
        if (c->numel() == t.features || c->numel() == t.count * t.features) return true;
      }
    }
    return false;
  }

  // A seed no rewritten op reads (its readers were all ops the pass does not know): its view
  // nodes go again, so the input is read as before.
  void drop_unread_seeds() {
    for (Value* image : seeds_) {
      if (!graph_.users(image).empty()) continue;
      Node* view = image->producer;
      Node* rows = view->input(0)->producer;
      graph_.erase_node(view);
      graph_.erase_node(rows);
    }
  }

  // ---- the rules ---------------------------------------------------------------------------
  bool rewrite_node(Node& node) {
    if (node.outputs.size() != 1 || node.inputs.empty() || node.input(0) == nullptr) return false;
    if (!node.output(0)->has_type()) return false;
    if (enter(node)) return true;
    Value* x = nullptr;
    for (Value* in : node.inputs) {
      if (in != nullptr && (image_of(in) != nullptr || pixels_.count(in) != 0)) x = in;
    }
    if (x == nullptr) return false;
    // Moved pixels stay a table until an op reads them as an image: a chain of moves (Swin's
    // roll, then its window partition) is one gather.
    const bool only_pixels = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const Value* in) {
      return in != nullptr && image_of(in) == nullptr && pixels_.count(in) != 0;
    });
    if (only_pixels && follow_pixels(node)) return true;
    for (Value* in : node.inputs) {
      if (in != nullptr && image_of(in) == nullptr && pixels_.count(in) != 0) image_for(in);
    }
    if (propagate(node, x)) return true;
    return follow_pixels(node);
  }

  // ---- moved pixels ------------------------------------------------------------------------
  // A data move of rows of one image's pixels (docs/token_layout.md, "Swin"): the rows it writes
  // are recorded, nothing is emitted yet.
  bool follow_pixels(Node& node) {
    if (!moves_data(node.op)) return false;
    Value* source = nullptr;
    std::vector<PixelRows> own;  // identity rows of inputs that are images themselves
    own.reserve(node.inputs.size());
    std::vector<const PixelRows*> rows(node.inputs.size(), nullptr);
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const Value* in = node.input(i);
      if (in == nullptr || in->is_constant()) continue;
      Value* from = nullptr;
      if (const auto p = pixels_.find(in); p != pixels_.end()) {
        from = p->second.image, rows[i] = &p->second.rows;
      } else if (Value* image = image_of(in); image != nullptr) {
        from = image;
        own.push_back(identity_rows(tokens_of(image).count));
        rows[i] = &own.back();
      } else {
        return false;
      }
      if (source != nullptr && source != from) return false;
      source = from;
    }
    if (source == nullptr) return false;
    std::optional<PixelRows> moved = move_pixels(node, rows, source->shape[1]);
    if (!moved) return false;
    pixels_[node.output(0)] = MovedPixels{source, std::move(*moved)};
    stats_.add("pixel moves followed");
    return true;
  }

  // The image of moved pixels, written on first use: [1, C, H', W'] for a channels-last
  // [1, H', W', C], else the tokens [1, C, 1, P]; one Gather of pixels of the source image
  // flattened to [1, C, 1, H W] (a view of the source itself when nothing moved).
  Value* image_for(Value* v) {
    if (Value* image = image_of(v); image != nullptr) return image;
    const auto found = pixels_.find(v);
    if (found == pixels_.end()) throw std::logic_error("tokens-as-image: no image for " + v->name);
    const MovedPixels& moved = found->second;
    const std::int64_t channels = moved.image->shape[1];
    const auto count = static_cast<std::int64_t>(moved.rows.size());
    const Shape& s = v->shape;
    const bool nhwc = s.size() == 4 && s[0] == 1 && s[3] == channels;
    const Ints target = nhwc ? Ints{1, channels, s[1], s[2]} : Ints{1, channels, 1, count};
    const std::string name = v->name + "_pixels";
    Value* image = nullptr;
    if (is_identity(moved.rows) && tokens_of(moved.image).count == count) {
      image = moved.image->shape == Shape(target) ? moved.image : reshape(name, moved.image, target);
    } else {
      const Shape& from = moved.image->shape;
      Value* flat = from[2] == 1 ? moved.image : reshape(name + "_flat", moved.image, {1, channels, 1, from[2] * from[3]});
      Attributes attrs;
      attrs.set("axis", std::int64_t{3});
      image = emit(OpKind::Gather, name, {flat, constant(name + "_indices", Tensor::from_vector<std::int64_t>({count}, moved.rows))},
                   std::move(attrs));
      if (nhwc) image = reshape(name + "_image", image, target);
      stats_.add("pixel moves as one gather");
    }
    set_image(v, image);
    return image;
  }

  // A token sequence from something that is not one yet: the patch embedding (an NCHW image
  // flattened and transposed) or the heads' merge (a Transpose of the heads, then Reshape to C).
  bool enter(Node& node) {
    const Value* out = node.output(0);
    if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 2, 1} && out->shape.size() == 3 &&
        out->shape[0] == 1) {
      const Node* flatten = node.input(0)->producer;
      if (flatten == nullptr || flatten->op != OpKind::Reshape || image_of(node.input(0)) != nullptr) return false;
      Value* picture = flatten->input(0);
      const Shape& p = picture->shape;
      if (p.size() != 4 || p[0] != 1 || node.input(0)->shape != Shape{1, p[1], p[2] * p[3]}) return false;
      set_image(node.output(0), reshape(node.name, picture, {1, p[1], 1, p[2] * p[3]}));
      stats_.add("patch embeddings read as images");
      return true;
    }
    if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 2, 3, 1}) return channels_last_stage(node);
    if (node.op == OpKind::Gather) return window_heads(node);
    return node.op == OpKind::Reshape && image_of(node.input(0)) == nullptr &&
           (merge_heads(node) || pixels_as_tokens(node));
  }

  // A channels-last stage (Swin's): Transpose(0, 2, 3, 1) of an image [1, C, H, W] read by a
  // LayerNorm over its last axis is [1, H, W, C], the image's pixels, which the stage's ops then
  // run on. A LayerNorm alone before the closing Transpose(0, 3, 1, 2) (ConvNeXt's LayerNorm2d)
  // is the quantizer's form already and stays as it is; a transpose read otherwise (a detection
  // head's tokens) is no stage.
  bool channels_last_stage(Node& node) {
    Value* picture = node.input(0);
    const Shape& p = picture->shape;
    if (picture->is_constant() || p.size() != 4 || p[0] != 1 || image_of(picture) != nullptr ||
        pixels_.count(picture) != 0) {
      return false;
    }
    bool normalised = false;
    for (const Node* reader : graph_.users(node.output(0))) {
      if (reader->op != OpKind::LayerNormalization || reader->input(0) != node.output(0) ||
          normalize_axis(reader->attrs.get_int("axis", -1), 4) != 3) {
        continue;
      }
      const Node* back = rewrite::single_user(graph_, reader->output(0));
      const bool layernorm2d = graph_.users(node.output(0)).size() == 1 && back != nullptr &&
                               back->op == OpKind::Transpose && back->attrs.get_ints("perm") == Ints{0, 3, 1, 2};
      if (layernorm2d) return false;
      normalised = true;
    }
    if (!normalised) return false;
    set_image(node.output(0), picture);
    stats_.add("channels-last stages computed on images");
    return true;
  }

  // Swin's (and timm's) q, k and v: Gather(axis 0, i) of Transpose(2, 0, 3, 1, 4) of Reshape
  // [nW, L, k, h, d] of the tokens' qkv (its image [1, k h d, 1, nW L]): channels [i h d,
  // (i + 1) h d) of the image read as [h, d, nW, L], transposed to torch's [nW, h, L, d].
  bool window_heads(Node& node) {
    const Tensor* index = node.constant_input(1);
    const Node* heads = node.input(0)->producer;
    if (index == nullptr || index->rank() != 0 || normalize_axis(node.attrs.get_int("axis", 0), 5) != 0 ||
        heads == nullptr || heads->op != OpKind::Transpose || heads->attrs.get_ints("perm") != Ints{2, 0, 3, 1, 4}) {
      return false;
    }
    const Node* split = heads->input(0)->producer;
    if (split == nullptr || split->op != OpKind::Reshape) return false;
    Value* qkv = split->input(0);
    Value* image = image_of(qkv);
    const Shape& s = split->output(0)->shape;
    if (image == nullptr || image->shape[2] != 1 || s.size() != 5) return false;
    const Tokens t = tokens_of(image);
    if (s[0] * s[1] != t.count || s[2] * s[3] * s[4] != t.features || !is_windowed_layout(qkv->shape, t)) return false;
    std::int64_t i = index->as_int64(0);
    if (i < 0) i += s[2];
    if (i < 0 || i >= s[2]) return false;
    const std::int64_t c = s[3] * s[4];
    Value* part = slice(node.name + "_channels", image, 1, i * c, (i + 1) * c);
    Value* per_head = reshape(node.name + "_heads", part, {s[3], s[4], s[0], s[1]});
    replacement_[node.output(0)] = transpose(node.name, per_head, {2, 0, 3, 1});
    stats_.add("window heads split from images");
    return true;
  }

  // The heads' merge: a Reshape to [T, C] (or [1, T, C]) of the heads transposed back.
  bool merge_heads(Node& node) {
    const Value* out = node.output(0);
    Value* heads = node.input(0);
    const Shape& h = heads->shape;
    if (heads->producer == nullptr || heads->producer->op != OpKind::Transpose || heads->is_constant()) return false;
    // [T, h, d] (MultiheadAttention) or [1, T, h, d] (a hand-written attention).
    Ints to_channels_last;
    std::int64_t count = 0, features = 0;
    if (h.size() == 3) {
      count = h[0], features = h[1] * h[2], to_channels_last = {1, 2, 0};
    } else if (h.size() == 4 && h[0] == 1) {
      count = h[1], features = h[2] * h[3], to_channels_last = {0, 2, 3, 1};
    } else if (h.size() == 4) {  // Swin's windows [nW, L, h, d]
      count = h[0] * h[1], features = h[2] * h[3], to_channels_last = {2, 3, 0, 1};
    } else {
      return false;
    }
    const Tokens merged_tokens{count, features};
    if (count < 2 || !(is_token_layout(out->shape, merged_tokens) ||
                       (h.size() == 4 && h[0] != 1 && out->shape == Shape{h[0], h[1], features}))) {
      return false;
    }
    Value* merged = transpose(node.name + "_heads", heads, to_channels_last);
    set_image(node.output(0), reshape(node.name, merged, {1, features, 1, count}));
    stats_.add("attention heads merged into images");
    return true;
  }

  // A detection head's tokens: an image's HWC bytes read as tokens of K features, as SSD's and
  // RetinaNet's heads write Reshape [1, A, K, H, W] -> Transpose(0, 3, 4, 1, 2) -> Reshape
  // [1, H W A, K] of a conv's [1, A K, H, W]; any chain of Reshapes and Transposes (each read
  // by the next alone) that reads the image in HWC order. The tokens' image is the view
  // Reshape(Transpose(Reshape(Transpose(x, (0, 2, 3, 1)), [1, T, K]), (0, 2, 1)), [1, K, 1, T]),
  // which the quantizer reads as one HwcReshape: stored HWC, the conv's own bytes.
  bool pixels_as_tokens(Node& node) {
    const Shape& out = node.output(0)->shape;
    if (out.size() != 3 || out[0] != 1 || out[1] < 2 || image_of(node.input(0)) != nullptr) return false;
    std::vector<const Node*> chain{&node};
    constexpr std::size_t kLongestChain = 4;
    while (chain.size() <= kLongestChain) {
      Value* x = chain.back()->input(0);
      if (x == nullptr || x->is_constant() || !x->has_type()) return false;
      const Shape& s = x->shape;
      // The first image up the chain whose HWC order the chain reads (an NHWC view of the
      // conv on the way is 4-D too).
      if (s.size() == 4 && s[0] == 1 && num_elements(s) == out[1] * out[2] &&
          reads_in_hwc_order(*x, {chain.rbegin(), chain.rend()})) {
        const std::string name = node.name + "_pixels";
        Value* nhwc = transpose(name, x, {0, 2, 3, 1});
        Value* rows = reshape(name + "_rows", nhwc, {1, out[1], out[2]});
        Value* features_first = transpose(name + "_features_first", rows, {0, 2, 1});
        set_image(node.output(0), reshape(name + "_image", features_first, {1, out[2], 1, out[1]}));
        stats_.add("image pixels read as tokens");
        return true;
      }
      const Node* producer = x->producer;
      if (producer == nullptr || (producer->op != OpKind::Reshape && producer->op != OpKind::Transpose) ||
          graph_.users(x).size() != 1 || graph_.is_graph_output(x)) {
        return false;
      }
      chain.push_back(producer);
    }
    return false;
  }

  bool propagate(Node& node, Value* x) {
    Value* x_image = image_of(x);
    const Tokens t = tokens_of(x_image);
    Value* out = node.output(0);
    const bool data_input = node.input(0) == x;
    switch (node.op) {
      case OpKind::Transpose:
      case OpKind::Reshape:
        if (!data_input) return false;
        if (node.op == OpKind::Transpose && node.attrs.get_ints("perm") == Ints{0, 3, 1, 2} &&
            is_nhwc_of(x->shape, x_image->shape)) {
          replacement_[out] = x_image;  // a channels-last stage's end: its image
          return true;
        }
        if ((is_token_layout(out->shape, t) || (node.op == OpKind::Reshape && is_windowed_layout(out->shape, t))) &&
            (node.op == OpKind::Reshape || keeps_row_major(node))) {
          set_image(out, as_token_image(x_image));  // the same tokens in another of torch's layouts
          return true;
        }
        return node.op == OpKind::Reshape && split_heads(node, x_image, t);
      case OpKind::LayerNormalization: {
        if (!data_input || normalize_axis(node.attrs.get_int("axis", -1), static_cast<std::int64_t>(x->shape.size())) !=
                               static_cast<std::int64_t>(x->shape.size()) - 1) {
          return false;
        }
        std::vector<Value*> inputs = node.inputs;
        inputs[0] = transpose(node.name + "_to_nhwc", x_image, {0, 2, 3, 1});
        Attributes attrs = node.attrs;
        attrs.set("axis", std::int64_t{-1});
        Value* normalised = emit(OpKind::LayerNormalization, node.name, std::move(inputs), std::move(attrs));
        set_image(out, transpose(node.name + "_to_nchw", normalised, {0, 3, 1, 2}));
        stats_.add("token LayerNorms over the channels");
        return true;
      }
      case OpKind::MatMul:
      case OpKind::Gemm: return data_input && linear(node, x_image, t);
      case OpKind::Add:
      case OpKind::Sub:
      case OpKind::Mul:
      case OpKind::Div: return binary(node, x, t);
      case OpKind::Concat: return concat(node, x, t);
      case OpKind::Slice: return data_input && slice_tokens(node, x, x_image);
      case OpKind::Gather: return data_input && is_token_layout(x->shape, t) && gather_token(node, x, x_image);
      default:
        if (!data_input || out->shape != x->shape) return false;
        if (node.op != OpKind::Gelu && node.op != OpKind::Erf && !is_unary_activation(node.op)) return false;
        for (std::size_t i = 1; i < node.inputs.size(); ++i) {
          if (node.input(i) != nullptr && !node.input(i)->is_constant()) return false;
        }
        {
          std::vector<Value*> inputs = node.inputs;
          inputs[0] = x_image;
          set_image(out, emit(node.op, node.name, std::move(inputs), node.attrs));
        }
        return true;
    }
  }

  // Reshape(T, h, d) (or (1, T, h, d)) of the tokens: the image read as [h, d, T], transposed
  // to the layout torch asked for (canonicalize-nchw merges it with the head transposes after).
  bool split_heads(Node& node, Value* x_image, Tokens t) {
    const Shape& s = node.output(0)->shape;
    if (s.size() == 3 && s[0] == t.count && s[1] * s[2] == t.features) {
      Value* heads = reshape(node.name + "_heads", x_image, {s[1], s[2], t.count});
      replacement_[node.output(0)] = transpose(node.name, heads, {2, 0, 1});
    } else if (s.size() == 4 && s[0] == 1 && s[1] == t.count && s[2] * s[3] == t.features) {
      Value* heads = reshape(node.name + "_heads", x_image, {1, s[2], s[3], t.count});
      replacement_[node.output(0)] = transpose(node.name, heads, {0, 3, 1, 2});
    } else {
      return false;
    }
    stats_.add("attention heads split from images");
    return true;
  }

  // MatMul(x, W [C, C']) or Gemm(x, B) (+ bias): a 1x1 Conv of C' filters.
  bool linear(Node& node, Value* x_image, Tokens t) {
    const Tensor* w = node.constant_input(1);
    if (!is_f32_constant(w) || w->rank() != 2) return false;
    const bool gemm = node.op == OpKind::Gemm;
    const bool trans_b = gemm && node.attrs.get_int("transB", 0) != 0;
    if (gemm && (node.attrs.get_int("transA", 0) != 0 || node.attrs.get_float("alpha", 1.0f) != 1.0f)) return false;
    if (gemm && node.input(0)->shape.size() != 2) return false;
    const std::int64_t c_in = trans_b ? w->shape()[1] : w->shape()[0];
    const std::int64_t c_out = trans_b ? w->shape()[0] : w->shape()[1];
    if (c_in != t.features) return false;
    std::optional<Tensor> bias;
    if (gemm && node.inputs.size() > 2 && node.input(2) != nullptr) {
      const Tensor* c = node.constant_input(2);
      if (!is_f32_constant(c) || c->numel() != c_out) return false;
      const float beta = node.attrs.get_float("beta", 1.0f);
      Tensor b(DType::F32, {c_out});
      for (std::int64_t o = 0; o < c_out; ++o) b.data<float>()[o] = beta * c->data<float>()[o];
      bias = std::move(b);
    }
    Tensor weights = (trans_b ? *w : rewrite::transposed_matrix(*w)).reshaped({c_out, c_in, 1, 1});
    std::vector<Value*> inputs{x_image, constant(node.name + "_conv_weight", std::move(weights))};
    if (bias) inputs.push_back(constant(node.name + "_conv_bias", std::move(*bias)));
    Attributes attrs;
    attrs.set("kernel_shape", Ints{1, 1});
    set_image(node.output(0), emit(OpKind::Conv, node.name, std::move(inputs), std::move(attrs)));
    stats_.add("token Linears as 1x1 convolutions");
    return true;
  }

  // A scalar constant, or one over the features alone ([C], [1, 1, 1, C]...), as [C, 1, 1].
  Value* feature_constant(const Node& node, std::size_t at, Tokens t) {
    const Tensor* c = node.constant_input(at);
    if (!is_f32_constant(c)) return nullptr;
    if (c->numel() == 1) return node.input(at);
    if (c->rank() == 0 || c->shape().back() != t.features || c->numel() != t.features) return nullptr;
    return constant(node.name + "_per_channel", c->reshaped({t.features, 1, 1}));
  }

  // A constant operand of an elementwise op on tokens, as an image operand: a scalar stays one,
  // a constant over the features becomes [C, 1, 1], one over tokens and features [1, C, 1, T].
  Value* image_constant(const Node& node, std::size_t at, Tokens t, const Shape& token_shape) {
    const Tensor* c = node.constant_input(at);
    if (!is_f32_constant(c)) return nullptr;
    if (c->numel() == 1) return node.input(at);
    const Shape& s = c->shape();
    if (s.size() > token_shape.size()) return nullptr;
    // Right-aligned against the token layout: every axis but the features 1, or exactly T x C.
    const std::size_t offset = token_shape.size() - s.size();
    const std::int64_t taxis = token_axis(token_shape);
    bool features_only = s.back() == t.features;
    bool tokens_and_features = s.back() == t.features;
    for (std::size_t d = 0; d + 1 < s.size(); ++d) {
      const auto axis = static_cast<std::int64_t>(d + offset);
      features_only = features_only && s[d] == 1;
      tokens_and_features = tokens_and_features && s[d] == (axis == taxis ? t.count : 1);
    }
    if (features_only) return constant(node.name + "_per_channel", c->reshaped({t.features, 1, 1}));
    if (tokens_and_features && c->numel() == t.count * t.features) {
      return constant(node.name + "_per_pixel",
                      rewrite::transposed_matrix(c->reshaped({t.count, t.features})).reshaped({1, t.features, 1, t.count}));
    }
    return nullptr;
  }

  // An elementwise op of two images of one shape, or of an image and a constant (image_constant;
  // over tokens and features only for a token sequence).
  bool binary(Node& node, const Value* x, Tokens t) {
    const Shape& out = node.output(0)->shape;
    const Shape& picture = image_of(x)->shape;
    const bool tokens = picture[2] == 1 && (is_token_layout(out, t) || is_windowed_layout(out, t));
    if (node.inputs.size() != 2 || (!tokens && !(out == x->shape && is_nhwc_of(out, picture)))) return false;
    std::vector<Value*> inputs(2);
    for (std::size_t i = 0; i < 2; ++i) {
      Value* in = node.input(i);
      if (Value* image = image_of(in); image != nullptr && image->shape == picture) {
        inputs[i] = image;
      } else if (tokens) {
        inputs[i] = image_constant(node, i, t, out);
      } else {
        inputs[i] = feature_constant(node, i, t);
      }
      if (inputs[i] == nullptr) return false;
    }
    set_image(node.output(0), emit(node.op, node.name, std::move(inputs), node.attrs));
    return true;
  }

  // A Concat of tokens (and constant tokens: the class token) along the token axis, or of
  // features along the last axis.
  bool concat(Node& node, const Value* x, Tokens t) {
    const Shape& layout = x->shape;
    const auto rank = static_cast<std::int64_t>(layout.size());
    const std::int64_t axis = normalize_axis(node.attrs.get_int("axis", 0), rank);
    const Shape& picture = image_of(x)->shape;
    const bool along_tokens = picture[2] == 1 && is_token_layout(layout, t) && axis == token_axis(layout);
    if (!along_tokens && axis != rank - 1) return false;
    std::vector<Value*> inputs;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      Value* in = node.input(i);
      if (Value* image = image_of(in);
          image != nullptr && in->shape.size() == layout.size() && token_axis(in->shape) == token_axis(layout)) {
        const Shape& u = image->shape;
        // Tokens: the same features; channels: the same pixels.
        if ((along_tokens && u[1] != picture[1]) || (!along_tokens && (u[2] != picture[2] || u[3] != picture[3]))) {
          return false;
        }
        inputs.push_back(image);
        continue;
      }
      const Tensor* c = node.constant_input(i);
      if (!along_tokens || !is_f32_constant(c) || c->rank() != rank) return false;
      // Constant tokens in the same layout as x: k tokens of C features.
      Shape expected = layout;
      const std::int64_t k = c->shape()[static_cast<std::size_t>(axis)];
      expected[static_cast<std::size_t>(axis)] = k;
      if (c->shape() != expected) return false;
      inputs.push_back(constant(node.name + "_tokens",
                                rewrite::transposed_matrix(c->reshaped({k, t.features})).reshaped({1, t.features, 1, k})));
    }
    Attributes attrs;
    attrs.set("axis", std::int64_t{along_tokens ? 3 : 1});
    set_image(node.output(0), emit(OpKind::Concat, node.name, std::move(inputs), std::move(attrs)));
    return true;
  }

  // A Slice of consecutive features (Q, K, V of the in-projection) or tokens, step 1.
  bool slice_tokens(Node& node, const Value* x, Value* x_image) {
    if (node.inputs.size() < 3 || node.inputs.size() > 5) return false;
    const Tensor* starts = node.constant_input(1);
    const Tensor* ends = node.constant_input(2);
    const Tensor* axes = node.inputs.size() > 3 && node.input(3) != nullptr ? node.constant_input(3) : nullptr;
    if (starts == nullptr || ends == nullptr || starts->numel() != 1 || ends->numel() != 1) return false;
    if (node.inputs.size() > 3 && node.input(3) != nullptr && axes == nullptr) return false;
    if (node.inputs.size() > 4 && node.input(4) != nullptr) {
      const Tensor* steps = node.constant_input(4);
      if (steps == nullptr || steps->numel() != 1 || steps->as_int64(0) != 1) return false;
    }
    const auto rank = static_cast<std::int64_t>(x->shape.size());
    const std::int64_t axis = normalize_axis(axes != nullptr ? axes->as_int64(0) : 0, rank);
    const Shape& out = node.output(0)->shape;
    std::int64_t image_axis = 0, begin = 0, length = 0;
    if (axis == rank - 1) {
      image_axis = 1, length = out.back();
    } else if (x_image->shape[2] == 1 && is_token_layout(x->shape, tokens_of(x_image)) && axis == token_axis(x->shape)) {
      image_axis = 3, length = out[static_cast<std::size_t>(axis)];
    } else {
      return false;
    }
    const std::int64_t size = x->shape[static_cast<std::size_t>(axis)];
    begin = starts->as_int64(0);
    if (begin < 0) begin += size;
    begin = std::clamp<std::int64_t>(begin, 0, size);
    if (length <= 0) return false;
    set_image(node.output(0), slice(node.name, x_image, image_axis, begin, begin + length));
    return true;
  }

  // Gather of one token ([1, T, C] -> [1, C]: the class token into the head): one pixel.
  bool gather_token(Node& node, const Value* x, Value* x_image) {
    const Tensor* index = node.constant_input(1);
    const auto rank = static_cast<std::int64_t>(x->shape.size());
    if (index == nullptr || index->numel() != 1 || index->rank() != 0) return false;
    if (normalize_axis(node.attrs.get_int("axis", 0), rank) != token_axis(x->shape)) return false;
    const Tokens t = tokens_of(x_image);
    std::int64_t i = index->as_int64(0);
    if (i < 0) i += t.count;
    // The first token (the class token) is a 1x1 max pool of stride T: one window, that pixel
    // (a strided copy, which both targets' pool units run); another token a Slice.
    Value* pixel = nullptr;
    if (i == 0) {
      Attributes attrs;
      attrs.set("kernel_shape", Ints{1, 1});
      attrs.set("strides", Ints{1, t.count});
      pixel = emit(OpKind::MaxPool, node.name + "_pixel", {x_image}, std::move(attrs));
    } else {
      pixel = slice(node.name + "_pixel", x_image, 3, i, i + 1);
    }
    replacement_[node.output(0)] = reshape(node.name, pixel, node.output(0)->shape);
    stats_.add("token gathers as one pixel");
    return true;
  }

  // ---- wiring up ---------------------------------------------------------------------------
  // Erases the nodes rewritten; every original value still read (or a graph output) is written
  // again under its own name: by its replacement, or from its image in its own layout.
  void finish() {
    std::set<const Node*> gone(replaced_.begin(), replaced_.end());
    std::set<Node*> feeders;
    std::vector<Value*> outputs;
    for (Node* node : replaced_) {
      for (Value* in : node->inputs) {
        if (in != nullptr && in->producer != nullptr && gone.count(in->producer) == 0) feeders.insert(in->producer);
      }
      outputs.push_back(node->output(0));
    }
    for (auto it = replaced_.rbegin(); it != replaced_.rend(); ++it) graph_.erase_node(*it);
    std::vector<Value*> written_back;
    for (Value* original : outputs) {
      if (graph_.users(original).empty() && !graph_.is_graph_output(original)) continue;
      Value* value = nullptr;
      if (const auto r = replacement_.find(original); r != replacement_.end()) {
        value = r->second;
      } else {
        Value* rows = transpose(original->name + "_tokens", image_for(original), {0, 2, 3, 1});
        value = original->shape == rows->shape ? rows : reshape(original->name + "_tokens", rows, original->shape);
        written_back.push_back(original);
      }
      write_as(value, original);
    }
    // A value written back only for views nothing reads any more (Swin's q, k, v split, whose
    // heads were each replaced) goes with them: the sweep follows the views' inputs.
    sweep_dead(feeders);
    for (const Value* v : written_back) {
      if (v->producer != nullptr) stats_.add("token values read back in their layout");
    }
  }

  // Makes the producer of `fresh` (a new value nothing reads yet) write `original` instead.
  void write_as(Value* fresh, Value* original) {
    Node* producer = fresh->producer;
    if (graph_.users(fresh).empty()) {
      std::replace(producer->outputs.begin(), producer->outputs.end(), fresh, original);
      original->producer = producer;
      original->shape = fresh->shape;
      original->dtype = fresh->dtype;
      fresh->producer = nullptr;
      graph_.erase_value(fresh);
      return;
    }
    // Read by other new nodes as well: an Identity writes the original name.
    graph_.add_node(OpKind::Identity, original->name + "_identity", {fresh}, {original});
  }

  // Nodes that only fed the rewritten ones (the patch embedding's flattening Reshape) and are
  // read by nothing now.
  void sweep_dead(std::set<Node*> candidates) {
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto it = candidates.begin(); it != candidates.end();) {
        Node* node = *it;
        bool dead = true;
        for (Value* out : node->outputs) {
          dead = dead && (out == nullptr || (graph_.users(out).empty() && !graph_.is_graph_output(out)));
        }
        if (!dead) {
          ++it;
          continue;
        }
        std::vector<Node*> inputs_from;
        for (Value* in : node->inputs) {
          if (in != nullptr && in->producer != nullptr) inputs_from.push_back(in->producer);
        }
        it = candidates.erase(it);
        graph_.erase_node(node);
        candidates.insert(inputs_from.begin(), inputs_from.end());
        changed = true;
        break;
      }
    }
  }

  Graph& graph_;
  PassStatistics& stats_;
  std::map<const Value*, Value*> image_;        // original token value -> its image [1, C, 1, T]
  struct MovedPixels {
    Value* image = nullptr;  // [1, C, H, W]
    PixelRows rows;          // the pixel of `image` each row of the value holds
  };
  std::map<const Value*, MovedPixels> pixels_;  // original value -> the pixels it holds
  std::map<const Value*, Value*> replacement_;  // original value -> a new value equal to it
  std::vector<Node*> replaced_;                 // in topological order
  std::vector<Value*> seeds_;                   // images of graph inputs (seed_inputs)
};

}  // namespace

bool TokensAsImagePass::run(Graph& graph, PassStatistics& stats) {
  const bool changed = TokenRewriter(graph, stats).run();
  if (changed) stats.add("token sequences computed as images");
  return changed;
}

}  // namespace wb
