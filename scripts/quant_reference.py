#!/usr/bin/python3
"""Independent torch reference for our integer quantization (docs/quant.md).

Runs the float ONNX model and the quantized model that `workbench quantize -o OUT` writes
(OUT/model.qdq.onnx with OUT/quant.json) on the same inputs and reports, per network
output, the SQNR of the quantized output against the float one and the top-1/top-5
agreement. An integration test compares these figures with those of our C++ integer
golden executor; they must agree within 0.5 dB.

    scripts/quant_reference.py --float MODEL.onnx --qdq OUT/model.qdq.onnx \\
        --quant-json OUT/quant.json --inputs DIR [--json RESULT.json]

What it emulates. Every scheme (pow2, xdnn, pulp) ends each Conv, Add and AvgPool in the
requantisation of docs/quant.md: y = clamp(wrap16?(round(v * s_in / s_out)), lo, hi),
where round is half up or floor. Here that is fake quantization in float64:

* The float ops of the QDQ model run in float64 on dequantized values (real = scale * q).
* Each QuantizeLinear producing tensor t (named t_quantized) takes the layer of quant.json
  whose "output" is t and applies its rounding ("round": floor(x/s + 0.5), "floor":
  floor(x/s)), then the two's-complement int16 wrap if "intermediate_bits" is 16, then the
  layer's [lo, hi] clamp. The scale is the QuantizeLinear's own (checked against
  quant.json "tensors").
* A fused activation is written as an explicit Relu/Clip before the QuantizeLinear, but
  the contract applies it through [lo, hi] after the rounding and the int16 wrap. Where
  the layer's [lo, hi] implements the activation, the activation node is bypassed and its
  input quantized directly, so wrap and rounding act on the pre-activation value exactly
  as in the integer path (this matters for the int16 wrap and for floor rounding at a
  ReLU6 bound).
* MaxPool, Concat and Reshape layers have no requantisation: their values are already on
  their output's grid (the contract makes the scales equal), which is checked, not
  clamped.
* Network inputs are quantized as ONNX QuantizeLinear does (float32 division, round half
  to even, the zero point type's range).
* The one intended difference: the integer path uses fixed-point multipliers (e.g. 16
  bits for xdnn) for s_in / s_out, the emulation exact float scales.

Why it is independent. Nothing of our C++ code is used: the ONNX interpreter below is a
small torch one and the arithmetic follows docs/quant.md. Convolutions (and Gemm) whose
data and weights both come from DequantizeLinear are computed on the integers, exactly
(float32 convolutions of integer digits whose partial sums stay within 2^24, results
checked to be integral), then scaled in float64, with an int32 bias at scale s_x * s_w
added to the integer accumulator as the integer path does. This equals the float64
convolution of the dequantized values without its rounding errors (which would flip
exact rounding ties, e.g. pow2's, and floor decisions at exact integers) and is much
faster than torch's float64 convolution. The float model runs in float64 throughout.

Output (stdout, and RESULT.json with --json):
    {"outputs": [{"name", "sqnr_db", "top1_agreement", "top5_agreement"}], "inputs": N}
with f and q the float and dequantized quantized outputs over all inputs, sqnr_db =
10 log10(sum f^2 / sum (f - q)^2) (null when q equals f: strict JSON has no infinity, as
in workbench's report.json), top1_agreement the fraction of inputs (rows of the last
axis) whose argmax agrees, top5_agreement the fraction whose float argmax is among the
quantized top 5.

Exit status 2 with one error line on bad input (missing files, wrong input shapes,
unsupported ops, a QDQ model inconsistent with quant.json). Must run with Debian's
/usr/bin/python3 (torch, numpy, onnx); deterministic, 2 torch threads.
"""

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

# Before torch loads OpenMP: idle worker threads sleep instead of spinning, which keeps a
# run sharing the CPUs with a build or another test from slowing down several times.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import numpy_helper  # noqa: E402

THREADS = 2
BATCH = 4  # inputs evaluated together where the graph allows (2 threads share a batch; 4 ran fastest)
FLOAT32_EXACT = float(2**24)  # integers up to this are exact in float32
SCALE_RTOL = 1e-6  # float32 scales in the ONNX file against doubles in quant.json
GRID_RTOL = 1e-6  # how far a pass-through value may sit off its integer grid
INT16_RANGE = 65536.0

# quant.json layer types without a requantisation (docs/quant.md: MaxPool keeps its input's
# scale, Concat concatenates by placement, Reshape/Flatten keeps the data).
PASSTHROUGH_TYPES = {"MaxPool", "Concat", "Reshape", "Flatten"}


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


class NotBatchable(Exception):
    """A batched run met a value without the batch on axis 0: run inputs one by one."""


# ----------------------------------------------------------------------------- values


@dataclasses.dataclass
class Dequantized:
    """A DequantizeLinear result kept in integer form: real = q * scale.

    q holds integers as float64; scale is a float64 scalar or a 1-D tensor along axis.
    Conv and Gemm use the integers directly; every other op sees dense() values.
    """

    q: torch.Tensor
    scale: torch.Tensor
    axis: int

    def per_tensor(self) -> bool:
        return self.scale.numel() == 1

    def dense(self) -> torch.Tensor:
        return self.q * along_axis(self.scale, self.axis, self.q.dim())


def dense(value):
    """The real values of a tensor (materialises a Dequantized one)."""
    return value.dense() if isinstance(value, Dequantized) else value


def data_of(value) -> torch.Tensor:
    """The stored tensor (integers for a Dequantized value): for shapes only."""
    return value.q if isinstance(value, Dequantized) else value


def along_axis(vector: torch.Tensor, axis: int, rank: int) -> torch.Tensor:
    """Reshapes a scalar or 1-D tensor to broadcast along `axis` of a rank-`rank` tensor."""
    if vector.numel() == 1:
        return vector.reshape(())
    shape = [1] * rank
    shape[axis % rank] = -1
    return vector.reshape(shape)


