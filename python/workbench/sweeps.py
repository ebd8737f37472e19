"""sweep and Sweep: run a sweep spec's design points and read its results database."""

import json
import os
import tempfile

import pandas as pd

from . import _core
from ._arguments import path_text, warn_all
from .runs import WorkbenchWarning


class Sweep:
    """A sweep's results database (docs/sweeps.md).

    points   one row per design point: its axes (config keys resolved: sizes in bytes),
             status, and totals (cycles, latency_ms, energy_uj, ...), as `sweep export` writes
    layers   one row per point and layer
    pareto(x, y)  the points on the frontier of two columns, as the HTML report draws it
    """

    def __init__(self, db, exit_code=0, log=""):
        self.db = path_text(db)
        self.exit_code = exit_code
        self.log = log

    @classmethod
    def open(cls, db):
        if not os.path.exists(path_text(db)):
            raise _core.WorkbenchError(f"{path_text(db)}: no such sweep database")
        _core.check_sweep_db(path_text(db))  # a folder, or a file that is not one, is named now
        return cls(db)

    def _export(self, layers):
        with tempfile.TemporaryDirectory(prefix="workbench-sweep-") as folder:
            points_csv = os.path.join(folder, "points.csv")
            layers_csv = os.path.join(folder, "layers.csv") if layers else ""
            called = _core.sweep_export(self.db, points_csv, layers_csv)
            warn_all(called["warnings"], WorkbenchWarning)
            return pd.read_csv(layers_csv if layers else points_csv, keep_default_na=False, na_values=[""])

    @property
    def points(self):
        return self._export(layers=False)

    @property
    def layers(self):
        """One row per layer of every done point: the point's key, model, config and axes,
        then the layer's figures under Run.layers' names (time.<cause>, bound.binding,
        bound.cycles, energy_pj, xdnn.mapping_efficiency, ...)."""
        return self._export(layers=True).rename(columns=_run_layer_name)

    def pareto(self, x, y):
        """The done points no other point beats on both `x` (minimised) and `y` (minimised, or
        maximised for rates such as mac_per_cycle), by increasing x."""
        points = self.points
        for column in (x, y):
            if column not in points.columns:
                raise _core.WorkbenchError(f"{column}: no such column; columns: {', '.join(points.columns)}")
        done = points[points["status"] == "done"].reset_index(drop=True)
        pairs = [(float(a), float(b)) for a, b in zip(done[x], done[y])]
        frontier = _core.pareto(pairs, y)
        return done.iloc[frontier["indices"]].reset_index(drop=True)

    def __repr__(self):
        return f"<Sweep {self.db}>"


# The sweep export's layer CSV names (the command line's, as the run CSV's) -> Run.layers'.
_RUN_LAYER_NAMES = {"bound": "bound.binding", "bound_cycles": "bound.cycles",
                    "mapping_efficiency": "xdnn.mapping_efficiency"}


def _run_layer_name(column):
    if column.startswith("time_"):
        return "time." + column[len("time_"):]
    return _RUN_LAYER_NAMES.get(column, column)


def _installed_executable():
    """The command line `cmake --install` put beside this package (its _paths.py), else None:
    the module's own path is the build tree's."""
    try:
        from . import _paths
    except ImportError:
        return None
    return _paths.executable


def sweep(spec, jobs=0, *, db=None, timeout_s=None, retry_failed=False, base_dir=None):
    """Run a sweep spec's points not stored yet (`workbench sweep`) and return its Sweep.

    spec          a spec file, or the spec as a dict (paths in it relative to `base_dir`, default
                  the working folder)
    jobs          points at once (0: the machine's cores)
    db            the results database (default: <spec name>.db in the working folder, as --db)
    timeout_s     seconds a point may take before it is killed and recorded as failed (default:
                  the spec's timeout_s, else 1800)
    retry_failed  run again the points a previous sweep recorded as failed (--retry-failed)
    base_dir      the folder a dict spec's relative paths start from
    """
    spec_file = None
    if isinstance(spec, dict):
        # JSON is YAML: the dict goes to the same loader as a spec file, beside the paths it names.
        folder = path_text(base_dir) or os.getcwd()
        handle, spec_file = tempfile.mkstemp(prefix=".workbench-sweep-", suffix=".yaml", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(spec, f, indent=1)
        spec_path = spec_file
    else:
        spec_path = path_text(spec)
    try:
        executable = os.environ.get("WB_EXECUTABLE") or _installed_executable() or _core.executable
        called = _core.sweep(spec_path, path_text(db), jobs, timeout_s, retry_failed, executable)
    finally:
        if spec_file is not None:
            os.unlink(spec_file)
    warn_all(called["warnings"], WorkbenchWarning)
    if called["exit_code"] != 0:
        warn_all(["some points failed or were not bit-exact (see .points, status and verdict)"], WorkbenchWarning)
    return Sweep(called["db"], called["exit_code"], called["log"])
