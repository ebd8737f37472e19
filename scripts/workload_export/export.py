"""ONNX export (torch's and the script's own Pad symbolics), atomic file writes, the model
folders and the three export sets."""

import contextlib
import copy
import ctypes
import ctypes.util
import dataclasses
import functools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

import decoder_models

from workload_export.settings import (
    BATTERY_VERSION, CheckError, HEALTH_SEED_OFFSET, INPUT_SEED_OFFSET, SCRIPT_VERSION)
from workload_export.zoo import (
    BATTERY_DIR, BATTERY_WORKLOADS, BatteryExport, EXPORT_PAD_SYMBOLIC, Workload)
from workload_export.health import (
    BN_TYPES, build_healthy_model, check_health, count_macs, format_health,
    format_precision, output_list, random_batch)


# With opset >= 11, torch 1.13's own symbolic for a constant pad computes the
# ONNX `pads` input at run time (Shape, Gather, Slice with step -1,
# ConstantOfShape, Concat, Transpose, Reshape, Cast, ...), which also makes the
# exported output shape symbolic. The importer only knows a fixed op set, so
# while exporting with opset >= 11 we replace it by a symbolic that emits one
# Pad whose `pads` input is a constant. Opset 9/10 keep torch's attribute-form
# Pad. A traced nn.ZeroPad2d / F.pad records aten::pad; aten::constant_pad_nd
# is covered too.
PAD_MIN_OPSET = 11


def _constant_pads(input: torch._C.Value, padding: torch._C.Value) -> List[int]:
    """torch pad list (last dim first: begin, end, ...) -> ONNX `pads`
    (all begins, then all ends, for every dim of the input)."""
    from torch.onnx import symbolic_helper
    rank = symbolic_helper._get_tensor_rank(input)
    try:
        torch_pads = symbolic_helper._parse_arg(padding, "is")
    except Exception as err:
        raise CheckError(f"pad amounts must be constant for export: {err}")
    if rank is None or not isinstance(torch_pads, list):
        raise CheckError("pad export needs a known input rank and a constant "
                         "pad list")
    if len(torch_pads) % 2 or len(torch_pads) > 2 * rank:
        raise CheckError(f"pad list {torch_pads} does not fit rank {rank}")
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(torch_pads) // 2):
        dim = rank - 1 - i
        begins[dim], ends[dim] = torch_pads[2 * i], torch_pads[2 * i + 1]
    return begins + ends


def _constant_pad_symbolic(g, input, padding, value=None):
    """aten::constant_pad_nd(input, pad, value) -> Pad(input, pads, value)."""
    from torch.onnx import symbolic_helper
    pads = _constant_pads(input, padding)
    if value is None or symbolic_helper._is_none(value):
        value = 0.0
    value = symbolic_helper._maybe_get_const(value, "f")
    if not symbolic_helper._is_value(value):
        # Constant scalar in the input's dtype (float32 here), not float64.
        if input.type().scalarType() is None:
            raise CheckError("pad export needs a known input dtype")
        value = g.op("Constant", value_t=symbolic_helper._if_scalar_type_as(
            torch.tensor(value), input))
    return g.op("Pad", input,
                g.op("Constant", value_t=torch.tensor(pads, dtype=torch.int64)),
                value, mode_s="constant")


def _pad_symbolic(g, input, pad, mode, value):
    """aten::pad: constant mode as above, other modes as torch does."""
    from torch.onnx import symbolic_helper, symbolic_opset11
    if symbolic_helper._parse_arg(mode, "s") == "constant":
        return _constant_pad_symbolic(g, input, pad, value)
    return symbolic_opset11.pad(g, input, pad, mode, value)


PAD_SYMBOLICS = (("aten::constant_pad_nd", _constant_pad_symbolic),
                 ("aten::pad", _pad_symbolic))


@contextlib.contextmanager
def constant_pad_symbolics(opset: int):
    """Export with PAD_SYMBOLICS in place of torch's pad symbolics (opset >= 11;
    below that torch's own attribute-form Pad is kept)."""
    custom = PAD_SYMBOLICS if opset >= PAD_MIN_OPSET else ()
    for name, fn in custom:
        torch.onnx.register_custom_op_symbolic(name, fn, opset)
    try:
        yield
    finally:
        for name, _ in custom:
            torch.onnx.unregister_custom_op_symbolic(name, opset)