def to_torch(array: np.ndarray) -> torch.Tensor:
    """Floating arrays become float64, integer and bool ones int64."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float64, copy=True))
    if array.dtype.kind in "iub":
        return torch.from_numpy(array.astype(np.int64, copy=True))
    raise InputError(f"unsupported tensor element type {array.dtype}")


def integer_range(elem_type: int):
    """[lo, hi] of an ONNX integer element type."""
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        dtype = onnx.helper.tensor_dtype_to_np_dtype(elem_type)
    else:
        dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type]
    info = np.iinfo(dtype)
    return float(info.min), float(info.max)


# ----------------------------------------------------------------------------- graphs


@dataclasses.dataclass
class Node:
    op_type: str
    name: str
    inputs: List[str]
    outputs: List[str]
    attrs: Dict[str, object]


def node_attributes(node: onnx.NodeProto) -> Dict[str, object]:
    attrs = {}
    for attribute in node.attribute:
        value = onnx.helper.get_attribute_value(attribute)
        attrs[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return attrs


def node_label(node) -> str:
    return f"{node.op_type} node '{node.name or node.outputs[0]}'"


class Graph:
    """An ONNX graph ready for evaluation: initializers as torch tensors, constant
    subgraphs (e.g. weight DequantizeLinear, Clip bounds) folded once."""

    def __init__(self, proto: onnx.ModelProto, label: str):
        self.label = label
        self.metadata = {p.key: p.value for p in proto.metadata_props}
        graph = proto.graph
        self.constants: Dict[str, object] = {}
        self.elem_types: Dict[str, int] = {}
        for init in graph.initializer:
            self.constants[init.name] = to_torch(numpy_helper.to_array(init))
            self.elem_types[init.name] = init.data_type
        self.inputs = [(i.name, declared_dims(i)) for i in graph.input if i.name not in self.constants]
        self.outputs = [o.name for o in graph.output]
        self.nodes: List[Node] = []
        for proto_node in graph.node:
            node = Node(proto_node.op_type, proto_node.name, list(proto_node.input), list(proto_node.output),
                        node_attributes(proto_node))
            if node.op_type == "Constant":
                self.elem_types[node.outputs[0]] = constant_elem_type(node.attrs)
            if node.op_type != "QuantizeLinear" and all(not n or n in self.constants for n in node.inputs):
                for name, value in zip(node.outputs, evaluate(node, [self.constants.get(n) for n in node.inputs])):
                    self.constants[name] = value
            else:
                self.nodes.append(node)
        # Keep only the constants the remaining nodes read (e.g. not the int8 weights
        # behind a folded DequantizeLinear).
        needed = {name for node in self.nodes for name in node.inputs} | set(self.outputs)
        self.constants = {name: value for name, value in self.constants.items() if name in needed}

    def producers(self) -> Dict[str, Node]:
        return {out: node for node in self.nodes for out in node.outputs}

    def consumers(self) -> Dict[str, List[Node]]:
        users: Dict[str, List[Node]] = {}
        for node in self.nodes:
            for name in node.inputs:
                users.setdefault(name, []).append(node)
        return users

    def run(self, feeds: Dict[str, torch.Tensor], quantize: Callable, batch: int = 0) -> Dict[str, torch.Tensor]:
        """Evaluates the graph; `quantize(node, args)` evaluates QuantizeLinear nodes.

        batch > 0: the feeds stack `batch` inputs of a batch-1 graph that batch_safe()
        accepted; every value must keep the batch on axis 0 (else NotBatchable).
        """
        values = dict(self.constants)
        values.update(feeds)
        last_use = {}
        for index, node in enumerate(self.nodes):
            for name in node.inputs:
                last_use[name] = index
        keep = set(self.outputs) | set(self.constants) | set(feeds)
        for index, node in enumerate(self.nodes):
            args = []
            for name in node.inputs:
                if name and name not in values:
                    raise InputError(f"{self.label}: {node_label(node)} reads '{name}', which nothing produces")
                args.append(values[name] if name else None)
            if batch:
                args = batched_arguments(node, args, batch, self.constants)
            if node.op_type == "QuantizeLinear":
                results = guarded(node, lambda _, a: quantize(node, a), args)
            else:
                results = evaluate(node, args)
            if batch and any(data_of(v).dim() == 0 or data_of(v).shape[0] != batch for v in results[:1]):
                raise NotBatchable(node_label(node))
            for name, value in zip(node.outputs, results):
                if name:
                    values[name] = value
            for name in node.inputs:
                if name and last_use.get(name) == index and name not in keep:
                    values.pop(name, None)
        return {name: dense(values[name]) for name in self.outputs}


def declared_dims(value_info: onnx.ValueInfoProto) -> List[Optional[int]]:
    """Static dims of a graph input (None for symbolic ones)."""
    dims = value_info.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]


def constant_elem_type(attrs: Dict[str, object]) -> int:
    if "value" in attrs:
        return attrs["value"].data_type
    if "value_int" in attrs or "value_ints" in attrs:
        return onnx.TensorProto.INT64
    return onnx.TensorProto.FLOAT


# ----------------------------------------------------------------------------- ops


def pad_spatial(x: torch.Tensor, begin: Sequence[int], end: Sequence[int], value: float) -> torch.Tensor:
    """Pads the trailing len(begin) dims of x (F.pad lists the last dim first)."""
    widths = []
    for b, e in zip(reversed(list(begin)), reversed(list(end))):
        widths += [int(b), int(e)]
    if not any(widths):
        return x
    return F.pad(x, widths, mode="constant", value=value)


def window_geometry(node: Node, x: torch.Tensor, kernel: Sequence[int]):
    """strides, dilations, pads_begin, pads_end of a Conv or pooling node."""
    nd = len(kernel)
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", "VALID"):
        raise InputError(f"{node_label(node)}: auto_pad {auto_pad} is not supported (only NOTSET)")
    pads = list(node.attrs.get("pads", [0] * (2 * nd))) if auto_pad == "NOTSET" else [0] * (2 * nd)
    strides = list(node.attrs.get("strides", [1] * nd))
    dilations = list(node.attrs.get("dilations", [1] * nd))
    if x.dim() != nd + 2 or nd not in (1, 2, 3):
        raise InputError(f"{node_label(node)}: {nd}-D window on a rank-{x.dim()} tensor is not supported")
    return strides, dilations, pads[:nd], pads[nd:]


def pooled_extent(size: int, kernel: int, stride: int, dilation: int, begin: int, end: int, ceil_mode: bool) -> int:
    """ONNX pooling output size; with ceil_mode a window starting in the end padding is dropped."""
    span = dilation * (kernel - 1) + 1
    total = size + begin + end - span
    out = (-(-total // stride) if ceil_mode else total // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + begin:
        out -= 1
    return out


def prepare_pool_input(node: Node, x: torch.Tensor, value: float):
    """Pads x so that a plain (padding 0, floor mode) torch pooling yields the ONNX output,
    returning the padded tensor, the geometry and the output extents."""
    kernel = list(node.attrs["kernel_shape"])
    strides, dilations, begin, end = window_geometry(node, x, kernel)
    ceil_mode = bool(node.attrs.get("ceil_mode", 0))
    sizes = list(x.shape[2:])
    extents = [pooled_extent(n, k, s, d, b, e, ceil_mode)
               for n, k, s, d, b, e in zip(sizes, kernel, strides, dilations, begin, end)]
    needed_end = [max(e, (o - 1) * s + d * (k - 1) + 1 - n - b)
                  for n, k, s, d, b, e, o in zip(sizes, kernel, strides, dilations, begin, end, extents)]
    return pad_spatial(x, begin, needed_end, value), kernel, strides, dilations, begin, end, extents


def crop(y: torch.Tensor, extents: Sequence[int]) -> torch.Tensor:
    index = (slice(None), slice(None)) + tuple(slice(0, e) for e in extents)
    return y[index]


def op_max_pool(node: Node, args):
    x = dense(args[0])
    padded, kernel, strides, dilations, _, _, extents = prepare_pool_input(node, x, -math.inf)
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[len(kernel)]
    y = pool(padded, kernel, stride=strides, dilation=dilations)
    return [crop(y, extents)]


def op_average_pool(node: Node, args):
    x = dense(args[0])
    padded, kernel, strides, dilations, begin, end, extents = prepare_pool_input(node, x, 0.0)
    if any(d != 1 for d in dilations):
        raise InputError(f"{node_label(node)}: dilated AveragePool is not supported")
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[len(kernel)]
    window = float(np.prod(kernel))
    sums = crop(pool(padded, kernel, stride=strides), extents) * window
    # The divisor counts the window's elements inside the input (count_include_pad: inside
    # the input and its explicit pads; the extra end padding of ceil_mode never counts).
    counted = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype)
    if node.attrs.get("count_include_pad", 0):
        counted = pad_spatial(counted, begin, end, 1.0)
        lead = [0] * len(kernel)
    else:
        lead = list(begin)
    tail = [padded.shape[i + 2] - lead[i] - counted.shape[i + 2] for i in range(len(kernel))]
    counts = crop(pool(pad_spatial(counted, lead, tail, 0.0), kernel, stride=strides), extents) * window
    return [sums / counts]


def op_conv(node: Node, args):
    x, w = args[0], args[1]
    bias = args[2] if len(args) > 2 else None
    kernel = list(data_of(w).shape[2:])
    strides, dilations, begin, end = window_geometry(node, data_of(x), kernel)
    group = int(node.attrs.get("group", 1))
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[len(kernel)]
    symmetric = list(begin) == list(end)

    def run(data: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if symmetric:
            return conv(data, weights, stride=strides, padding=list(begin), dilation=dilations, groups=group)
        return conv(pad_spatial(data, begin, end, 0.0), weights, stride=strides, dilation=dilations, groups=group)

    exact = integer_product(x, w, 0, lambda qx, qw: integer_conv(qx, qw, run))
    if exact is not None:
        return [scaled_accumulator(exact, x, w, bias)]
    y = run(dense(x), dense(w))
    if bias is not None:
        y = y + along_axis(dense(bias), 1, y.dim())
    return [y]


def integer_product(x, w, w_channel_axis: int, compute):
    """compute(q_x, q_w) when x (per tensor) and w (per tensor or per channel on
    w_channel_axis) are both dequantized integers, else None."""
    if not (isinstance(x, Dequantized) and isinstance(w, Dequantized) and x.per_tensor()):
        return None
    if not w.per_tensor() and w.axis % w.q.dim() != w_channel_axis:
        return None
    return compute(x.q, w.q)


def integer_conv(qx: torch.Tensor, qw: torch.Tensor, run) -> Optional[torch.Tensor]:
    """The exact integer convolution of q_x and q_w as float64, or None if it cannot be
    made exact. A float32 convolution is exact while every partial sum is an integer of
    magnitude at most 2^24. The weights are split into signed digits whose row sums keep
    max|q_x| * sum|digit| within that (activations so wide that this is impossible are
    split instead), and the digits' convolutions are recombined in float64."""
    x_max = float(qx.abs().max())
    if not math.isfinite(x_max):
        return None
    digits = weight_digits(qw, x_max)
    if digits is not None:
        x32 = qx.float()
        return recombine((run(x32, digit), factor) for digit, factor in digits)
    row_sum = max_row_sum(qw)
    if row_sum > FLOAT32_EXACT:
        return None
    w32 = qw.float()
    bits = math.floor(math.log2(FLOAT32_EXACT / max(row_sum, 1.0))) + 1  # |digit| * row_sum <= 2^24
    return recombine((run(digit.float(), w32), factor) for digit, factor in signed_digits(qx, bits))


