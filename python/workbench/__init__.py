"""Compile ONNX networks for DNN accelerators (xDNN, PULP), simulate them on cycle-approximate
models and check them bit-exactly against the integer golden model, from Python.

    import workbench as wb
    r = wb.run("workloads/tiny_resnet.onnx", "configs/gap8.yaml", set={"cores": 4})
    r.verdict, r.totals["cycles"], r.layers[["name", "cycles", "energy_pj"]]

Every call is the command line's command of the same name (one library, docs/python.md).
Bad input raises WorkbenchError (a ValueError) with the message the command line prints;
Ctrl-C stops a running call with KeyboardInterrupt.
"""

from ._core import WorkbenchError, version
from .runs import Run, WorkbenchWarning, compile, run, simulate, verify
from .hw import HwConfig
from .sweeps import Sweep, sweep
from .analysis import compare, history

__all__ = ["WorkbenchError", "WorkbenchWarning", "version", "Run", "run", "compile", "simulate", "verify", "HwConfig",
           "Sweep", "sweep", "compare", "history"]