def export_onnx(model: nn.Module, x: torch.Tensor, path: Path, opset: int,
                dynamic_input_axes: Optional[Dict[int, str]] = None) -> None:
    """Big and small models: BatchNorm kept, constant Pad (see above)."""
    with constant_pad_symbolics(opset):
        # PRESERVE (with an eval-mode model) exports inference-mode ops but
        # skips the eval peephole that would fold BatchNorm into Conv; the
        # compiler must see and fuse BN itself. No constant folding for the
        # same reason.
        torch.onnx.export(model.eval(), x, str(path), opset_version=opset,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False,
                          input_names=["input"],
                          output_names=list(getattr(model, "onnx_output_names", ["output"])),
                          dynamic_axes=({"input": dynamic_input_axes}
                                        if dynamic_input_axes else None))


def export_onnx_as_user(model: nn.Module, x: torch.Tensor, path: Path,
                        opset: int, pad_symbolic: bool = False) -> None:
    """Battery: the call a user makes, so the file is what the importer gets
    in practice, not what this script would like it to get.

    Default training mode (EVAL: torch folds BatchNorm into the preceding
    Conv where it can) and default constant folding, torch's own symbolics.
    pad_symbolic registers PAD_SYMBOLICS around the very same call.
    """
    with (constant_pad_symbolics(opset) if pad_symbolic
          else contextlib.nullcontext()):
        torch.onnx.export(model.eval(), x, str(path), opset_version=opset,
                          input_names=["input"],
                          output_names=list(getattr(model, "onnx_output_names", ["output"])))


def inspect_onnx(path: Path, model: nn.Module, name: str,
                 bn_kept: bool = True) -> Dict[str, object]:
    """Validate the exported file and summarise what the importer will meet.

    bn_kept: the export must have kept every BN layer as a node (export_onnx);
    false for export_onnx_as_user, where torch folds BN into Conv.
    """
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    op_counts: Dict[str, int] = {}
    for node in proto.graph.node:
        op_counts[node.op_type] = op_counts.get(node.op_type, 0) + 1
    bn_modules = sum(isinstance(m, BN_TYPES) for m in model.modules())
    bn_nodes = op_counts.get("BatchNormalization", 0)
    if bn_kept and bn_nodes < bn_modules:
        raise CheckError(f"{name}: only {bn_nodes} BatchNormalization nodes for "
                         f"{bn_modules} BN layers; BN must not be folded away")
    return {
        "op_counts": dict(sorted(op_counts.items())),
        "opset_imports": {imp.domain or "ai.onnx": imp.version
                          for imp in proto.opset_import},
    }


# --------------------------------------------------------------------------
# Atomic file writing
# --------------------------------------------------------------------------

def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_path_for(path: Path) -> Path:
    # Same folder, so os.replace is an atomic rename on the same filesystem.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                               dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600; give the final file the usual umask-based mode.
    os.chmod(tmp, 0o666 & ~current_umask())
    return Path(tmp)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = temp_path_for(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_npy(path: Path, array: np.ndarray) -> None:
    def write(tmp: Path):
        with open(tmp, "wb") as f:   # file object: np.save must not add ".npy"
            np.save(f, array)
    atomic_write(path, write)


def save_json(path: Path, data: Dict[str, object]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text))


ExportFn = Callable[[nn.Module, torch.Tensor, Path, int], None]


def save_onnx(path: Path, model: nn.Module, x: torch.Tensor, opset: int,
              name: str, export: ExportFn = export_onnx,
              bn_kept: bool = True) -> Dict[str, object]:
    """Export atomically; return the inspection summary of the new file."""
    summary: Dict[str, object] = {}

    def write(tmp: Path):
        export(model, x, tmp, opset)
        summary.update(inspect_onnx(tmp, model, name, bn_kept))
    atomic_write(path, write)
    return summary


# --------------------------------------------------------------------------
# Per-model pipelines
# --------------------------------------------------------------------------

def reference_input(shape: Tuple[int, ...], seed: int) -> np.ndarray:
    return random_batch(shape[0], shape, seed).numpy()