def max_row_sum(qw: torch.Tensor) -> float:
    """Largest sum of |w| over one output channel."""
    return float(qw.abs().flatten(1).sum(1).max()) if qw.numel() else 0.0


_WEIGHT_DIGITS: Dict[int, tuple] = {}  # id(q_w) -> (q_w kept alive, {x_max bound: digits})


def weight_digits(qw: torch.Tensor, x_max: float):
    """[(float32 digit, factor)] with q_w = sum(digit * factor) and max|q_x| * row sum of
    every digit <= 2^24, or None. Cached per weight tensor."""
    _, cache = _WEIGHT_DIGITS.setdefault(id(qw), (qw, {}))
    bound = FLOAT32_EXACT / max(x_max, 1.0)  # largest digit row sum allowed
    if bound < 1:
        return None
    key = math.floor(math.log2(bound))  # bounds rounded down to powers of two share an entry
    if key not in cache:
        cache[key] = split_weights(qw, 2.0**key)
    return cache[key]


def split_weights(qw: torch.Tensor, bound: float):
    """The fewest signed digits of q_w whose every row sum is at most bound, or None."""
    top = math.ceil(math.log2(float(qw.abs().max()) + 1.0)) + 1  # one digit: q_w itself
    for bits in range(top, 0, -1):
        digits = signed_digits(qw, bits)
        if all(max_row_sum(digit) <= bound for digit, _ in digits):
            return [(digit.float(), factor) for digit, factor in digits]
    return None


