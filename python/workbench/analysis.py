"""compare and history: runs side by side, and a figure over the recorded commits."""

import io
import json
import os

import pandas as pd

from . import _core
from ._arguments import path_text
from .runs import Run


def _report_text(item, index):
    if isinstance(item, Run):
        return json.dumps(item.report), f"run {chr(ord('A') + index)}"
    path = path_text(item)
    if not os.path.isfile(path):
        raise _core.WorkbenchError(f"{path}: no such file (give Runs or run reports written with --json)")
    with open(path, encoding="utf-8") as f:
        return f.read(), path


def compare(*runs, unit=None, stats=()):
    """Runs (or run report files) joined layer by layer, as `workbench compare --csv` writes
    them: per side (A, B, ...) its layers, cycles, microseconds, MACs, MAC/cycle, bytes, energy,
    energy-delay product, the statistics asked for, and its time ratio to A.

    runs   Run objects or report files (--json), at least two; or one list of them
    unit   "cycles" or "us" (default: cycles within one target and clock, else microseconds)
    stats  more layer statistics, summed per row (counts such as "l1_bytes_in"), as --stat
    """
    if len(runs) == 1 and isinstance(runs[0], (list, tuple)):
        runs = tuple(runs[0])
    texts, sources = zip(*[_report_text(r, i) for i, r in enumerate(runs)]) if runs else ((), ())
    if isinstance(stats, str):
        stats = (stats,)
    csv = _core.compare(list(texts), list(sources), unit or "", list(stats))
    return pd.read_csv(io.StringIO(csv), keep_default_na=False, na_values=[""])


def history(db=None, *, model=None, config=None, metric=None, layer=None):
    """The figures recorded by `regress record`, one row per commit, run, layer and metric
    (layer "" for the run's totals), commits in recording order.

    db      the history database (default: the one `regress record` writes)
    model, config, metric, layer   keep only the rows of these exact names
    """
    frame = pd.DataFrame(_core.history(path_text(db) or _core.default_history_path()))
    for column, value in (("model", model), ("config", config), ("metric", metric), ("layer", layer)):
        if value is not None:
            frame = frame[frame[column] == value]
    return frame.reset_index(drop=True)
