#pragma once
// The quantizer's Builder (private to compiler/quant): it plans each float node's integer form
// (quantizer_planning.cpp), then assigns types and scales and makes the QNodes
// (quantizer.cpp). quantizer.h is the interface; this header only shares the class between
// its two files.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/fusion.h"
#include "compiler/ir/graph.h"
#include "compiler/quant/absorbed_views.h"
#include "compiler/quant/calibration.h"
#include "compiler/quant/node_patterns.h"
#include "compiler/quant/qgraph.h"
#include "compiler/quant/quantizer.h"
#include "compiler/quant/refusals.h"

namespace wb::quant::detail {

// One float node (or a fused pair) that becomes one QNode.
struct PlannedNode {
  QOpKind kind;
  const Node* node;             // the float node
  const Value* output;          // the value the QNode produces (an absorbed Relu's output for Add)
  FusedActivation activation;  // Add: the absorbed Relu/Clip
  std::string lut_function{};   // Lut: what its table computes
  const Value* input = nullptr;  // LayerNorm of an NHWC view: the NCHW tensor the first Transpose reads; PixelGather: its source
  std::optional<AttentionProduct> product{};  // MatMul: its operands and form
  std::vector<std::int64_t> pixels{};         // PixelGather: the source pixel of each output pixel
  std::vector<std::int64_t> labels{};         // Softmax under Swin's mask: each token's region
  std::optional<std::int64_t> causal_offset{};  // Softmax under a causal mask: keys <= query + offset
};

class Builder {
 public:
  Builder(const Graph& graph, const Calibrator& calibration, const QuantizeOptions& options)
      : graph_(graph), calibration_(calibration), options_(options) {}

  // What plan() rejects, without building anything.
  std::vector<std::string> rejected_nodes();
  QGraph build();

 private:
  void check_options() const;
  // A refusal for what the node is (a root cause), or for where it is (refusals.h).
  void reject(const Node& node, const std::string& reason);
  void reject_where_it_is(const Node& node, const std::string& reason);
  std::string format_unsupported_nodes() const;

  // Every input present, at least one computed, the others float constants (constant operands:
  // a class token, a position embedding).
  bool operands_with_constants(const Node& node) const;
  static bool reads_constant_operands(const PlannedNode& p);
  bool all_non_constant(const Node& node) const;
  void plan();

  // Each op's integer form, or why none (reject). A node a step absorbs (an Add's activation,
  // a table's Mul, a LayerNorm's NHWC views) joins views_.nodes and is not planned again.
  void plan_node(const Node* node, const Value* out);
  void plan_conv(const Node* node, const Value* out);
  void plan_add(const Node* node, const Value* out);
  void plan_pool(const Node* node, const Value* out);
  void plan_concat(const Node* node, const Value* out);
  void plan_reshape(const Node* node, const Value* out);
  void plan_softmax(const Node* node, const Value* out);
  void plan_layernorm(const Node* node, const Value* out);
  void plan_transpose(const Node* node);
  void plan_gather(const Node* node, const Value* out);

  // nn.Embedding as torch exports it: Gather(table, ids) of a graph input of token ids, its rows
  // read as tokens (the tokens-as-image pass made their image, absorbed here).
  void plan_embedding(const Node* node, const Tensor& table);
  void plan_resize(const Node* node, const Value* out);
  void plan_unfused_activation(const Node* node);
  void plan_table(const Node* node, const Value* out);
  void plan_matmul(const Node* node);
  void plan_sub(const Node* node, const Value* out);
  void plan_mul(const Node* node, const Value* out);
  void plan_recurrent(const Node* node);
  void plan_conv_transpose(const Node* node);
  void plan_other(const Node* node);

  // A graph output no planned node writes: its producer has no integer form.
  void check_outputs_produced();

  // A windowed product's 4-D scores or probabilities [W, h, L, L'] are the rows [W h, L, L'].
  void note_window_rows(const AttentionProduct& product);
  int tensor_for(const Value* value);
  int input_index(const Node& node, std::size_t i) const { return index_.at(node.input(i)); }

  // Union-find over tensor indices.
  int find(std::vector<int>& parent, int i) const;
  void unite(std::vector<int>& parent, int a, int b) const { parent[static_cast<std::size_t>(find(parent, a))] = find(parent, b); }

  // The QGraph tensors a planned node reads (a Reshape's shape and a Conv's weights are
  // constants, not tensors).
  std::vector<int> data_inputs(const PlannedNode& p) const;

  // A constant operand's integers at its tensor's scale, rounded half to even as QuantizeLinear
  // rounds; the cast saturates at the type's range, which is the tensor's.
  void quantize_constants();

  // An embedding's table [V, C] as the image [1, C, 1, V] of its rows: its HWC bytes are the rows.
  static void table_as_image(QTensor& table);
  FusedActivation activation(const PlannedNode& p) const;

  // Signedness and bits. Tensors that must share a type (Concat, MaxPool, Reshape, avg of the
  // same data) are unified: signed if any member is, the widest bits.
  void assign_types();
  double natural_scale(int index) const;

  // Scale groups: the type groups plus (pow2, xdnn) the two inputs of every Add. A group
  // takes its members' largest scale, so no member is clipped more than its own threshold.
  void assign_scales();
  QNode make_node(const PlannedNode& p);
  bool is_first_or_last_conv(const Node& node, bool first) const;
  int weight_bits(const Node& node) const;
  void make_conv(QNode& q, const Node& node);

  const Graph& graph_;
  const Calibrator& calibration_;
  const QuantizeOptions& options_;
  std::map<int, const Value*> constant_values_;  // constant operand tensors -> their float values
  std::vector<PlannedNode> planned_;
  std::vector<Refusal> unsupported_;
  std::map<const Value*, int> index_;
  AbsorbedViews views_;  // the patterns one QNode computes, found before planning
  // Swin's windowed scores and probabilities, torch's [W, h, L, L'], as the rows [W h, L, L'] the
  // QGraph holds (qgraph.h, "MatMul"); set when their products are found, read by tensor_for.
  std::map<const Value*, Shape> window_rows_;
  std::vector<int> type_parent_;
  QGraph q_;
};

}  // namespace wb::quant::detail