def signed_digits(q: torch.Tensor, bits: int):
    """[(digit, factor)] with q = sum(digit * factor), base-2^bits digits |digit| <= 2^(bits-1)."""
    base = 2.0**bits
    digits, rest, factor = [], q, 1.0
    while bool(rest.any()):
        digit = rest - base * torch.round(rest / base)
        digits.append((digit, factor))
        rest = (rest - digit) / base
        factor *= base
    return digits or [(q, 1.0)]


def recombine(partials) -> Optional[torch.Tensor]:
    """sum(partial * factor) in float64, None if a partial is not integral (as a
    transform-based convolution algorithm would make it; checked on a sample)."""
    total = None
    for partial, factor in partials:
        sample = partial.reshape(-1)[::101]
        if not torch.equal(sample, torch.round(sample)):
            return None
        term = partial.double()
        if factor != 1.0:
            term.mul_(factor)
        total = term if total is None else total.add_(term)
    return total


def scaled_accumulator(acc: torch.Tensor, x: Dequantized, w: Dequantized, bias) -> torch.Tensor:
    """Real value of an integer accumulator (channels on axis 1) at scale s_x * s_w[c],
    plus the bias. A 1-D bias dequantized at that same scale joins the accumulator as an
    integer, as in the integer path; any other bias is added in real units."""
    acc_scale = x.scale.reshape(()) * w.scale.reshape(-1)
    if isinstance(bias, Dequantized) and bias.q.dim() == 1 and same_scales(bias.scale, acc_scale):
        acc = acc + along_axis(bias.q, 1, acc.dim())
        bias = None
    y = acc * along_axis(acc_scale, 1, acc.dim())
    if bias is not None:
        real = dense(bias)
        y = y + (along_axis(real, 1, y.dim()) if real.dim() == 1 else real)
    return y


