#pragma once
// Fused forms of compute nodes, produced by the fusion passes (compiler/passes) and
// understood by every consumer of the IR:
//
//   Conv(X, W, [B], [R]) {fused_activation = "relu" | "clip", fused_min, fused_max}
//     y = act(conv(X, W) + B + R)       R: a residual of the output's shape (Conv+Add)
//   Gemm(A, B, [C]) {fused_activation ...}
//     y = act(alpha * A'B' + beta * C)
//
// Without these attributes (and without R) the nodes mean exactly what ONNX says.

#include <limits>
#include <string>

#include "compiler/ir/graph.h"

namespace wb {

// Input index of the fused residual of a Conv.
constexpr std::size_t kConvResidualInput = 3;

struct FusedActivation {
  enum class Kind { None, Relu, Clip };
  Kind kind = Kind::None;
  float min = -std::numeric_limits<float>::infinity();  // Clip bounds
  float max = std::numeric_limits<float>::infinity();

  static FusedActivation relu() { return {Kind::Relu, 0.0f, std::numeric_limits<float>::infinity()}; }
  static FusedActivation clip(float lo, float hi) { return {Kind::Clip, lo, hi}; }

  // Reads the node's fused_* attributes (None when absent); UserError on an unknown kind.
  static FusedActivation of(const Node& node);
  // Writes (or, for None, removes) the node's fused_* attributes.
  void store(Node& node) const;

  template <class T>
  T apply(T v) const {
    switch (kind) {
      case Kind::None: return v;
      case Kind::Relu: return v > T(0) ? v : T(0);
      case Kind::Clip: return v < T(min) ? T(min) : (v > T(max) ? T(max) : v);
    }
    return v;
  }
  std::string to_string() const;  // "relu", "clip[0,6]", "none"
};

}  // namespace wb
