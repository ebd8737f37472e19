#!/usr/bin/python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/ (docs/fuzzing.md).

Run from anywhere: /usr/bin/python3 tests/fuzz/make_seeds.py [--workbench PATH]
Deterministic (fixed seeds), so rerunning it rewrites the same bytes. With --workbench, the
QDQ seeds are also made, by quantizing some of the ONNX seeds with `workbench quantize`.
The compiled programs are not made here: they change format with the compiler, so
scripts/fuzz.sh and ctest compile them when they run.
"""

import argparse
import pathlib
import struct
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
rng = np.random.default_rng(20)


def write(target, name, data, kind="corpus"):
    folder = HERE / kind / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def weights(*shape):
    return rng.normal(0, 0.3, shape).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(name, nodes, inputs, outputs, initializers=(), opset=13):
    inputs = list(inputs)
    if opset < 9:  # before IR version 4 every initializer is also a graph input
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in initializers]
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_seeds")
    m.ir_version = 7 if opset >= 9 else 3
    return m


def tensor_in(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def onnx_seeds():
    x = tensor_in("input", [1, 4, 8, 8])
    seeds = {}
    # Conv + BatchNormalization + Relu + MaxPool + GlobalAveragePool + Flatten + Gemm.
    seeds["conv_bn_relu_gemm"] = model(
        "conv_bn_relu_gemm",
        [helper.make_node("Conv", ["input", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["bn"], epsilon=1e-5),
         helper.make_node("Relu", ["bn"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["gap"]),
         helper.make_node("Flatten", ["gap"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "fw", "fb"], ["output"], transB=1)],
        [x], [tensor_in("output", [1, 3])],
        [init("w", weights(6, 4, 3, 3)), init("b", weights(6)), init("g", np.abs(weights(6)) + 0.5),
         init("beta", weights(6)), init("mean", weights(6)), init("var", np.abs(weights(6)) + 0.5),
         init("fw", weights(3, 6)), init("fb", weights(3))])
    # Residual add, ReLU6 as Clip with inputs, asymmetric Pad, depthwise conv.
    seeds["pad_clip_depthwise_add"] = model(
        "pad_clip_depthwise_add",
        [helper.make_node("Pad", ["input", "pads", "zero"], ["padded"]),
         helper.make_node("Conv", ["padded", "dw"], ["d"], kernel_shape=[2, 2], group=4),
         helper.make_node("Clip", ["d", "lo", "hi"], ["c"]),
         helper.make_node("Add", ["c", "input"], ["output"])],
        [x], [tensor_in("output", [1, 4, 8, 8])],
        [init("pads", np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64)), init("zero", np.array(0, np.float32)),
         init("dw", weights(4, 1, 2, 2)), init("lo", np.array(0, np.float32)), init("hi", np.array(6, np.float32))])
    # Opset 9: Clip and Pad with attributes, Upsample.
    seeds["opset9_clip_pad_upsample"] = model(
        "opset9_clip_pad_upsample",
        [helper.make_node("Pad", ["input"], ["padded"], pads=[0, 0, 1, 1, 0, 0, 1, 1]),
         helper.make_node("Clip", ["padded"], ["c"], min=0.0, max=6.0),
         helper.make_node("Conv", ["c", "w"], ["conv"], kernel_shape=[3, 3]),
         helper.make_node("Upsample", ["conv", "scales"], ["output"], mode="nearest")],
        [x], [tensor_in("output", [1, 2, 16, 16])],
        [init("w", weights(2, 4, 3, 3)), init("scales", np.array([1, 1, 2, 2], np.float32))], opset=9)
    # Inception-like concat with an AveragePool branch (ceil_mode, count_include_pad=0).
    seeds["concat_avgpool"] = model(
        "concat_avgpool",
        [helper.make_node("Conv", ["input", "w1"], ["a"], kernel_shape=[1, 1]),
         helper.make_node("MaxPool", ["input"], ["m"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["m", "w2"], ["b"], kernel_shape=[1, 1]),
         helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
         helper.make_node("AveragePool", ["cat"], ["output"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1,
                          count_include_pad=0)],
        [x], [tensor_in("output", [1, 6, 4, 4])],
        [init("w1", weights(3, 4, 1, 1)), init("w2", weights(3, 4, 1, 1))])
    # Shape arithmetic the constant folder evaluates: Shape, Gather, Unsqueeze, Concat, Reshape.
    seeds["shape_ops_reshape"] = model(
        "shape_ops_reshape",
        [helper.make_node("Shape", ["input"], ["shape"]),
         helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
         helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
         helper.make_node("Concat", ["batch1", "minus1"], ["new_shape"], axis=0),
         helper.make_node("Reshape", ["input", "new_shape"], ["flat"]),
         helper.make_node("MatMul", ["flat", "mw"], ["mm"]),
         helper.make_node("Softmax", ["mm"], ["output"], axis=-1)],
        [x], [tensor_in("output", [1, 5])],
        [init("zero", np.array(0, np.int64)), init("axes", np.array([0], np.int64)),
         init("minus1", np.array([-1], np.int64)), init("mw", weights(256, 5))])
    # ConstantOfShape, Range, Expand, Cast, Slice, Squeeze, Transpose.
    seeds["constant_of_shape_slice"] = model(
        "constant_of_shape_slice",
        [helper.make_node("ConstantOfShape", ["cshape"], ["ones"],
                          value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
         helper.make_node("Range", ["start", "limit", "delta"], ["range"]),
         helper.make_node("Cast", ["range"], ["rangef"], to=TensorProto.FLOAT),
         helper.make_node("Expand", ["rangef", "eshape"], ["expanded"]),
         helper.make_node("Mul", ["ones", "expanded"], ["scale"]),
         helper.make_node("Slice", ["input", "starts", "ends", "saxes"], ["sliced"]),
         helper.make_node("Mul", ["sliced", "scale"], ["scaled"]),
         helper.make_node("Transpose", ["scaled"], ["t"], perm=[0, 1, 3, 2]),
         helper.make_node("ReduceMean", ["t"], ["rm"], axes=[2, 3], keepdims=1),
         helper.make_node("Squeeze", ["rm", "sq"], ["output"])],
        [x], [tensor_in("output", [1, 4])],
        [init("cshape", np.array([1, 4, 4, 8], np.int64)), init("start", np.array(0, np.int64)),
         init("limit", np.array(8, np.int64)), init("delta", np.array(1, np.int64)),
         init("eshape", np.array([1, 4, 4, 8], np.int64)), init("starts", np.array([2], np.int64)),
         init("ends", np.array([6], np.int64)), init("saxes", np.array([2], np.int64)),
         init("sq", np.array([2, 3], np.int64))])
    # Activations and elementwise ops.
    seeds["activations_elementwise"] = model(
        "activations_elementwise",
        [helper.make_node("Sigmoid", ["input"], ["s"]),
         helper.make_node("HardSwish", ["input"], ["hs"]),
         helper.make_node("LeakyRelu", ["input"], ["lr"], alpha=0.1),
         helper.make_node("PRelu", ["input", "slope"], ["pr"]),
         helper.make_node("Tanh", ["input"], ["th"]),
         helper.make_node("HardSigmoid", ["input"], ["hsg"]),
         helper.make_node("Sub", ["s", "hs"], ["a"]),
         helper.make_node("Div", ["lr", "two"], ["b"]),
         helper.make_node("Max", ["a", "b"], ["c"]),
         helper.make_node("Min", ["pr", "th"], ["d"]),
         helper.make_node("Sum", ["c", "d", "hsg"], ["e"]),
         helper.make_node("Dropout", ["e"], ["f"]),
         helper.make_node("Identity", ["f"], ["g"]),
         helper.make_node("GlobalMaxPool", ["g"], ["output"])],
        [x], [tensor_in("output", [1, 4, 1, 1])],
        [init("slope", np.full((4, 1, 1), 0.2, np.float32)), init("two", np.array(2, np.float32))], opset=14)
    # Split (opset 13, sizes as an input) and Resize (opset 11, scales).
    seeds["split_resize"] = model(
        "split_resize",
        [helper.make_node("Split", ["input", "split"], ["s0", "s1"], axis=1),
         helper.make_node("Resize", ["s0", "", "scales"], ["r"], mode="nearest"),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Add", ["p", "s1"], ["output"])],
        [x], [tensor_in("output", [1, 2, 8, 8])],
        [init("split", np.array([2, 2], np.int64)), init("scales", np.array([1, 1, 2, 2], np.float32))])
    # Opset 7: BatchNormalization without spatial change, old broadcasting Add, Softmax of 2-D.
    seeds["opset7_bn_gemm_softmax"] = model(
        "opset7_bn_gemm_softmax",
        [helper.make_node("BatchNormalization", ["input", "g", "beta", "mean", "var"], ["bn"]),
         helper.make_node("Flatten", ["bn"], ["f"]),
         helper.make_node("Gemm", ["f", "fw", "fb"], ["gemm"], transB=1),
         helper.make_node("Softmax", ["gemm"], ["output"])],
        [x], [tensor_in("output", [1, 4])],
        [init("g", np.ones(4, np.float32)), init("beta", np.zeros(4, np.float32)),
         init("mean", np.zeros(4, np.float32)), init("var", np.ones(4, np.float32)),
         init("fw", weights(4, 256)), init("fb", weights(4))], opset=7)
    # A Constant node and an op the workbench does not support.
    seeds["constant_node_unsupported"] = model(
        "constant_node_unsupported",
        [helper.make_node("Constant", [], ["k"], value=helper.make_tensor("k", TensorProto.FLOAT, [1], [0.5])),
         helper.make_node("Mul", ["input", "k"], ["m"]),
         helper.make_node("Erf", ["m"], ["output"])],
        [x], [tensor_in("output", [1, 4, 8, 8])], opset=13)
    for name, m in seeds.items():
        if name != "constant_node_unsupported":  # Erf is valid ONNX, but the checker is not the point there
            onnx.checker.check_model(m)
        write("onnx_import", name + ".onnx", m.SerializeToString())
    return seeds


def overflow_regressions():
    """Models whose attributes or constants overflow int64 shape arithmetic: found by reading
    the code after the fuzzer's first such finding (Resize), fixed with it; kept as regression
    inputs beside the fuzzer's own."""
    x = tensor_in("input", [1, 4, 8, 8])
    big = 2 ** 62
    cases = {
        "slice-step-int64-min": model(
            "slice", [helper.make_node("Slice", ["input", "s", "e", "a", "st"], ["output"])], [x],
            [tensor_in("output", [1, 4, 8, 1])],
            [init("s", np.array([-1], np.int64)), init("e", np.array([-(2 ** 63)], np.int64)),
             init("a", np.array([3], np.int64)), init("st", np.array([-(2 ** 63)], np.int64))]),
        "range-count-below-int64-min": model(
            "range", [helper.make_node("Range", ["a", "b", "c"], ["r"]),
                      helper.make_node("Add", ["input", "r"], ["output"])], [x], [tensor_in("output", [1, 4, 8, 8])],
            [init("a", np.array(0, np.float32)), init("b", np.array(-1e30, np.float32)),
             init("c", np.array(1e-10, np.float32))]),
        "conv-dilation-overflows-window": model(
            "dilation", [helper.make_node("Conv", ["input", "w"], ["output"], dilations=[big, big])], [x],
            [tensor_in("output", [1, 2, 1, 1])], [init("w", weights(2, 4, 3, 3))]),
        "maxpool-pads-overflow-window": model(
            "pads", [helper.make_node("MaxPool", ["input"], ["output"], kernel_shape=[2, 2],
                                      pads=[2 ** 63 - 1, 0, 2 ** 63 - 1, 0])], [x],
            [tensor_in("output", [1, 4, 8, 8])]),
        "flatten-of-empty-input-overflows": model(
            "flatten", [helper.make_node("Flatten", ["in0"], ["output"], axis=2)],
            [tensor_in("in0", [big, 4, 0])], [tensor_in("output", [1, 0])]),
        "resize-negative-sizes": model(
            "resize", [helper.make_node("Resize", ["input", "", "", "sizes"], ["output"], mode="nearest")], [x],
            [tensor_in("output", [1, 4, 8, 8])], [init("sizes", np.array([1, 4, -8, 8], np.int64))]),
    }
    for name, m in cases.items():
        write("onnx_import", f"ubsan-{name}.onnx", m.SerializeToString(), kind="regressions")