def torch_output(model: nn.Module, x: np.ndarray
                 ) -> Tuple[List[np.ndarray], float]:
    """Return (reference outputs, relative error of torch's float32 output).

    The reference output is torch's output of a float64 copy of the model
    for the (float32) input, stored as float32: it is what the network
    computes, without float32 rounding inside it. The error is
    max |float32 output - float64 output| / max |float64 output| over all
    outputs, the tolerance a float32 implementation has to expect.
    """
    with torch.no_grad():
        out64 = output_list(copy.deepcopy(model).double()(
            torch.from_numpy(x).double()))
        out32 = output_list(model(torch.from_numpy(x)))
    error = max(float(np.abs(o32.numpy() - o64.numpy()).max()) for o32, o64 in zip(out32, out64))
    peak = max(float(np.abs(o64.numpy()).max()) for o64 in out64)
    return [o.numpy().astype(np.float32) for o in out64], error / peak


@dataclasses.dataclass
class PreparedModel:
    model: nn.Module
    input: np.ndarray
    outputs: List[np.ndarray]     # float64 torch outputs, stored as float32
    float32_error: float          # torch float32 vs float64, see torch_output
    conv_macs: int
    fc_macs: int
    health: Dict[str, float]
    # Wall seconds per step of prepare (see format_timings); not in meta.json,
    # which must not change between identical runs.
    timings: Dict[str, float] = dataclasses.field(default_factory=dict)


@contextlib.contextmanager
def timed(timings: Dict[str, float], step: str):
    """Add the wall time of the with-block to timings[step]."""
    start = time.monotonic()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.monotonic() - start


def prepare(workload: Workload, seed: int) -> PreparedModel:
    """Build, initialise, measure and health-check one model (no files)."""
    timings: Dict[str, float] = {}
    with timed(timings, "weights"):
        model, normalized_layers = build_healthy_model(workload, seed)
    with timed(timings, "macs"):
        x = reference_input(workload.input_shape, seed + INPUT_SEED_OFFSET)
        conv_macs, fc_macs = count_macs(model, torch.from_numpy(x))
    if workload.expected_macs is not None:
        total = conv_macs + fc_macs
        if total != workload.expected_macs:
            raise CheckError(f"{workload.name}: counted {total:,} conv+FC MACs, "
                             f"expected {workload.expected_macs:,}")
    with timed(timings, "health"):
        health = check_health(model, workload.input_shape,
                              seed + HEALTH_SEED_OFFSET, workload.name)
    health["normalized_layers"] = normalized_layers
    with timed(timings, "reference"):
        outputs, float32_error = torch_output(model, x)
    return PreparedModel(model, x, outputs, float32_error, conv_macs, fc_macs,
                         health, timings)


def format_timings(name: str, timings: Dict[str, float]) -> str:
    return (f"{name}: prepared in {sum(timings.values()):.1f}s (weights, BN "
            f"statistics and normalisation {timings['weights']:.1f}s, input "
            f"and MACs {timings['macs']:.1f}s, health check "
            f"{timings['health']:.1f}s, float64 reference "
            f"{timings['reference']:.1f}s)")


def default_cache_dir() -> Path:
    if os.environ.get("WB_CACHE_DIR"):
        return Path(os.environ["WB_CACHE_DIR"]) / "workloads"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return Path(xdg) / "workbench" / "workloads"


BIG_MODEL_FILES = ("model.onnx", "input.npy", "output.npy")


