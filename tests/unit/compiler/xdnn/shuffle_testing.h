#pragma once
// ShuffleNetV2 units for the xDNN tests of channel gathers (a channel shuffle, a split),
// built as torch exports them so the default pipeline turns them into ChannelGather nodes,
// and the DDR-engine runs a gather needs, computed from its indices independently of the
// compiler.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/quant/qgraph.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/quant_testing.h"

namespace wb::test {

// x[1,4,8,8] -> conv3x3 + Relu "conv1" (`channels`) -> per unit u (1, 2, ...): Split into halves
// "split{u}" (outputs "left{u}", "right{u}") -> right: conv1x1 + Relu "pw{u}a" -> 3x3 depthwise
// "dw{u}" -> conv1x1 + Relu "pw{u}b" -> Concat [left, branch] "cat{u}" -> channel shuffle of 2
// groups (Reshape "group{u}", Transpose "transpose{u}", Reshape "shuffle{u}", output
// "shuffled{u}") -> after the last unit: conv3x3 + Relu "conv2" (8) -> GlobalAveragePool "gap"
// -> y[1,8,1,1]. The split's left half is a concat member and the shuffle reads the concat's
// buffer; from the second unit on, the split reads the shuffle's output.
inline OnnxBuilder shufflenet_units(std::int64_t channels = 8, int units = 2) {
  const std::int64_t half = channels / 2;
  OnnxBuilder b(13);
  b.input("x", {1, 4, 8, 8}).output("y");
  b.initializer("w1", random_tensor({channels, 4, 3, 3}, 61)).initializer("b1", random_tensor({channels}, 62));
  set_attr(b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  b.initializer("halves", Tensor::from_vector<std::int64_t>({2}, {half, half}));
  b.initializer("grouped_shape", Tensor::from_vector<std::int64_t>({5}, {1, 2, half, 8, 8}));
  b.initializer("flat_shape", Tensor::from_vector<std::int64_t>({4}, {1, -1, 8, 8}));
  std::string x = "r1";
  for (int u = 1; u <= units; ++u) {
    const std::string s = std::to_string(u);
    const auto seed = static_cast<std::uint32_t>(100 + 10 * u);
    set_attr(b.node("Split", {x, "halves"}, {"left" + s, "right" + s}, "split" + s), "axis", std::int64_t{1});
    b.initializer("wa" + s, random_tensor({half, half, 1, 1}, seed)).initializer("ba" + s, random_tensor({half}, seed + 1));
    b.node("Conv", {"right" + s, "wa" + s, "ba" + s}, {"pa" + s}, "pw" + s + "a");
    b.node("Relu", {"pa" + s}, {"ra" + s}, "relu" + s + "a");
    b.initializer("wd" + s, random_tensor({half, 1, 3, 3}, seed + 2)).initializer("bd" + s, random_tensor({half}, seed + 3));
    auto& dw = b.node("Conv", {"ra" + s, "wd" + s, "bd" + s}, {"d" + s}, "dw" + s);
    set_attr(dw, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
    set_attr(dw, "group", half);
    b.initializer("wb" + s, random_tensor({half, half, 1, 1}, seed + 4)).initializer("bb" + s, random_tensor({half}, seed + 5));
    b.node("Conv", {"d" + s, "wb" + s, "bb" + s}, {"pb" + s}, "pw" + s + "b");
    b.node("Relu", {"pb" + s}, {"rb" + s}, "relu" + s + "b");
    set_attr(b.node("Concat", {"left" + s, "rb" + s}, {"cat" + s}, "cat" + s), "axis", std::int64_t{1});
    b.node("Reshape", {"cat" + s, "grouped_shape"}, {"grouped" + s}, "group" + s);
    set_attr(b.node("Transpose", {"grouped" + s}, {"transposed" + s}, "transpose" + s), "perm",
             std::vector<std::int64_t>{0, 2, 1, 3, 4});
    b.node("Reshape", {"transposed" + s, "flat_shape"}, {"shuffled" + s}, "shuffle" + s);
    x = "shuffled" + s;
  }
  b.initializer("w2", random_tensor({8, channels, 3, 3}, 63)).initializer("b2", random_tensor({8}, 64));
  set_attr(b.node("Conv", {x, "w2", "b2"}, {"c2"}, "conv2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c2"}, {"r2"}, "relu2");
  b.node("GlobalAveragePool", {"r2"}, {"y"}, "gap");
  return b;
}

// The uploads a gather of `channels` (input channel of each output channel) needs: maximal
// runs of output channels whose input channels are consecutive, cut where either side
// crosses into the next AM section of `lanes` channels. The input lies at channel
// `source_offset` of its buffer, the output at `target_offset` of its own.
inline std::size_t gather_runs(const std::vector<std::int64_t>& channels, std::int64_t source_offset,
                               std::int64_t target_offset, std::int64_t lanes) {
  std::size_t runs = 0;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const std::int64_t src = source_offset + channels[c];
    const std::int64_t dst = target_offset + static_cast<std::int64_t>(c);
    const bool continues = c > 0 && channels[c] == channels[c - 1] + 1 && src % lanes != 0 && dst % lanes != 0;
    if (!continues) ++runs;
  }
  return runs;
}

// The QGraph node indices of every ChannelGather.
inline std::vector<int> gather_nodes(const quant::QGraph& graph) {
  std::vector<int> nodes;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].kind == quant::QOpKind::ChannelGather) nodes.push_back(static_cast<int>(n));
  }
  return nodes;
}

}  // namespace wb::test