def qlinear_seed():
    # QLinearConv with MaxPool and Flatten on its integers: the other QDQ form.
    x = tensor_in("input", [1, 4, 8, 8])
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "xs", "xz"], ["xq"]),
        helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["yq"],
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["yq"], ["pq"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pq"], ["fq"]),
        helper.make_node("DequantizeLinear", ["fq", "ys", "yz"], ["output"]),
    ]
    inits = [init("xs", np.array(1 / 64, np.float32)), init("xz", np.array(0, np.int8)),
             init("w", rng.integers(-127, 128, (4, 4, 3, 3), dtype=np.int8)), init("ws", np.array(1 / 128, np.float32)),
             init("wz", np.array(0, np.int8)), init("ys", np.array(1 / 16, np.float32)),
             init("yz", np.array(0, np.int8)), init("b", rng.integers(-500, 500, (4,), dtype=np.int32))]
    m = model("qlinear", nodes, [x], [tensor_in("output", [1, 64])], inits)
    write("qdq_import", "qlinearconv_maxpool_flatten.onnx", m.SerializeToString())


def qdq_seeds(workbench, seeds):
    with tempfile.TemporaryDirectory() as tmp:
        for name, scheme in [("conv_bn_relu_gemm", "xdnn"), ("pad_clip_depthwise_add", "pulp"),
                             ("opset7_bn_gemm_softmax", "pow2"), ("shape_ops_reshape", "pulp")]:
            source = pathlib.Path(tmp) / (name + ".onnx")
            source.write_bytes(seeds[name].SerializeToString())
            out = pathlib.Path(tmp) / (name + "_" + scheme)
            subprocess.run([workbench, "quantize", str(source), "--scheme", scheme, "--calib-count", "2", "-o", str(out)],
                           check=True, stdout=subprocess.DEVNULL)
            write("qdq_import", f"{name}.{scheme}.qdq.onnx", (out / "model.qdq.onnx").read_bytes())