def is_cached(folder: Path, opset: int, seed: int,
              extra_meta: Optional[Dict[str, object]] = None) -> bool:
    """A complete export with this script version, opset, seed and extra_meta
    (entries meta.json must also hold, e.g. the battery's export mode)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return (meta.get("script_version") == SCRIPT_VERSION
            and meta.get("opset") == opset and meta.get("seed") == seed
            and all(meta.get(k) == v for k, v in (extra_meta or {}).items())
            and all((folder / f).is_file() for f in BIG_MODEL_FILES))


def format_ops(onnx_summary: Dict[str, object]) -> str:
    opsets = ", ".join(f"{d} {v}" for d, v in onnx_summary["opset_imports"].items())
    ops = ", ".join(f"{op} x{n}" for op, n in onnx_summary["op_counts"].items())
    return f"[{opsets}] {ops}"


def print_ops(name: str, onnx_summary: Dict[str, object]) -> None:
    print(f"{name}: {format_ops(onnx_summary)}", flush=True)


def export_big(workload: Workload, cache: Path, opset: int, seed: int,
               force: bool) -> None:
    folder = cache / workload.name
    if not force and is_cached(folder, opset, seed):
        print(f"{workload.name}: cached {folder}", flush=True)
        return
    start = time.monotonic()
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    onnx_summary = write_model_folder(folder, workload.name, workload,
                                      prepared, opset, seed)
    print_ops(workload.name, onnx_summary)
    print(f"{workload.name}: exported in {time.monotonic() - start:.1f}s "
          f"{folder}", flush=True)


def write_model_folder(folder: Path, name: str, workload: Workload,
                       prepared: PreparedModel, opset: int, seed: int,
                       export: ExportFn = export_onnx, bn_kept: bool = True,
                       extra_meta: Optional[Dict[str, object]] = None
                       ) -> Dict[str, object]:
    """Write model.onnx, input.npy, output.npy and, last, meta.json (with
    extra_meta added) into folder; return the ONNX inspection summary."""
    folder.mkdir(parents=True, exist_ok=True)
    # Drop the completeness marker first: an interrupted re-export must not
    # leave old meta.json vouching for a mix of old and new files.
    (folder / "meta.json").unlink(missing_ok=True)
    # Temp files left behind by a killed earlier run.
    for stale in folder.glob(".*.tmp"):
        stale.unlink()
    x = torch.from_numpy(prepared.input)
    onnx_summary = save_onnx(folder / "model.onnx", prepared.model, x, opset,
                             name, export, bn_kept)
    save_npy(folder / "input.npy", prepared.input)
    # The first output (the only one of most networks) as output.npy, any
    # further one as output_1.npy, output_2.npy, ...
    for i, output in enumerate(prepared.outputs):
        save_npy(folder / ("output.npy" if i == 0 else f"output_{i}.npy"), output)
    meta = {
        "name": name,
        "description": workload.description,
        "opset": opset,
        "seed": seed,
        "input_shape": list(prepared.input.shape),
        "output_shape": list(prepared.outputs[0].shape),
        "output_shapes": [list(o.shape) for o in prepared.outputs],
        # output.npy: torch, float64 copy of the model, stored as float32.
        "output_precision": "float64",
        # max |torch float32 output - float64 output| / max |float64 output|
        "torch_float32_rel_error": prepared.float32_error,
        "script_version": SCRIPT_VERSION,
        "versions": {"torch": torch.__version__,
                     "torchvision": torchvision.__version__,
                     "onnx": onnx.__version__, "numpy": np.__version__},
        "macs": {"conv": prepared.conv_macs, "fc": prepared.fc_macs,
                 "total": prepared.conv_macs + prepared.fc_macs},
        "health": prepared.health,
        "onnx": onnx_summary,
    }
    meta.update(extra_meta or {})
    save_json(folder / "meta.json", meta)
    return onnx_summary


def export_small(workload: Workload, out_dir: Path, seed: int) -> None:
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    x = torch.from_numpy(prepared.input)
    if workload.user_export:
        onnx_summary = save_onnx(out_dir / f"{workload.name}.onnx", prepared.model,
                                 x, workload.opset, workload.name,
                                 export=export_onnx_as_user, bn_kept=False)
    elif workload.dynamic_input_axes:
        onnx_summary = save_onnx(
            out_dir / f"{workload.name}.onnx", prepared.model, x,
            workload.opset, workload.name,
            export=functools.partial(export_onnx, dynamic_input_axes=workload.dynamic_input_axes))
    else:
        onnx_summary = save_onnx(out_dir / f"{workload.name}.onnx", prepared.model,
                                 x, workload.opset, workload.name)
    print_ops(workload.name, onnx_summary)
    save_npy(out_dir / f"{workload.name}.input.npy", prepared.input)
    save_npy(out_dir / f"{workload.name}.output.npy", prepared.outputs[0])
    print(f"{workload.name}: written {out_dir / workload.name}.onnx", flush=True)


def battery_folder(cache: Path, export: BatteryExport) -> Path:
    return cache / BATTERY_DIR / export.name


def export_battery_network(workload: Workload, opsets: List[int], cache: Path,
                           seed: int, force: bool, export_mode: str
                           ) -> Tuple[int, int]:
    """Export one battery network with the given opsets; return (exported,
    cached) folder counts.

    Everything but the ONNX file is the same for every opset (weights, input,
    output, health, MACs), and preparing it is what costs: BN statistics over
    32 random images, the normalisation over 16 (and BN statistics again when
    a normalised layer runs before a BN: SE blocks, DenseNet), the health
    check over 8, the float64 reference. So the network is prepared once, and
    only if some requested folder is not cached; then each folder costs one
    export.
    """
    exports = [BatteryExport(workload, opset) for opset in opsets]
    extra_meta = {"battery_version": BATTERY_VERSION, "network": workload.name,
                  "export": export_mode}
    if workload.decoder is not None:
        extra_meta["decoder_version"] = decoder_models.VERSION
    todo = []
    for export in exports:
        folder = battery_folder(cache, export)
        if not force and is_cached(folder, export.opset, seed, extra_meta):
            print(f"{export.name}: cached {folder}", flush=True)
        else:
            todo.append(export)
    if not todo:
        return 0, len(exports)

    start = time.monotonic()
    if workload.decoder is not None:
        shape, description = decoder_models.DECODERS[workload.decoder]
        for export in todo:
            decoder_models.write_folder(
                battery_folder(cache, export), export.name, description, shape,
                export.opset, seed, save_npy, save_json, atomic_write,
                {"script_version": SCRIPT_VERSION, **extra_meta})
            print(f"{export.name}: exported", flush=True)
        print(f"{workload.name}: {len(todo)} folder(s) in "
              f"{time.monotonic() - start:.1f}s", flush=True)
        return len(todo), len(exports) - len(todo)
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    print(format_timings(workload.name, prepared.timings), flush=True)
    export_fn = functools.partial(
        export_onnx_as_user, pad_symbolic=export_mode == EXPORT_PAD_SYMBOLIC)
    for export in todo:
        folder = battery_folder(cache, export)
        export_start = time.monotonic()
        onnx_summary = write_model_folder(folder, export.name, workload,
                                          prepared, export.opset, seed,
                                          export_fn, bn_kept=False,
                                          extra_meta=extra_meta)
        print(f"{export.name}: exported in "
              f"{time.monotonic() - export_start:.1f}s "
              f"{format_ops(onnx_summary)}", flush=True)
    print(f"{workload.name}: {len(todo)} folder(s) in "
          f"{time.monotonic() - start:.1f}s", flush=True)
    return len(todo), len(exports) - len(todo)


def export_battery(exports: List[BatteryExport], cache: Path, seed: int,
                   force: bool, export_mode: str) -> None:
    """Export the selected battery folders, grouped by network."""
    start = time.monotonic()
    opsets: Dict[str, List[int]] = {}
    for export in exports:
        opsets.setdefault(export.workload.name, []).append(export.opset)
    exported = cached = 0
    for workload in BATTERY_WORKLOADS:
        if workload.name in opsets:
            done, skipped = export_battery_network(
                workload, opsets[workload.name], cache, seed, force,
                export_mode)
            exported, cached = exported + done, cached + skipped
    print(f"battery: {exported} exported, {cached} cached, "
          f"{time.monotonic() - start:.1f}s in total", flush=True)


def keep_freed_memory() -> None:
    """Make glibc keep freed memory for reuse instead of handing it back.

    torch's CPU allocator takes every tensor from malloc. glibc serves blocks
    above its mmap threshold (128 KiB, adapting up to 32 MiB) with a fresh
    mmap that free unmaps, and trims the top of the heap once 128 KiB are free
    there, so each forward pass makes the kernel map and zero all its
    activation memory anew, page by page. Measured on a 2-core VM for ResNet-50: health check (8
    images) 12.0 s -> 0.7 s, float64 reference 5.8 s -> 1.7 s, BN
    calibration 15.5 s -> 7.7 s. With mmap and trimming off, the heap grows
    to the peak once (a few GB for VGG) and is reused. Numerically a no-op:
    the same operations on the same values. No-op without glibc's mallopt.
    Used for the battery only, so the big and small sets run exactly as
    before.
    """
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4     # glibc's malloc.h
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(M_MMAP_MAX, 0)
    mallopt(M_TRIM_THRESHOLD, 2**31 - 1)
