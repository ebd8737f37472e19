#include "compiler/pulp/deconv_phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace wb::pulp {
namespace {

using quant::QGraph;
using quant::QNode;
using quant::QOpKind;
using quant::QTensor;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }
std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

// One axis of one phase. Output pixel o of the conv reads position o + k - pad of the
// zero-inserted input through tap k; that is input pixel (o + k - pad) / s where s divides it.
// Taps k = first_tap + j s (j = 0 .. taps - 1) do for every output of the phase, reading input
// pixel q + j, q = (o - pad + first_tap) / s: a correlation of the input with those taps. The
// phase's conv computes q = first .. last (from the first to the last q whose window meets an
// input pixel; a superset of those its outputs need). An output whose window meets none is the
// bias alone (a phase without taps: all of its outputs).
struct PhaseAxis {
  std::int64_t first_tap = 0;
  std::int64_t taps = 0;  // 0: every tap of the phase lands on an inserted zero
  std::int64_t first = 0, last = -1;        // the q its conv computes
  std::int64_t reads_lo = 0, reads_hi = -1;  // the q of its outputs whose window meets the input
  std::int64_t pad_begin = 0, pad_end = 0;
  bool has_conv() const { return reads_hi >= reads_lo; }
  bool reads(std::int64_t q) const { return q >= reads_lo && q <= reads_hi; }
  std::int64_t extent() const { return last - first + 1; }
};

PhaseAxis phase_axis(std::int64_t first_tap, std::int64_t kernel, std::int64_t step, std::int64_t pad,
                     std::int64_t input, std::int64_t output) {
  PhaseAxis p;
  p.first_tap = first_tap;
  p.taps = first_tap < kernel ? (kernel - 1 - first_tap) / step + 1 : 0;
  if (p.taps == 0) return p;
  // Outputs o = q s + pad - first_tap inside [0, output), whose window q .. q + taps - 1 meets [0, input).
  p.reads_lo = std::max(ceil_div(first_tap - pad, step), 1 - p.taps);
  p.reads_hi = std::min(floor_div(output - 1 + first_tap - pad, step), input - 1);
  if (!p.has_conv()) return p;
  // A stride-1 conv of pads >= 0 computes q from -pad_begin to input - taps + pad_end.
  p.first = std::min<std::int64_t>(p.reads_lo, 0);
  p.last = std::max<std::int64_t>(p.reads_hi, input - p.taps);
  p.pad_begin = -p.first;
  p.pad_end = p.last + p.taps - input;
  return p;
}

// Weights [C_out, C_in / group, taps_h, taps_w]: tap (jh, jw) is the conv's tap
// (first_h + jh s_h, first_w + jw s_w).
Tensor phase_weights(const Tensor& w, const PhaseAxis& ph, const PhaseAxis& pw, std::int64_t step_h,
                     std::int64_t step_w) {
  const Shape& s = w.shape();
  const std::int64_t th = ph.taps, tw = pw.taps;
  Tensor v(w.dtype(), {s[0], s[1], th, tw});
  visit_dtype(w.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = w.data<T>();
    T* dst = v.data<T>();
    for (std::int64_t plane = 0; plane < s[0] * s[1]; ++plane) {
      for (std::int64_t jh = 0; jh < th; ++jh) {
        for (std::int64_t jw = 0; jw < tw; ++jw) {
          dst[(plane * th + jh) * tw + jw] =
              src[(plane * s[2] + ph.first_tap + jh * step_h) * s[3] + pw.first_tap + jw * step_w];
        }
      }
    }
  });
  return v;
}

bool input_dilated(const QNode& node) {
  return node.kind == QOpKind::Conv && node.input_dilations != std::vector<std::int64_t>{1, 1};
}

// Calls f(phase_h, q_h, phase_w, q_w) for every output pixel of the conv, row-major.
template <class F>
void for_each_output(const QNode& conv, const std::vector<PhaseAxis>& rows, const std::vector<PhaseAxis>& cols,
                     const Shape& out, F&& f) {
  const std::int64_t sh = conv.input_dilations[0], sw = conv.input_dilations[1];
  for (std::int64_t oh = 0; oh < out[2]; ++oh) {
    const std::int64_t rh = floor_mod(conv.pads_begin[0] - oh, sh);
    const std::int64_t qh = (oh - conv.pads_begin[0] + rh) / sh;
    for (std::int64_t ow = 0; ow < out[3]; ++ow) {
      const std::int64_t rw = floor_mod(conv.pads_begin[1] - ow, sw);
      f(rows[static_cast<std::size_t>(rh)], qh, cols[static_cast<std::size_t>(rw)], (ow - conv.pads_begin[1] + rw) / sw);
    }
  }
}

class Lowering {
 public:
  Lowering(const QGraph& source, QGraph& lowered) : source_(source), lowered_(lowered) {}