def npy_bytes(array, version=1):
    header = {"descr": array.dtype.str, "fortran_order": False, "shape": array.shape}
    text = repr(header).encode("latin1")
    prefix = 10 if version == 1 else 12
    pad = (64 - (prefix + len(text) + 1) % 64) % 64
    text += b" " * pad + b"\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + array.tobytes()


def npy_seeds():
    cases = {
        "f4_1x3x4x4": rng.normal(size=(1, 3, 4, 4)).astype("<f4"),
        "f8_2x3": rng.normal(size=(2, 3)).astype("<f8"),
        "i1_5": np.arange(-2, 3, dtype="i1"),
        "u1_2x2": np.array([[0, 255], [1, 128]], "u1"),
        "i2_3": np.array([-300, 0, 300], "<i2"),
        "u2_2": np.array([1, 65535], "<u2"),
        "i4_scalar": np.array(7, "<i4"),
        "u4_empty": np.zeros((0, 3), "<u4"),
        "i8_3": np.array([-1, 0, 1], "<i8"),
        "u8_2": np.array([0, 2 ** 63], "<u8"),
        "b1_4": np.array([True, False, True, True]),
    }
    for name, array in cases.items():
        write("tensor_npy", name + ".npy", npy_bytes(array))
    write("tensor_npy", "f4_v2_header.npy", npy_bytes(cases["f4_1x3x4x4"][:, :1], version=2))
    write("tensor_npy", "f4_v3_header.npy", npy_bytes(cases["f8_2x3"].astype("<f4"), version=3))


