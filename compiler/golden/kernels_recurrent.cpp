// LSTM, GRU and RNN (float), step by step as ONNX defines them (compiler/ir/recurrent.h):
// gates in ONNX's orders (LSTM i, o, f, c; GRU z, r, h), peepholes, sequence lengths, both
// layouts and directions.

#include <cmath>
#include <vector>

#include "compiler/golden/kernels.h"
#include "compiler/ir/recurrent.h"

namespace wb::golden {
namespace {

template <class T>
T sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

// Index helpers over the two layouts.
struct Layout {
  std::int64_t steps, batch, directions, hidden, input;
  bool batch_first;
  std::int64_t x(std::int64_t t, std::int64_t b, std::int64_t i) const {
    return batch_first ? (b * steps + t) * input + i : (t * batch + b) * input + i;
  }
  std::int64_t y(std::int64_t t, std::int64_t d, std::int64_t b, std::int64_t h) const {
    return batch_first ? ((b * steps + t) * directions + d) * hidden + h : ((t * directions + d) * batch + b) * hidden + h;
  }
  std::int64_t state(std::int64_t d, std::int64_t b, std::int64_t h) const {
    return batch_first ? (b * directions + d) * hidden + h : (d * batch + b) * hidden + h;
  }
};

template <class T>
void run(const RecurrentSpec& s, KernelInputs in, std::vector<Tensor>& outputs) {
  const Layout L{s.steps, s.batch, s.directions, s.hidden, s.input, s.batch_first};
  const std::int64_t G = s.gates, H = s.hidden, I = s.input;
  const T* x = in[0]->data<T>();
  const T* w = in[1]->data<T>();
  const T* r = in[2]->data<T>();
  const T* bias = in.size() > 3 && in[3] != nullptr ? in[3]->data<T>() : nullptr;
  const Tensor* lens = in.size() > 4 ? in[4] : nullptr;
  const T* h0 = in.size() > 5 && in[5] != nullptr ? in[5]->data<T>() : nullptr;
  const T* c0 = s.op == OpKind::LSTM && in.size() > 6 && in[6] != nullptr ? in[6]->data<T>() : nullptr;
  const T* peep = s.op == OpKind::LSTM && in.size() > 7 && in[7] != nullptr ? in[7]->data<T>() : nullptr;
  T* y = outputs.size() > 0 && !outputs[0].empty() ? outputs[0].data<T>() : nullptr;
  T* yh = outputs.size() > 1 && !outputs[1].empty() ? outputs[1].data<T>() : nullptr;
  T* yc = outputs.size() > 2 && !outputs[2].empty() ? outputs[2].data<T>() : nullptr;
  std::vector<T> gate(static_cast<std::size_t>(G * H)), h_prev(static_cast<std::size_t>(H)), c_prev(static_cast<std::size_t>(H));
  std::vector<T> recurrent_h(static_cast<std::size_t>(H));
  for (std::int64_t d = 0; d < s.directions; ++d) {
    const bool backwards = s.reverse || d == 1;
    const T* wd = w + d * G * H * I;
    const T* rd = r + d * G * H * H;
    const T* wb = bias != nullptr ? bias + d * 2 * G * H : nullptr;
    const T* rb = wb != nullptr ? wb + G * H : nullptr;
    for (std::int64_t b = 0; b < s.batch; ++b) {
      const std::int64_t length = lens != nullptr ? lens->as_int64(b) : s.steps;
      for (std::int64_t h = 0; h < H; ++h) {
        h_prev[static_cast<std::size_t>(h)] = h0 != nullptr ? h0[L.state(d, b, h)] : T(0);
        c_prev[static_cast<std::size_t>(h)] = c0 != nullptr ? c0[L.state(d, b, h)] : T(0);
      }
      for (std::int64_t k = 0; k < length; ++k) {
        const std::int64_t t = backwards ? length - 1 - k : k;
        for (std::int64_t g = 0; g < G * H; ++g) {
          T v = wb != nullptr ? wb[g] : T(0);
          for (std::int64_t i = 0; i < I; ++i) v += wd[g * I + i] * x[L.x(t, b, i)];
          T rv = rb != nullptr ? rb[g] : T(0);
          // GRU's candidate (gate h) may multiply r after its recurrent product: kept apart.
          for (std::int64_t j = 0; j < H; ++j) rv += rd[g * H + j] * h_prev[static_cast<std::size_t>(j)];
          const bool candidate = s.op == OpKind::GRU && g >= 2 * H;
          gate[static_cast<std::size_t>(g)] = candidate ? v : v + rv;
          if (candidate) recurrent_h[static_cast<std::size_t>(g - 2 * H)] = rv;
        }
        for (std::int64_t h = 0; h < H; ++h) {
          const auto at = [&](std::int64_t g) -> T& { return gate[static_cast<std::size_t>(g * H + h)]; };
          T out = 0;
          if (s.op == OpKind::LSTM) {
            const T c_old = c_prev[static_cast<std::size_t>(h)];
            const T i_gate = sigmoid(at(0) + (peep != nullptr ? peep[d * 3 * H + h] * c_old : T(0)));
            const T f_gate = sigmoid(at(2) + (peep != nullptr ? peep[d * 3 * H + 2 * H + h] * c_old : T(0)));
            const T c_new = f_gate * c_old + i_gate * std::tanh(at(3));
            const T o_gate = sigmoid(at(1) + (peep != nullptr ? peep[d * 3 * H + H + h] * c_new : T(0)));
            out = o_gate * std::tanh(c_new);
            c_prev[static_cast<std::size_t>(h)] = c_new;
          } else if (s.op == OpKind::GRU) {
            const T z = sigmoid(at(0));
            const T reset = sigmoid(at(1));
            T candidate_in = at(2);
            if (s.linear_before_reset) {
              candidate_in += reset * recurrent_h[static_cast<std::size_t>(h)];
            } else {
              // (r . h) R_h^T + Rb_h, recomputed with the reset state.
              T rv = rb != nullptr ? rb[2 * H + h] : T(0);
              for (std::int64_t j = 0; j < H; ++j) {
                const T rj = sigmoid(gate[static_cast<std::size_t>(H + j)]);
                rv += rd[(2 * H + h) * H + j] * rj * h_prev[static_cast<std::size_t>(j)];
              }
              candidate_in += rv;
            }
            const T n = std::tanh(candidate_in);
            out = (T(1) - z) * n + z * h_prev[static_cast<std::size_t>(h)];
          } else {
            out = std::tanh(at(0));
          }
          if (y != nullptr) y[L.y(t, d, b, h)] = out;
          recurrent_h[static_cast<std::size_t>(h)] = out;  // reused below as the new state
        }
        for (std::int64_t h = 0; h < H; ++h) h_prev[static_cast<std::size_t>(h)] = recurrent_h[static_cast<std::size_t>(h)];
      }
      for (std::int64_t h = 0; h < H; ++h) {
        if (yh != nullptr) yh[L.state(d, b, h)] = h_prev[static_cast<std::size_t>(h)];
        if (yc != nullptr) yc[L.state(d, b, h)] = c_prev[static_cast<std::size_t>(h)];
      }
    }
  }
}

}  // namespace

void run_recurrent(const Node& node, KernelInputs inputs, std::vector<Tensor>& outputs) {
  // The shapes of the tensors given, not of the node's values: an X reshaped by shape arithmetic
  // is known at run time only, before fold-constants.
  const RecurrentSpec s = recurrent_spec(node, inputs[0]->shape(), inputs[1]->shape(), inputs[2]->shape(),
                                         inputs.size() > 3 && inputs[3] != nullptr ? &inputs[3]->shape() : nullptr);
  visit_dtype(inputs[0]->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      run<T>(s, inputs, outputs);
    } else {
      throw std::logic_error("a recurrent op on a non-float tensor");
    }
  });
}

}  // namespace wb::golden
