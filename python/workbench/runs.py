"""run, compile, simulate and verify: the commands of the same name, returning a Run."""

import json
import os
import tempfile

import numpy as np
import pandas as pd

from . import _core
from ._arguments import assignments, non_negative_int, path_text, python_words, warn_all


class WorkbenchWarning(UserWarning):
    """A warning the workbench printed after a command (e.g. calibrating on synthetic inputs)."""


# The per-layer figures every target has, first in Run.layers, in the order the report declares
# them (the objects among them, bound, energy and time, come flattened with the rest); the rest
# (bound.*, energy.*, time.*, the target's block <target>.*) follow in the report's order.
_LEADING_LAYER_COLUMNS = _core.layer_statistics()


def _table(rows):
    frame = pd.json_normalize(rows, sep=".") if rows else pd.DataFrame()
    leading = [c for c in _LEADING_LAYER_COLUMNS if c in frame.columns]
    return frame[leading + [c for c in frame.columns if c not in leading]]


class Run:
    """The run report of `run`, `simulate` or `verify` (docs/report.md), as Python data.

    report   the JSON report as a dict (exactly what --json writes)
    verdict  "bit-exact", "mismatch" or "not-verified"
    totals   the run's totals (dict)
    layers   one row per layer, every statistic: time causes (time.*), bound (bound.*),
             energy (energy.*), predicted cycles, and the target's own (pulp.*, xdnn.*)
    units    one row per hardware unit (busy cycles, operations, bytes)
    outputs  the simulated network outputs: integer numpy arrays in the model's layout (NCHW; an
             output of tokens, a detector's [1, N, K], as such)
    float_outputs  the same times their quantization scales (None when unknown: simulate)
    """

    def __init__(self, called):
        self.report = json.loads(called["report"])
        self.log = called["log"]
        self.warnings = list(called["warnings"])
        self.output_names = [name for name, _, _ in called["outputs"]]
        self.outputs = [values for _, values, _ in called["outputs"]]
        self._scales = [scale for _, _, scale in called["outputs"]]
        warn_all(self.warnings, WorkbenchWarning)

    @property
    def verdict(self):
        return self.report["verdict"]

    @property
    def mismatch(self):
        return self.report["mismatch"]

    @property
    def totals(self):
        return self.report["totals"]

    @property
    def hw(self):
        return self.report["hw"]

    @property
    def layers(self):
        return _table(self.report["layers"])

    @property
    def units(self):
        return _table(self.report["units"])

    @property
    def float_outputs(self):
        return [values * scale if scale else None for values, scale in zip(self.outputs, self._scales)]

    def to_json(self, path=None):
        """The report as JSON text; written to `path` too when given (what --json writes)."""
        text = json.dumps(self.report, indent=2, sort_keys=True)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

    def plot(self, folder):
        """The run's roofline and energy charts as SVG files in `folder` (what --plot writes)."""
        _core.plot(json.dumps(self.report), path_text(folder))

    def __repr__(self):
        t = self.totals
        return (f"<Run {self.report['model']['name']} on {self.report['hw'].get('resolved', {}).get('name', '?')}: "
                f"{self.verdict}, {t['cycles']} cycles, {t['mac_per_cycle']:.2f} MAC/cycle>")


def _hw_arguments(hw, set):
    """A config path or HwConfig, and more overrides -> (path, overrides)."""
    from .hw import HwConfig
    if isinstance(hw, HwConfig):
        return hw.path, hw.overrides + assignments(set, "set")
    return path_text(hw), assignments(set, "set")


class _InputFiles:
    """`inputs` as the command line takes them (--input NAME=PATH or PATH, repeated): a file path
    as it is, an array through a .npy file in a temporary folder. A float array is saved as
    float32, an integer one (token ids) as it is."""

    def __init__(self, inputs):
        self.texts, self._folder = [], None
        if inputs is None:
            return
        if isinstance(inputs, dict):
            items = list(inputs.items())
        elif isinstance(inputs, (list, tuple)):
            items = [("", value) for value in inputs]
        else:
            items = [("", inputs)]
        for index, (name, value) in enumerate(items):
            if not isinstance(name, str):
                raise TypeError(f"inputs: give the graph inputs' names as strings, not {name!r}")
            if isinstance(value, (str, os.PathLike)):
                path = os.fspath(value)
            else:
                if self._folder is None:
                    self._folder = tempfile.TemporaryDirectory(prefix="workbench-input-")
                path = os.path.join(self._folder.name, f"input{index}.npy")
                array = np.asarray(value)
                if not np.issubdtype(array.dtype, np.integer):
                    array = array.astype(np.float32)
                np.save(path, array)
            self.texts.append(f"{name}={path}" if name else path)

    def __enter__(self):
        return self.texts

    def __exit__(self, *exc):
        if self._folder is not None:
            self._folder.cleanup()


def _shape_texts(shapes):
    """{"input": (1, 3, 32, 32)} or ["input=1x3x32x32"] -> ["input=1x3x32x32"] (--shape)."""
    if shapes is None:
        return []
    if isinstance(shapes, dict):
        texts = []
        for name, shape in shapes.items():
            sizes = [shape] if isinstance(shape, int) else list(shape)
            texts.append(f"{name}=" + "x".join(str(int(size)) for size in sizes))
        return texts
    return assignments(shapes, "shapes")


