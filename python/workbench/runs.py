"""run, compile, simulate and verify: the commands of the same name, returning a Run."""

import json
import os
import tempfile

import numpy as np
import pandas as pd

from . import _core
from ._arguments import assignments, path_text, warn_all


class WorkbenchWarning(UserWarning):
    """A warning the workbench printed after a command (e.g. calibrating on synthetic inputs)."""


# The per-layer figures every target has, first in Run.layers; the rest (bound.*, energy.*,
# time.*, the target's block <target>.*) follow in the report's order.
_LEADING_LAYER_COLUMNS = ["name", "type", "unit", "output", "macs", "ops", "cycles", "us", "mac_per_cycle",
                          "utilization", "stall_cycles", "bytes_in", "bytes_out", "tiles", "predicted_cycles",
                          "prediction_error_pct", "energy_pj", "pj_per_mac"]


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


class _InputFile:
    """`inputs` as the command line takes them: a file path as it is, an array through a .npy file."""

    def __init__(self, inputs):
        self.path, self._folder = "", None
        if inputs is None:
            return
        if isinstance(inputs, (str, os.PathLike)):
            self.path = os.fspath(inputs)
            return
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1:
                raise _core.WorkbenchError(f"inputs: {len(inputs)} arrays given; models with one input take one")
            inputs = inputs[0]
        self._folder = tempfile.TemporaryDirectory(prefix="workbench-input-")
        self.path = os.path.join(self._folder.name, "input.npy")
        np.save(self.path, np.asarray(inputs, dtype=np.float32))

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        if self._folder is not None:
            self._folder.cleanup()


def run(model, hw, set=None, compile_opt=None, data=True, inputs=None, *, scheme="", calib=None,
        calib_method="max", calib_count=16, seed=1, cache=True, threads=0):
    """Quantize, compile, simulate and check `model` on `hw` (`workbench run`).

    set          config overrides, {"cores": 4, "l1_bytes": "128KiB"} (--set)
    compile_opt  compiler switches, {"tiler": "dory"} (--compile-opt)
    data         False: timing only, no arithmetic and no golden check (--no-data)
    inputs       a float32 array (or a .npy/.pb file) for the model's input; default seeded N(0,1)
    cache        take the quantized model from the model cache (False: --no-cache)
    """
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFile(inputs) as input_path:
        return Run(_core.run(path_text(model), hw_path, overrides, assignments(compile_opt, "compile_opt"), scheme,
                             path_text(calib), calib_method, calib_count, seed, data, input_path, cache, threads))


def compile(model, hw, out, set=None, compile_opt=None, *, scheme="", calib=None, calib_method="max",
            calib_count=16, seed=1, cache=True, threads=0):
    """Quantize and compile `model` for `hw` into the folder `out` (`workbench compile`); returns `out`."""
    hw_path, overrides = _hw_arguments(hw, set)
    called = _core.compile(path_text(model), hw_path, path_text(out), overrides,
                           assignments(compile_opt, "compile_opt"), scheme, path_text(calib), calib_method,
                           calib_count, seed, cache, threads)
    warn_all(called["warnings"], WorkbenchWarning)
    return out


def simulate(program, hw, set=None, data=True, inputs=None, *, seed=1):
    """Simulate a compiled program file (`workbench sim`): no golden check."""
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFile(inputs) as input_path:
        return Run(_core.simulate(path_text(program), hw_path, overrides, input_path, seed, data))


def verify(folder, hw, set=None, inputs=None, *, seed=1):
    """Simulate a folder `compile` wrote and check it bit-exactly (`workbench verify`)."""
    hw_path, overrides = _hw_arguments(hw, set)
    with _InputFile(inputs) as input_path:
        return Run(_core.verify(path_text(folder), hw_path, overrides, input_path, seed))
