#include "compiler/passes/rewrite/pixel_moves.h"

#include <array>
#include <numeric>

#include "compiler/golden/kernels.h"

namespace wb {

PixelRows identity_rows(std::int64_t count) {
  PixelRows rows(static_cast<std::size_t>(count));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

bool is_identity(const PixelRows& rows) {
  for (std::size_t p = 0; p < rows.size(); ++p) {
    if (rows[p] != static_cast<std::int64_t>(p)) return false;
  }
  return true;
}

Tensor tags_through(Tensor tags, const std::vector<const Node*>& chain) {
  for (const Node* node : chain) {
    if (node->op == OpKind::Transpose) {
      std::vector<Tensor> moved;
      moved.emplace_back(tags.dtype(), node->output(0)->shape);
      const std::array<const Tensor*, 1> in{&tags};
      golden::kernel_for(OpKind::Transpose)(*node, in, moved);
      tags = std::move(moved[0]);
    } else {
      tags = tags.reshaped(node->output(0)->shape);
    }
  }
  return tags;
}

bool moves_data(OpKind op) {
  switch (op) {
    case OpKind::Reshape:
    case OpKind::Transpose:
    case OpKind::Slice:
    case OpKind::Concat:
    case OpKind::Gather:
    case OpKind::Identity:
    case OpKind::Flatten:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Pad: return true;
    default: return false;
  }
}

std::optional<PixelRows> move_pixels(const Node& node, const std::vector<const PixelRows*>& rows,
                                     std::int64_t channels) {
  if (!moves_data(node.op) || channels < 1 || node.outputs.size() != 1 || rows.size() != node.inputs.size()) {
    return std::nullopt;
  }
  const Value* out = node.output(0);
  // The channels stay the last axis: a Concat along it joins pixels' channels, not pixels.
  if (out == nullptr || !out->has_type() || out->shape.empty() || out->shape.back() != channels) return std::nullopt;
  std::vector<Tensor> tagged;
  tagged.reserve(node.inputs.size());
  std::vector<const Tensor*> inputs;
  bool any_rows = false;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* in = node.input(i);
    if (rows[i] == nullptr) {
      const Tensor* c = in != nullptr ? node.constant_input(i) : nullptr;
      if (in != nullptr && c == nullptr) return std::nullopt;
      inputs.push_back(c);
      continue;
    }
    const std::int64_t n = num_elements(in->shape);
    if (n != static_cast<std::int64_t>(rows[i]->size()) * channels) return std::nullopt;
    // Tags start at 1: a Pad's fills (0) are no pixel's.
    std::vector<std::int64_t> tags(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) {
      tags[static_cast<std::size_t>(k)] = (*rows[i])[static_cast<std::size_t>(k / channels)] * channels + k % channels + 1;
    }
    tagged.push_back(Tensor::from_vector<std::int64_t>(in->shape, tags));
    inputs.push_back(&tagged.back());
    any_rows = true;
  }
  if (!any_rows) return std::nullopt;
  std::vector<Tensor> moved;
  moved.emplace_back(DType::I64, out->shape);
  golden::kernel_for(node.op)(node, inputs, moved);
  const std::int64_t count = num_elements(out->shape) / channels;
  PixelRows result(static_cast<std::size_t>(count));
  for (std::int64_t p = 0; p < count; ++p) {
    const std::int64_t first = moved[0].as_int64(p * channels) - 1;
    if (first < 0 || first % channels != 0) return std::nullopt;
    for (std::int64_t c = 1; c < channels; ++c) {
      if (moved[0].as_int64(p * channels + c) - 1 != first + c) return std::nullopt;
    }
    result[static_cast<std::size_t>(p)] = first / channels;
  }
  return result;
}

}  // namespace wb