# What every quantizing call's keywords mean, once (each function's help lists its own).
_QUANTIZE_HELP = """scheme       the quantization scheme, "" for the target's own ("pow2", "xdnn", "pulp")
    calib        a folder of calibration inputs (.npy/.pb files); default: seeded N(0,1) inputs (--calib)
    calib_method how thresholds are chosen: "max", "percentile" or "entropy" (--calib-method)
    calib_count  how many seeded inputs calibrate without `calib` (--calib-count), at least 1
    seed         the seed of the synthetic inputs (calibration and, without `inputs`, the run's), >= 0
    cache        take the quantized model from the model cache (False: --no-cache)
    threads      worker threads of the float and golden executors; 0: the cores other processes
                 leave idle (--threads)"""


def _checked(seed, threads, calib_count=1):
    return (non_negative_int(seed, "seed"), non_negative_int(threads, "threads", "0 (automatic) or a thread count"),
            non_negative_int(calib_count, "calib_count", "a positive count"))


def run(model, hw, set=None, compile_opt=None, data=True, inputs=None, *, shapes=None, scheme="", calib=None,
        calib_method="max", calib_count=16, seed=1, cache=True, threads=0):
    seed, threads, calib_count = _checked(seed, threads, calib_count)
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFiles(inputs) as input_texts, python_words():
        return Run(_core.run(path_text(model), hw_path, overrides, assignments(compile_opt, "compile_opt"), scheme,
                             path_text(calib), calib_method, calib_count, seed, data, input_texts, cache, threads,
                             _shape_texts(shapes)))


run.__doc__ = f"""Quantize, compile, simulate and check `model` on `hw` (`workbench run`); returns a Run.

    model        an ONNX file
    hw           a config file or a HwConfig
    set          config overrides, {{"cores": 4, "l1_bytes": "128KiB"}} (--set)
    compile_opt  compiler switches, {{"tiler": "dory"}} (--compile-opt)
    data         False: timing only, no arithmetic and no golden check (--no-data)
    inputs       the model's inputs (--input): an array (float32, or integer token ids) or a .npy/.pb
                 file for a model of one input; a list of them in the graph's order; or a dict
                 {{input name: array or file}}. Default: seeded N(0,1)
    shapes       the sizes of inputs whose dimensions the model leaves symbolic (--shape):
                 {{"input": (1, 3, 32, 32)}}. An --input's own shape gives them too
    {_QUANTIZE_HELP}
    """


def compile(model, hw, out, set=None, compile_opt=None, *, shapes=None, scheme="", calib=None, calib_method="max",
            calib_count=16, seed=1, cache=True, threads=0):
    seed, threads, calib_count = _checked(seed, threads, calib_count)
    hw_path, overrides = _hw_arguments(hw, set)
    with python_words():
        called = _core.compile(path_text(model), hw_path, path_text(out), overrides,
                               assignments(compile_opt, "compile_opt"), scheme, path_text(calib), calib_method,
                               calib_count, seed, cache, threads, _shape_texts(shapes))
    warn_all(called["warnings"], WorkbenchWarning)
    return out


compile.__doc__ = f"""Quantize and compile `model` for `hw` into the folder `out` (`workbench compile`); returns `out`.

    model        an ONNX file
    hw           a config file or a HwConfig
    out          the folder the program and its files are written to
    set          config overrides, {{"cores": 4}} (--set)
    compile_opt  compiler switches, {{"tiler": "dory"}} (--compile-opt)
    shapes       the sizes of symbolic input dimensions, {{"input": (1, 3, 32, 32)}} (--shape)
    {_QUANTIZE_HELP}
    """


def simulate(program, hw, set=None, data=True, inputs=None, *, seed=1):
    """Simulate a compiled program file (`workbench sim`): no golden check; returns a Run.

    program  a program file `compile` wrote (program.pb in its folder)
    hw       a config file or a HwConfig
    set      config overrides, {"cores": 4} (--set)
    data     False: timing only (--no-data)
    inputs   the integer inputs, as `run` takes them; default: seeded
    seed     the seed of the seeded inputs, >= 0
    """
    seed, _, _ = _checked(seed, 0)
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFiles(inputs) as input_texts, python_words():
        return Run(_core.simulate(path_text(program), hw_path, overrides, input_texts, seed, data))


def verify(folder, hw, set=None, inputs=None, *, seed=1):
    """Simulate a folder `compile` wrote and check it bit-exactly (`workbench verify`); returns a Run.

    folder  the folder `compile` wrote
    hw      a config file or a HwConfig
    set     config overrides, {"cores": 4} (--set)
    inputs  the inputs, as `run` takes them; default: seeded
    seed    the seed of the seeded inputs, >= 0
    """
    seed, _, _ = _checked(seed, 0)
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFiles(inputs) as input_texts, python_words():
        return Run(_core.verify(path_text(folder), hw_path, overrides, input_texts, seed))
