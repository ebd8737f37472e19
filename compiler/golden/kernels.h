#pragma once
// Kernels of the float/integer reference executor, one function per op family.
// A kernel reads its inputs (nullptr for omitted optional ones) and fills `outputs`, which
// the executor has allocated with the inferred dtype and shape of each node output.
// User-caused failures (e.g. integer division by zero) throw UserError.

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "compiler/ir/graph.h"

namespace wb::golden {

// What kernels keep across runs of one ReferenceExecutor (prepared oneDNN convolutions with
// their weights reordered), so repeated runs (calibration, benchmarks) prepare each node once.
// Owned by the executor, so it dies with the graph its Node keys point into. A kernel locks
// mutex() while it uses its entry and the scratch buffers.
class KernelCache {
 public:
  struct Entry {
    virtual ~Entry() = default;
  };

  std::mutex& mutex() { return mutex_; }
  std::unique_ptr<Entry>& entry(const Node& node) { return entries_[&node]; }
  // Buffer `slot` (0..2), at least `bytes` long and 64-byte aligned, shared by all nodes:
  // nodes run one at a time, so one set sized for the largest serves every layer.
  void* scratch(std::size_t slot, std::size_t bytes);

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  struct Buffer {
    std::unique_ptr<void, FreeDeleter> data;
    std::size_t size = 0;
  };
  std::mutex mutex_;
  std::unordered_map<const Node*, std::unique_ptr<Entry>> entries_;
  Buffer scratch_[3];
};

// The cache of the executor running on this thread (installed by KernelCacheScope), or
// nullptr when a kernel is called on its own. Thread-local rather than a kernel argument so
// the two dozen kernels that keep nothing need not carry it.
KernelCache* current_kernel_cache();

class KernelCacheScope {
 public:
  explicit KernelCacheScope(KernelCache* cache);
  ~KernelCacheScope();
  KernelCacheScope(const KernelCacheScope&) = delete;
  KernelCacheScope& operator=(const KernelCacheScope&) = delete;

 private:
  KernelCache* previous_;
};

using KernelInputs = std::span<const Tensor* const>;
using KernelFn = void (*)(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);

// Returns the kernel of an op; Unsupported has none (throws std::logic_error).
KernelFn kernel_for(OpKind op);

void run_conv(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_conv_transpose(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_recurrent(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // LSTM, GRU, RNN
void run_conv_integer(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // ConvInteger, QLinearConv
void run_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Max/AveragePool
void run_global_pool(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_unary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);   // activations, Clip
void run_binary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Add..Sum, PRelu
void run_softmax(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_batchnorm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_gemm(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_matmul(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // MatMul, MatMulInteger, QLinearMatMul
void run_copy(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze
void run_concat(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_transpose(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_pad(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_resize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_shape(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_gather(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_slice(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_cast(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_constant_of_shape(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_range(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_expand(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_reduce_mean(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_equal(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_where(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_not(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_mod(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_pow(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_float_unary(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Sqrt, Reciprocal, Erf, Gelu
void run_neg(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_trilu(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_layer_normalization(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_scatter_nd(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);
void run_quantize(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs);  // Quantize/DequantizeLinear

}  // namespace wb::golden