  void lower(const QNode& conv) {
    const QTensor& in = source_.tensor(conv.inputs[0]);
    const QTensor& out = source_.tensor(conv.output);
    const std::int64_t sh = conv.input_dilations[0], sw = conv.input_dilations[1];
    std::vector<PhaseAxis> rows, cols;
    for (std::int64_t r = 0; r < sh; ++r) {
      rows.push_back(phase_axis(r, conv.kernel[0], sh, conv.pads_begin[0], in.shape[2], out.shape[2]));
    }
    for (std::int64_t r = 0; r < sw; ++r) {
      cols.push_back(phase_axis(r, conv.kernel[1], sw, conv.pads_begin[1], in.shape[3], out.shape[3]));
    }
    std::vector<int> phase_rows;
    std::vector<std::vector<std::int64_t>> offset(rows.size(), std::vector<std::int64_t>(cols.size(), -1));
    std::int64_t total = 0;
    for (const PhaseAxis& ph : rows) {
      for (const PhaseAxis& pw : cols) {
        if (!ph.has_conv() || !pw.has_conv()) continue;
        const std::string name = fmt::format("{}/phase_{}_{}", conv.name, ph.first_tap, pw.first_tap);
        QNode phase = conv;
        phase.name = name;
        phase.weights = phase_weights(conv.weights, ph, pw, sh, sw);
        phase.kernel = {ph.taps, pw.taps};
        phase.strides = {1, 1};
        phase.dilations = {1, 1};
        phase.input_dilations = {1, 1};
        phase.pads_begin = {ph.pad_begin, pw.pad_begin};
        phase.pads_end = {ph.pad_end, pw.pad_end};
        phase.output = add_tensor(out, name, {1, out.shape[1], ph.extent(), pw.extent()});
        lowered_.nodes.push_back(phase);
        const std::int64_t pixels = ph.extent() * pw.extent();
        phase_rows.push_back(reshape(name + "/row", phase.output, {1, out.shape[1], 1, pixels}));
        offset[static_cast<std::size_t>(ph.first_tap)][static_cast<std::size_t>(pw.first_tap)] = total;
        total += pixels;
      }
    }
    // The outputs no input pixel reaches (phases without taps, output_padding beyond the input)
    // hold the bias requantised: they read the first pixel of a 1x1 conv of zero weights.
    std::int64_t bias_pixel = -1;
    const auto reads_input = [](const PhaseAxis& p, std::int64_t q) { return p.has_conv() && p.reads(q); };
    bool bias_only = false;
    for_each_output(conv, rows, cols, out.shape, [&](const PhaseAxis& ph, std::int64_t qh, const PhaseAxis& pw, std::int64_t qw) {
      bias_only = bias_only || !reads_input(ph, qh) || !reads_input(pw, qw);
    });
    if (bias_only) {
      QNode bias = conv;
      bias.name = conv.name + "/bias";
      bias.weights = Tensor(conv.weights.dtype(), {conv.weights.shape()[0], conv.weights.shape()[1], 1, 1});
      bias.kernel = {1, 1};
      bias.strides = bias.dilations = bias.input_dilations = {1, 1};
      bias.pads_begin = bias.pads_end = {0, 0};
      bias.output = add_tensor(out, bias.name, {1, out.shape[1], in.shape[2], in.shape[3]});
      lowered_.nodes.push_back(bias);
      phase_rows.push_back(reshape(bias.name + "/row", bias.output, {1, out.shape[1], 1, in.shape[2] * in.shape[3]}));
      bias_pixel = total;
      total += in.shape[2] * in.shape[3];
    }
    int all = phase_rows[0];
    if (phase_rows.size() > 1) {
      QNode concat;
      concat.kind = QOpKind::Concat;
      concat.name = conv.name + "/phases";
      concat.inputs = phase_rows;
      concat.concat_axis = 3;
      concat.output = add_tensor(out, concat.name, {1, out.shape[1], 1, total});
      lowered_.nodes.push_back(concat);
      all = concat.output;
    }
    QNode gather;
    gather.kind = QOpKind::PixelGather;
    gather.name = conv.name;
    gather.inputs = {all};
    gather.output = conv.output;
    for_each_output(conv, rows, cols, out.shape, [&](const PhaseAxis& ph, std::int64_t qh, const PhaseAxis& pw, std::int64_t qw) {
      if (!reads_input(ph, qh) || !reads_input(pw, qw)) {
        gather.gather_pixels.push_back(bias_pixel);
        return;
      }
      gather.gather_pixels.push_back(offset[static_cast<std::size_t>(ph.first_tap)][static_cast<std::size_t>(pw.first_tap)] +
                                     (qh - ph.first) * pw.extent() + (qw - pw.first));
    });
    lowered_.nodes.push_back(gather);
  }

 private:
  // A tensor of `like`'s type and scale, named after `name`.
  int add_tensor(const QTensor& like, const std::string& name, Shape shape) {
    QTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.bits = like.bits;
    t.is_signed = like.is_signed;
    t.scale = like.scale;
    t.threshold = like.threshold;
    lowered_.tensors.push_back(t);
    return static_cast<int>(lowered_.tensors.size()) - 1;
  }

  int reshape(const std::string& name, int input, Shape shape) {
    QNode r;
    r.kind = QOpKind::Reshape;
    r.name = name;
    r.inputs = {input};
    r.output = add_tensor(lowered_.tensor(input), name, std::move(shape));
    lowered_.nodes.push_back(r);
    return r.output;
  }

  const QGraph& source_;
  QGraph& lowered_;
};

}  // namespace

std::string deconv_phases_problem(const QNode& node) {
  if (node.strides != std::vector<std::int64_t>{1, 1} || node.dilations != std::vector<std::int64_t>{1, 1}) {
    return fmt::format("a transposed conv with a kernel dilation {}x{} (or a stride {}x{} besides its upsampling); the "
                       "cluster runs transposed convs as phases of plain convs, kernel dilation 1",
                       node.dilations[0], node.dilations[1], node.strides[0], node.strides[1]);
  }
  return {};
}

QGraph with_deconv_phases(const QGraph& graph) {
  if (std::none_of(graph.nodes.begin(), graph.nodes.end(), input_dilated)) return graph;
  QGraph lowered = graph;
  lowered.nodes.clear();
  Lowering lowering(graph, lowered);
  for (const QNode& node : graph.nodes) {
    if (input_dilated(node) && deconv_phases_problem(node).empty()) {
      lowering.lower(node);
    } else {
      lowered.nodes.push_back(node);  // an input-dilated conv it cannot lower: layer mapping names it
    }
  }
  return lowered;
}

}  // namespace wb::pulp