def same_scales(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two scalar or per-channel scales agree (up to float32 rounding)."""
    a, b = a.reshape(-1), b.reshape(-1)
    if a.numel() != b.numel() and 1 not in (a.numel(), b.numel()):
        return False
    a, b = torch.broadcast_tensors(a, b)
    return torch.allclose(a, b, rtol=SCALE_RTOL, atol=0)


def op_gemm(node: Node, args):
    a, b = args[0], args[1]
    c = args[2] if len(args) > 2 else None
    alpha = float(node.attrs.get("alpha", 1.0))
    beta = float(node.attrs.get("beta", 1.0))
    trans_a = int(node.attrs.get("transA", 0))
    trans_b = int(node.attrs.get("transB", 0))
    if alpha == 1.0 and beta == 1.0 and not trans_a:
        # Output channels are B's axis 0 when transposed, else axis 1; products of
        # integers summed in float64 are exact.
        exact = integer_product(a, b, 0 if trans_b else 1,
                                lambda qa, qb: integer_matmul(qa, qb.t() if trans_b else qb))
        if exact is not None:
            return [scaled_accumulator(exact, a, b, c)]
    a, b = dense(a), dense(b)
    a = a.t() if trans_a else a
    b = b.t() if trans_b else b
    y = alpha * (a @ b)
    if c is not None:
        y = y + beta * dense(c)
    return [y]


def integer_matmul(qa: torch.Tensor, qb: torch.Tensor) -> Optional[torch.Tensor]:
    """qa @ qb in float64, exact while every partial sum stays below 2^53; else None."""
    if qa.dim() != 2 or not torch.isfinite(qa).all():
        return None
    if float(qa.abs().max()) * float(qb.abs().sum(0).max()) > 2.0**53:
        return None
    return qa @ qb


def op_clip(node: Node, args):
    x = dense(args[0])
    low, high = clip_bounds(node, args)
    return [x if low is None and high is None else torch.clamp(x, min=low, max=high)]


def clip_bounds(node: Node, args):
    """(min, max) of a Clip, from its inputs (opset 11+) or attributes; None if absent."""
    if len(args) > 1 or "min" not in node.attrs and "max" not in node.attrs:
        low = float(dense(args[1])) if len(args) > 1 and args[1] is not None else None
        high = float(dense(args[2])) if len(args) > 2 and args[2] is not None else None
        return low, high
    return node.attrs.get("min"), node.attrs.get("max")


def op_batch_norm(node: Node, args):
    x, gamma, beta, mean, var = (dense(a) for a in args[:5])
    epsilon = float(node.attrs.get("epsilon", 1e-5))
    rank = x.dim()
    factor = gamma / torch.sqrt(var + epsilon)
    return [(x - along_axis(mean, 1, rank)) * along_axis(factor, 1, rank) + along_axis(beta, 1, rank)]


def op_binary(fn):
    def op(node: Node, args):
        a, b = dense(args[0]), dense(args[1])
        return [fn(a, b)]
    return op


def divide(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.is_floating_point() or b.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


def op_flatten(node: Node, args):
    x = args[0]
    data = data_of(x)
    axis = int(node.attrs.get("axis", 1))
    axis = axis + data.dim() if axis < 0 else axis
    shape = (int(np.prod(data.shape[:axis])), int(np.prod(data.shape[axis:])))
    return [reshaped(x, shape)]


def reshaped(x, shape):
    """Reshape keeping a per-tensor Dequantized value in integer form."""
    if isinstance(x, Dequantized) and x.per_tensor():
        return Dequantized(x.q.reshape(shape), x.scale, 0)
    return dense(x).reshape(shape)


def op_reshape(node: Node, args):
    x = args[0]
    data = data_of(x)
    target = [int(v) for v in args[1].tolist()]
    if not node.attrs.get("allowzero", 0):
        target = [data.shape[i] if v == 0 else v for i, v in enumerate(target)]
    return [reshaped(x, target)]


def op_concat(node: Node, args):
    return [torch.cat([dense(a) for a in args], dim=int(node.attrs["axis"]))]


def op_pad(node: Node, args):
    x = dense(args[0])
    mode = node.attrs.get("mode", "constant")
    if mode != "constant":
        raise InputError(f"{node_label(node)}: Pad mode {mode} is not supported (only constant)")
    if len(args) > 3 and args[3] is not None:
        raise InputError(f"{node_label(node)}: Pad with axes is not supported")
    pads = node.attrs["pads"] if "pads" in node.attrs else [int(v) for v in args[1].tolist()]
    if "value" in node.attrs:
        value = float(node.attrs["value"])
    else:
        value = float(dense(args[2])) if len(args) > 2 and args[2] is not None else 0.0
    rank = x.dim()
    return [pad_spatial(x, pads[:rank], pads[rank:], value)]


def op_constant(node: Node, args):
    attrs = node.attrs
    if "value" in attrs:
        return [to_torch(numpy_helper.to_array(attrs["value"]))]
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):
        if key in attrs:
            return [to_torch(np.array(attrs[key], dtype=dtype))]
    raise InputError(f"{node_label(node)}: unsupported Constant attribute {sorted(attrs)}")


def op_shape(node: Node, args):
    dims = list(data_of(args[0]).shape)
    start = int(node.attrs.get("start", 0))
    end = node.attrs.get("end")
    return [torch.tensor(dims[start:end] if end is not None else dims[start:], dtype=torch.int64)]


def op_gather(node: Node, args):
    data, indices = dense(args[0]), args[1]
    axis = int(node.attrs.get("axis", 0)) % data.dim()
    indices = torch.where(indices < 0, indices + data.shape[axis], indices)
    picked = data.index_select(axis, indices.reshape(-1))
    return [picked.reshape(tuple(data.shape[:axis]) + tuple(indices.shape) + tuple(data.shape[axis + 1:]))]


def axes_argument(node: Node, args) -> List[int]:
    if "axes" in node.attrs:
        return list(node.attrs["axes"])
    return [int(v) for v in args[1].tolist()] if len(args) > 1 and args[1] is not None else []


def op_unsqueeze(node: Node, args):
    x = dense(args[0])
    axes = axes_argument(node, args)
    rank = x.dim() + len(axes)
    for axis in sorted(a % rank for a in axes):
        x = x.unsqueeze(axis)
    return [x]


def op_squeeze(node: Node, args):
    x = dense(args[0])
    axes = axes_argument(node, args) or [i for i, n in enumerate(x.shape) if n == 1]
    for axis in sorted((a % x.dim() for a in axes), reverse=True):
        x = x.squeeze(axis)
    return [x]


def op_dequantize(node: Node, args):
    q = args[0]
    scale = args[1]
    zero_point = args[2] if len(args) > 2 and args[2] is not None else None
    q = q.double()
    if zero_point is not None and bool(zero_point.any()):
        q = q - along_axis(zero_point.double(), int(node.attrs.get("axis", 1)), q.dim())
    return [Dequantized(q, scale.double(), int(node.attrs.get("axis", 1)))]


def op_global_average_pool(node: Node, args):
    x = dense(args[0])
    return [x.mean(dim=tuple(range(2, x.dim())), keepdim=True)]


def op_relu(node: Node, args):
    return [torch.relu(dense(args[0]))]


def op_identity(node: Node, args):
    return [args[0]]


def op_dropout(node: Node, args):
    # Inference: the data unchanged, the optional mask all ones.
    return [args[0], torch.ones(data_of(args[0]).shape, dtype=torch.bool)]


OPS: Dict[str, Callable] = {
    "Add": op_binary(torch.add),
    "AveragePool": op_average_pool,
    "BatchNormalization": op_batch_norm,
    "Clip": op_clip,
    "Concat": op_concat,
    "Constant": op_constant,
    "Conv": op_conv,
    "DequantizeLinear": op_dequantize,
    "Div": op_binary(divide),
    "Dropout": op_dropout,
    "Flatten": op_flatten,
    "Gather": op_gather,
    "Gemm": op_gemm,
    "GlobalAveragePool": op_global_average_pool,
    "Identity": op_identity,
    "MatMul": op_binary(torch.matmul),
    "MaxPool": op_max_pool,
    "Mul": op_binary(torch.mul),
    "Pad": op_pad,
    "QuantizeLinear": None,  # needs its layer's rounding: see Emulation.quantize
    "Relu": op_relu,
    "Reshape": op_reshape,
    "Shape": op_shape,
    "Squeeze": op_squeeze,
    "Sub": op_binary(torch.sub),
    "Unsqueeze": op_unsqueeze,
}


def evaluate(node: Node, args) -> list:
    if node.op_type == "MaxPool" and len(node.outputs) > 1 and node.outputs[1]:
        raise InputError(f"{node_label(node)}: MaxPool indices output is not supported")
    return guarded(node, OPS[node.op_type], args)


def guarded(node: Node, op: Callable, args) -> list:
    """Runs op(node, args), reporting a malformed node (bad shapes, missing attributes)
    as an InputError that names it."""
    try:
        return op(node, args)
    except (RuntimeError, ValueError, IndexError, KeyError, TypeError) as error:
        raise InputError(f"{node_label(node)}: {type(error).__name__}: {error}") from None


def unsupported_ops(proto: onnx.ModelProto) -> List[str]:
    found = set()
    for node in proto.graph.node:
        if node.domain not in ("", "ai.onnx"):
            found.add(f"{node.domain}.{node.op_type}")
        elif node.op_type not in OPS:
            found.add(node.op_type)
    return sorted(found)


# ----------------------------------------------------------------------------- quantization


@dataclasses.dataclass(frozen=True)
class QuantRule:
    """How one QuantizeLinear is emulated.

    kind: "input" (ONNX QuantizeLinear: float32 division, half to even, type range),
          "round" / "floor" (a requantising layer: half up or floor, optional int16 wrap,
          clamp [lo, hi]), "passthrough" (MaxPool/Concat/Reshape: values must already be
          on the grid).
    """

    kind: str
    tensor: str
    lo: float = -math.inf
    hi: float = math.inf
    wrap16: bool = False
    layer: str = ""


class Emulation:
    """The QDQ model with each QuantizeLinear bound to its rule from quant.json."""

    def __init__(self, graph: Graph, quant: dict):
        self.graph = graph
        layers = quant.get("network")
        tensors = quant.get("tensors")
        if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers) \
                or not isinstance(tensors, dict):
            raise InputError("quant.json needs a \"network\" list of layer objects and a \"tensors\" object")
        self.layers_by_output = {layer.get("output"): layer for layer in layers}
        self.tensors = tensors
        check_scheme(graph, quant)
        graph_inputs = {name for name, _ in graph.inputs}
        self.rules: Dict[str, QuantRule] = {}
        for node in graph.nodes:
            if node.op_type == "QuantizeLinear":
                self.rules[node.outputs[0]] = self.rule_for(node, graph_inputs)
        if not self.rules:
            raise InputError(f"{graph.label}: no QuantizeLinear node (not a QDQ model)")
        self.bypass_fused_activations()

    def rule_for(self, node: Node, graph_inputs) -> QuantRule:
        out = node.outputs[0]
        tensor = out[: -len("_quantized")] if out.endswith("_quantized") else out
        scale = self.constant(node, 1, "scale")
        zero_point = self.constant(node, 2, "zero_point") if len(node.inputs) > 2 and node.inputs[2] else None
        zp_type = self.graph.elem_types.get(node.inputs[2], onnx.TensorProto.UINT8) if zero_point is not None \
            else onnx.TensorProto.UINT8
        self.check_tensor(node, tensor, scale, zp_type)
        type_lo, type_hi = integer_range(zp_type)
        if node.inputs[0] in graph_inputs:
            return QuantRule("input", tensor, type_lo, type_hi)
        if zero_point is not None and bool(zero_point.any()):
            raise InputError(f"{self.graph.label}: {node_label(node)} has a non-zero zero point; "
                             "the contract is symmetric")
        if scale.numel() != 1:
            raise InputError(f"{self.graph.label}: {node_label(node)} has a per-axis scale; activations are "
                             "quantized per tensor")
        layer = self.layers_by_output.get(tensor)
        if layer is None:
            raise InputError(f"{self.graph.label}: {node_label(node)} quantizes '{tensor}', but no layer of "
                             "quant.json \"network\" has that \"output\"")
        name = str(layer.get("name", tensor))
        if not requantises(layer):
            return QuantRule("passthrough", tensor, layer=name)
        rounding = layer.get("rounding")
        if rounding not in ("round", "floor"):
            raise InputError(f"quant.json layer '{name}': \"rounding\" is {json.dumps(rounding)}, expected "
                             "\"round\" or \"floor\"")
        if not isinstance(layer.get("lo"), (int, float)) or not isinstance(layer.get("hi"), (int, float)):
            raise InputError(f"quant.json layer '{name}': \"lo\"/\"hi\" missing or not numbers")
        bits = layer.get("intermediate_bits") or 0
        if bits not in (0, 16):
            raise InputError(f"quant.json layer '{name}': \"intermediate_bits\" is {bits}, expected 0 or 16")
        return QuantRule(rounding, tensor, float(layer["lo"]), float(layer["hi"]), bits == 16, name)

    def constant(self, node: Node, index: int, what: str) -> torch.Tensor:
        name = node.inputs[index] if len(node.inputs) > index else ""
        if name not in self.graph.constants:
            raise InputError(f"{self.graph.label}: {node_label(node)}: the {what} must be a constant")
        return dense(self.graph.constants[name])

    def check_tensor(self, node: Node, tensor: str, scale: torch.Tensor, zp_type: int):
        """The QuantizeLinear must agree with quant.json "tensors" (scale, bits, signedness)."""
        entry = self.tensors.get(tensor)
        if entry is None:
            raise InputError(f"{self.graph.label}: {node_label(node)} quantizes '{tensor}', which quant.json "
                             "\"tensors\" does not list")
        try:
            json_scale = float(entry["scale"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"quant.json tensor '{tensor}': no numeric \"scale\"") from None
        onnx_scale = float(scale.reshape(-1)[0])
        if scale.numel() != 1 or not math.isclose(onnx_scale, json_scale, rel_tol=SCALE_RTOL):
            raise InputError(f"tensor '{tensor}': QuantizeLinear scale {scale.reshape(-1).tolist()} differs from "
                             f"quant.json scale {json_scale}")
        lo, hi = integer_range(zp_type)
        bits, signed = int(round(math.log2(hi - lo + 1))), lo < 0
        if entry.get("bits") != bits or bool(entry.get("signed")) != signed:
            raise InputError(f"tensor '{tensor}': QuantizeLinear zero point is {'' if signed else 'u'}int{bits} "
                             f"but quant.json says bits {entry.get('bits')}, signed {entry.get('signed')}")

    def bypass_fused_activations(self):
        """Quantizes the input of a fused Relu/Clip directly when the layer's [lo, hi]
        implements that activation (see the module docstring)."""
        producers = self.graph.producers()
        consumers = self.graph.consumers()
        outputs = set(self.graph.outputs)
        dropped = set()
        for node in self.graph.nodes:
            rule = self.rules.get(node.outputs[0]) if node.op_type == "QuantizeLinear" else None
            if rule is None or rule.kind not in ("round", "floor"):
                continue
            activation = producers.get(node.inputs[0])
            if activation is None or activation.op_type not in ("Relu", "Clip"):
                continue
            if len(consumers.get(activation.outputs[0], [])) != 1 or activation.outputs[0] in outputs:
                continue
            if not self.clamp_implements(activation, rule, dense(self.graph.constants[node.inputs[1]])):
                print(f"warning: layer '{rule.layer}': [lo, hi] = [{rule.lo:g}, {rule.hi:g}] does not implement "
                      f"{node_label(activation)}; applying the activation before quantizing", file=sys.stderr)
                continue
            node.inputs[0] = activation.inputs[0]
            dropped.add(id(activation))
        self.graph.nodes = [n for n in self.graph.nodes if id(n) not in dropped]

    def clamp_implements(self, activation: Node, rule: QuantRule, scale: torch.Tensor) -> bool:
        if activation.op_type == "Relu":
            low, high = 0.0, None
        else:
            args = [self.graph.constants.get(n) if n else None for n in activation.inputs]
            if any(n and n not in self.graph.constants for n in activation.inputs[1:]):
                return False
            low, high = clip_bounds(activation, args)
        s = float(scale.reshape(-1)[0])
        # The contract's bounds: round_half_to_even(bound / scale).
        low_ok = low is None or rule.lo >= float(np.rint(low / s))
        high_ok = high is None or rule.hi <= float(np.rint(high / s))
        return low_ok and high_ok

    def quantize(self, node: Node, args):
        rule = self.rules[node.outputs[0]]
        x, scale = dense(args[0]), dense(args[1])
        zero_point = args[2] if len(args) > 2 and args[2] is not None else None
        if rule.kind == "input":
            shift = along_axis(zero_point.double(), int(node.attrs.get("axis", 1)), x.dim()) \
                if zero_point is not None else 0.0
            scale32 = along_axis(scale.float(), int(node.attrs.get("axis", 1)), x.dim())
            q = torch.round(x.float() / scale32).double() + shift
            return [q.clamp(rule.lo, rule.hi)]
        ratio = x / scale.reshape(())
        if rule.kind == "passthrough":
            q = torch.round(ratio)
            off = float((q - ratio).abs().max()) if q.numel() else 0.0
            if off > GRID_RTOL * max(1.0, float(q.abs().max()) if q.numel() else 0.0):
                raise InputError(f"layer '{rule.layer}': values of '{rule.tensor}' are up to {off:.3g} steps off its "
                                 "grid: a MaxPool/Concat/Reshape input has another scale, which the contract forbids")
            return [q]
        q = ratio.add_(0.5).floor_() if rule.kind == "round" else ratio.floor_()
        if rule.wrap16:
            q = q.add_(INT16_RANGE / 2).remainder_(INT16_RANGE).sub_(INT16_RANGE / 2)
        return [q.clamp_(rule.lo, rule.hi)]


def requantises(layer: dict) -> bool:
    """Conv, Add and AvgPool layers carry a requantisation; MaxPool, Concat and Reshape
    (rounding "none", no multiplier) do not."""
    if layer.get("rounding") == "none":
        return False
    if "multiplier" in layer:
        return bool(layer["multiplier"])
    return layer.get("type") not in PASSTHROUGH_TYPES


def check_scheme(graph: Graph, quant: dict):
    scheme = graph.metadata.get("wb.scheme")
    if scheme is not None and quant.get("scheme") is not None and scheme != quant["scheme"]:
        raise InputError(f"QDQ model scheme {scheme!r} differs from quant.json scheme {quant['scheme']!r}")


def float_quantize(node: Node, args):
    raise InputError(f"float model: {node_label(node)}: the float model must not be quantized")


# ----------------------------------------------------------------------------- running


ELEMENTWISE_BINARY = {"Add", "Sub", "Mul", "Div"}
BATCH_SAFE = {"Conv", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization",
              "Dropout", "Identity"} | ELEMENTWISE_BINARY


def batch_safe(graph: Graph) -> bool:
    """Whether stacking inputs along axis 0 can evaluate each one independently: a batch-1
    input and only ops that keep axis 0 as the batch (checked again while running)."""
    if len(graph.inputs) != 1 or not graph.inputs[0][1] or graph.inputs[0][1][0] != 1:
        return False
    for node in graph.nodes:
        attrs = node.attrs
        constant_inputs = [graph.constants[n] for n in node.inputs if n in graph.constants]
        if node.op_type in ELEMENTWISE_BINARY:
            safe = all(data_of(c).numel() == 1 for c in constant_inputs)
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            safe = all(data_of(c).numel() == 1 for c in constant_inputs)
        elif node.op_type == "Reshape":
            target = graph.constants.get(node.inputs[1])
            safe = target is not None and target.numel() > 0 and int(target[0]) in (0, 1) \
                and not attrs.get("allowzero", 0)
        elif node.op_type == "Flatten":
            safe = attrs.get("axis", 1) >= 1
        elif node.op_type == "Concat":
            safe = attrs["axis"] > 0
        elif node.op_type == "Gemm":
            safe = not attrs.get("transA", 0) and node.inputs[0] not in graph.constants
        elif node.op_type == "MatMul":
            safe = node.inputs[0] not in graph.constants and node.inputs[1] in graph.constants
        elif node.op_type == "Pad":
            pads = attrs.get("pads", graph.constants.get(node.inputs[1]) if len(node.inputs) > 1 else None)
            safe = pads is not None and int(pads[0]) == 0 and int(pads[len(pads) // 2]) == 0
        else:
            safe = node.op_type in BATCH_SAFE
        if not safe:
            return False
    return True


def batched_arguments(node: Node, args, batch: int, constants) -> list:
    """Arguments of a node in a batched run: a Reshape to [1, ...] keeps the batch
    ([0, ...] copies axis 0), elementwise operands must have the same rank."""
    if node.op_type == "Reshape" and int(args[1][0]) == 1:
        args = [args[0], torch.cat([torch.zeros(1, dtype=args[1].dtype), args[1][1:]])] + list(args[2:])
    if node.op_type in ELEMENTWISE_BINARY:
        ranks = {data_of(a).dim() for n, a in zip(node.inputs, args) if n not in constants}
        if len(ranks) > 1:
            raise NotBatchable(node_label(node))
    return args


def run_all(graph: Graph, inputs: List[torch.Tensor], quantize: Callable) -> Dict[str, List[torch.Tensor]]:
    """Outputs of the graph for every input, per output name (one tensor per input):
    BATCH inputs at a time where the graph allows it, else one by one."""
    name = graph.inputs[0][0]
    if batch_safe(graph):
        try:
            results: Dict[str, List[torch.Tensor]] = {out: [] for out in graph.outputs}
            for start in range(0, len(inputs), BATCH):
                chunk = inputs[start:start + BATCH]
                for out, y in graph.run({name: torch.cat(chunk, dim=0)}, quantize, len(chunk)).items():
                    results[out] += list(y.split(1, dim=0))
            return results
        except NotBatchable:
            pass
    results = {out: [] for out in graph.outputs}
    for x in inputs:
        for out, y in graph.run({name: x}, quantize).items():
            results[out].append(y)
    return results


# ----------------------------------------------------------------------------- metrics


def sqnr_db(f: torch.Tensor, q: torch.Tensor) -> float:
    signal = float((f * f).sum())
    noise = float(((f - q) ** 2).sum())
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def agreement(f_rows: torch.Tensor, q_rows: torch.Tensor):
    """(top-1, top-5) agreement over rows of the last axis (one row per input for
    [1, classes] outputs)."""
    if f_rows.shape[0] == 0 or f_rows.shape[1] == 0:
        return 1.0, 1.0
    f_best = f_rows.argmax(dim=1)
    top1 = float((q_rows.argmax(dim=1) == f_best).double().mean())
    k = min(5, q_rows.shape[1])
    top5 = float((q_rows.topk(k, dim=1).indices == f_best.unsqueeze(1)).any(dim=1).double().mean())
    return top1, top5


def compare(float_outputs, quant_outputs, pairs) -> List[dict]:
    report = []
    for f_name, q_name in pairs:
        f_list, q_list = float_outputs[f_name], quant_outputs[q_name]
        shaped = []
        for f, q in zip(f_list, q_list):
            if f.shape != q.shape:
                if f.numel() != q.numel():
                    raise InputError(f"output '{f_name}': float shape {list(f.shape)} but quantized shape "
                                     f"{list(q.shape)}")
                q = q.reshape(f.shape)
            shaped.append(q)
        f_all = torch.cat([f.reshape(-1) for f in f_list])
        q_all = torch.cat([q.reshape(-1) for q in shaped])
        last = f_list[0].shape[-1] if f_list[0].dim() else 1
        top1, top5 = agreement(f_all.reshape(-1, last), q_all.reshape(-1, last))
        report.append({"name": f_name, "sqnr_db": sqnr_db(f_all, q_all), "top1_agreement": top1,
                       "top5_agreement": top5})
    return report


def output_pairs(float_graph: Graph, qdq_graph: Graph):
    """(float output, quantized output) pairs: by name, else by position."""
    if set(float_graph.outputs) <= set(qdq_graph.outputs):
        return [(name, name) for name in float_graph.outputs]
    if len(float_graph.outputs) == len(qdq_graph.outputs):
        return list(zip(float_graph.outputs, qdq_graph.outputs))
    raise InputError(f"float outputs {float_graph.outputs} do not match QDQ outputs {qdq_graph.outputs}")


def json_number(value: float):
    """Strict JSON has no infinities: an infinite SQNR (equal outputs) is written as null,
    as in workbench's report.json."""
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------------------- inputs


def load_model(path: Path, label: str) -> onnx.ModelProto:
    if not path.is_file():
        raise InputError(f"{label} {path}: no such file")
    try:
        return onnx.load(str(path))
    except Exception as error:  # protobuf raises several types
        raise InputError(f"{label} {path}: not a readable ONNX model ({error})") from None


def load_quant_json(path: Path) -> dict:
    if not path.is_file():
        raise InputError(f"quant.json {path}: no such file")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"quant.json {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise InputError(f"quant.json {path}: not a JSON object")
    return data


def read_tensor(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        tensor = onnx.TensorProto()
        tensor.ParseFromString(path.read_bytes())
        return numpy_helper.to_array(tensor)
    except Exception as error:
        raise InputError(f"input {path}: unreadable ({error})") from None


def load_inputs(directory: Path, dims: Sequence[Optional[int]]) -> List[torch.Tensor]:
    """The .npy/.pb tensors of a folder, sorted by file name, checked against dims."""
    if not directory.is_dir():
        raise InputError(f"inputs {directory}: no such directory")
    files = sorted(p for p in directory.iterdir() if p.suffix in (".npy", ".pb") and p.is_file())
    if not files:
        raise InputError(f"inputs {directory}: no .npy or .pb files")
    tensors = []
    for path in files:
        array = read_tensor(path)
        shape_ok = array.ndim == len(dims) and all(d is None or d == n for d, n in zip(dims, array.shape))
        if not shape_ok:
            expected = ["?" if d is None else d for d in dims]
            raise InputError(f"input {path}: shape {list(array.shape)}, the float model expects {expected}")
        if array.dtype.kind != "f":
            raise InputError(f"input {path}: element type {array.dtype}, expected floating point")
        # float32 like the model's input; float64 carries these values exactly.
        tensors.append(torch.from_numpy(array.astype(np.float32).astype(np.float64)))
    return tensors


def check_models(float_proto: onnx.ModelProto, qdq_proto: onnx.ModelProto):
    problems = []
    for label, proto in (("float model", float_proto), ("QDQ model", qdq_proto)):
        ops = unsupported_ops(proto)
        if ops:
            problems.append(f"{label}: {', '.join(ops)}")
    if problems:
        raise InputError("unsupported op types: " + "; ".join(problems))


def check_inputs(float_graph: Graph, qdq_graph: Graph):
    for graph in (float_graph, qdq_graph):
        if len(graph.inputs) != 1:
            raise InputError(f"{graph.label}: {len(graph.inputs)} inputs, expected exactly one")
    f_dims, q_dims = float_graph.inputs[0][1], qdq_graph.inputs[0][1]
    if len(f_dims) != len(q_dims) or any(a is not None and b is not None and a != b for a, b in zip(f_dims, q_dims)):
        raise InputError(f"float model input shape {f_dims} differs from QDQ model input shape {q_dims}")


# ----------------------------------------------------------------------------- main


def evaluate_models(args) -> dict:
    float_proto = load_model(args.float_model, "float model")
    qdq_proto = load_model(args.qdq, "QDQ model")
    quant = load_quant_json(args.quant_json)
    check_models(float_proto, qdq_proto)
    with torch.no_grad():
        float_graph = Graph(float_proto, "float model")
        qdq_graph = Graph(qdq_proto, "QDQ model")
        del float_proto, qdq_proto
        check_inputs(float_graph, qdq_graph)
        emulation = Emulation(qdq_graph, quant)
        pairs = output_pairs(float_graph, qdq_graph)
        inputs = load_inputs(args.inputs, float_graph.inputs[0][1])
        float_outputs = run_all(float_graph, inputs, float_quantize)
        quant_outputs = run_all(qdq_graph, inputs, emulation.quantize)
    report = compare(float_outputs, quant_outputs, pairs)
    for entry in report:
        entry["sqnr_db"] = json_number(entry["sqnr_db"])
    return {"outputs": report, "inputs": len(inputs)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--float", dest="float_model", type=Path, required=True, metavar="MODEL.onnx",
                        help="the float ONNX model")
    parser.add_argument("--qdq", type=Path, required=True, metavar="OUT/model.qdq.onnx",
                        help="the QDQ model written by `workbench quantize -o OUT`")
    parser.add_argument("--quant-json", type=Path, required=True, metavar="OUT/quant.json",
                        help="the quant.json written next to it")
    parser.add_argument("--inputs", type=Path, required=True, metavar="DIR",
                        help="folder of .npy/.pb input tensors (sorted by name), one per evaluation input")
    parser.add_argument("--json", type=Path, metavar="RESULT.json", help="also write the result here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(THREADS)
    try:
        result = evaluate_models(args)
    except InputError as error:
        print(f"quant_reference.py: error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2, allow_nan=False)
    print(text)
    if args.json:
        try:
            args.json.write_text(text + "\n")
        except OSError as error:
            print(f"quant_reference.py: error: cannot write {args.json}: {error.strerror}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