def pb_seeds():
    arrays = {
        "float_raw": rng.normal(size=(1, 3, 2, 2)).astype(np.float32),
        "double_raw": rng.normal(size=(3,)),
        "int8_raw": np.array([-128, 0, 127], np.int8),
        "uint8_raw": np.array([[0, 255]], np.uint8),
        "int16_raw": np.array([-3, 3], np.int16),
        "int64_scalar": np.array(42, np.int64),
        "bool_raw": np.array([True, False]),
        "empty": np.zeros((2, 0), np.float32),
    }
    for name, array in arrays.items():
        write("tensor_pb", name + ".pb", numpy_helper.from_array(array, name).SerializeToString())
    typed = [
        helper.make_tensor("float_data", TensorProto.FLOAT, [2, 2], [1.0, -2.0, 3.5, 0.0]),
        helper.make_tensor("double_data", TensorProto.DOUBLE, [2], [1e300, -1e-300]),
        helper.make_tensor("int32_data_int8", TensorProto.INT8, [3], [-1, 2, -3]),
        helper.make_tensor("int32_data_uint16", TensorProto.UINT16, [2], [0, 65535]),
        helper.make_tensor("int32_data_bool", TensorProto.BOOL, [3], [1, 0, 1]),
        helper.make_tensor("int32_data_int32", TensorProto.INT32, [2], [-(2 ** 31), 2 ** 31 - 1]),
        helper.make_tensor("int64_data", TensorProto.INT64, [2], [-(2 ** 63), 2 ** 63 - 1]),
        helper.make_tensor("uint64_data_uint32", TensorProto.UINT32, [2], [0, 2 ** 32 - 1]),
        helper.make_tensor("uint64_data_uint64", TensorProto.UINT64, [1], [2 ** 64 - 1]),
        helper.make_tensor("float16_unsupported", TensorProto.FLOAT16, [1], [1.0]),
    ]
    for t in typed:
        write("tensor_pb", t.name + ".pb", t.SerializeToString())
    external = helper.make_tensor("external", TensorProto.FLOAT, [4], [0.0] * 4)
    external.ClearField("float_data")
    external.data_location = TensorProto.EXTERNAL
    for key, value in [("location", "weights.bin"), ("offset", "0"), ("length", "16")]:
        entry = external.external_data.add()
        entry.key, entry.value = key, value
    write("tensor_pb", "external.pb", external.SerializeToString())


