#include "compiler/passes/batched_attention.h"

#include <gtest/gtest.h>

#include "compiler/frontend/onnx_import.h"
#include "compiler/frontend/tensor_files.h"
#include "compiler/golden/reference_executor.h"
#include "compiler/passes/pass_manager.h"
#include "tests/support/tensor_compare.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

using Ints = std::vector<std::int64_t>;

constexpr std::string_view kBefore = "fold-constants,remove-identity,fuse-layernorm";

Graph imported(const std::string& name) {
  Graph graph = import_onnx_file(test::workloads_dir() / (name + ".onnx")).graph;
  PassManager::from_pipeline(kBefore).run(graph);
  return graph;
}

// What the pass did to a graph: whether it changed it, and its counter.
struct Outcome {
  bool changed = false;
  std::int64_t rewritten = 0;
};

Outcome run_batched_attention(Graph& graph) {
  PassManager manager;
  manager.add(std::make_unique<BatchedAttentionPass>());
  const auto records = manager.run(graph);
  Outcome outcome{records.at(0).changed, 0};
  if (const auto it = records.at(0).counters.find("batched attentions made batch-major"); it != records.at(0).counters.end()) {
    outcome.rewritten = it->second;
  }
  return outcome;
}

// Transposes by `perm` of the attention's nodes (the unfold and fold have their own).
std::size_t count_transposes(const Graph& graph, const Ints& perm) {
  std::size_t n = 0;
  for (const Node* node : graph.nodes()) {
    n += node->op == OpKind::Transpose && node->attrs.get_ints("perm") == perm &&
         node->name.find("/attention/") != std::string::npos;
  }
  return n;
}

const Node* only_node(const Graph& graph, OpKind op) {
  const Node* found = nullptr;
  for (const Node* node : graph.nodes()) {
    if (node->op != op) continue;
    if (found != nullptr) return nullptr;
    found = node;
  }
  return found;
}

// workloads/tiny_mobilevit (torch's nn.MultiheadAttention, batch_first, over 4 sets of 64
// tokens of 24 features, 2 heads): the time-major inside becomes batch-major, the products and
// the softmax run on [4, 2, 64, 64], and the network still computes torch's output.
TEST(BatchedAttention, TorchsMultiheadAttentionOverSetsOfTokensBecomesBatchMajor) {
  Graph graph = imported("tiny_mobilevit");
  ASSERT_EQ(count_transposes(graph, {1, 0, 2}), 5u) << "torch's time-major steps: in, q, v, the merge, out";
  const Outcome outcome = run_batched_attention(graph);
  EXPECT_TRUE(outcome.changed);
  EXPECT_EQ(outcome.rewritten, 1);
  EXPECT_EQ(count_transposes(graph, {1, 0, 2}), 0u);
  const Node* softmax = only_node(graph, OpKind::Softmax);
  ASSERT_NE(softmax, nullptr);
  EXPECT_EQ(softmax->input(0)->shape, (Shape{4, 2, 64, 64}));
  EXPECT_EQ(softmax->input(0)->producer->name, "/body/body.0/transformer/transformer.0/attention/MatMul_1")
      << "each node keeps the name of the one it replaces";
  // q and v as [B, h, L, d], k as [B, h, d, L].
  EXPECT_EQ(count_transposes(graph, {0, 2, 1, 3}), 3u);  // q, v and the heads' merge
  EXPECT_EQ(count_transposes(graph, {0, 2, 3, 1}), 1u);  // k
  const Tensor input = read_tensor_file(test::workloads_dir() / "tiny_mobilevit.input.npy");
  const Tensor expected = read_tensor_file(test::workloads_dir() / "tiny_mobilevit.output.npy");
  EXPECT_LT(test::max_error_relative_to_peak(ReferenceExecutor(graph).run({input})[0], expected), 1e-5);
}

// One sequence (torchvision's ViT: batch 1) is already the form tokens-as-image reads.
TEST(BatchedAttention, OneSequenceIsLeftAlone) {
  Graph graph = imported("tiny_vit");
  const std::size_t nodes = graph.node_count();
  EXPECT_FALSE(run_batched_attention(graph).changed);
  EXPECT_EQ(graph.node_count(), nodes);
}

// An intermediate read elsewhere (here the attention weights made a graph output) would lose
// its value: the attention is left as it is.
TEST(BatchedAttention, AnIntermediateReadElsewhereLeavesItAlone) {
  Graph graph = imported("tiny_mobilevit");
  Node* softmax = nullptr;
  for (Node* node : graph.nodes()) {
    if (node->op == OpKind::Softmax) softmax = node;
  }
  ASSERT_NE(softmax, nullptr);
  graph.outputs().push_back(softmax->output(0));
  EXPECT_FALSE(run_batched_attention(graph).changed);
  EXPECT_EQ(count_transposes(graph, {1, 0, 2}), 5u);
}

}  // namespace
}  // namespace wb