def hw_config_seeds():
    overrides = {
        "v3_96": ["array.rows=32", "am_bytes=2MiB", "host_fc_softmax=true", "ddr_gbps=12.5"],
        "v2_28": ["am_width_align=4", "filter_cache_bytes=128KiB"],
        "gap8": ["cores=4", "l1_tile_budget_bytes=32KiB", "l3_bytes_per_cycle=0.5"],
        "pulp_open": ["cores=8", "l1_banks=16", "dma_burst_bytes=1.5KiB"],
    }
    for name, items in overrides.items():
        text = (SOURCE / "configs" / (name + ".yaml")).read_bytes()
        write("hw_config", name + ".set.yaml", text + b"\0" + "\n".join(items).encode())
    write("hw_config", "flow_style.yaml",
          b"{name: tiny, target: pulp, clock_mhz: 100, cores: 2}\0cores=9\nnot_a_key=1\nclock_mhz")


def sweep_seeds():
    write("sweep_spec", "grid_ranges_constraint.yaml", b"""name: fuzz_grid
description: a grid over both array sizes and AM, with a constraint and a Pareto plot
mode: timing
configs: [../v3_96.yaml]
models: [../../workloads/tiny_resnet.onnx]
axes:
  array.rows: [32 .. 96 step 32]
  am_bytes: [2MiB .. 8MiB x 2]
constraints:
  - array.rows * array.cols <= 1024
report:
  pareto:
    - {x: array.rows * array.cols, x_label: DSPs, y: latency_ms}
""")
    write("sweep_spec", "zip_two_targets_ablation.yaml", b"""name: fuzz_zip
mode: verify
configs: [../v3_96.yaml, ../gap8.yaml]
models:
  - {model: ../../workloads/tiny_mobilenet_v2.onnx, name: mbv2, input: ../../workloads/tiny_mobilenet_v2.input.npy}
axes:
  compile_opt: ablation
quantization: {scheme: target, calib_count: 4, calib_method: percentile, percentile: 99.9, seed: 3}
timeout_s: 60
""")
    write("sweep_spec", "zip_pulp.yaml", b"""name: fuzz_zip_pulp
configs: ../gap8.yaml
models: [../../workloads/tiny_resnet.onnx]
combine: zip
axes:
  cores: [1, 2, 4]
  l1_tile_budget_bytes: [16KiB, 32KiB, 48KiB]
  compile_opt: ["tiler=dory", "tiler=cost", "default"]
""")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbench", help="the workbench binary, to make the QDQ seeds")
    args = parser.parse_args()
    seeds = onnx_seeds()
    overflow_regressions()
    qlinear_seed()
    if args.workbench:
        qdq_seeds(args.workbench, seeds)
    npy_seeds()
    pb_seeds()
    hw_config_seeds()
    sweep_seeds()


if __name__ == "__main__":
    main()
