#!/usr/bin/python3
"""Output SQNR and top-1 agreement of every quantization scheme with every calibration
method on the exported workloads, as a Markdown table for BENCHMARKS.md.

Runs `workbench quantize MODEL --scheme S --calib-method M --calib-count 16 --report` for
each combination (16 seeded synthetic inputs, used for calibration and evaluation) and
reads its report.json.
    tests/bench/quant_fidelity.py [--workbench PATH] [--networks a,b] [--count N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import SMOKE_HELP

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ["resnet18", "resnet50", "googlenet", "mobilenet_v2", "mobilenet_v1_128"]
SCHEMES = ["pow2", "xdnn", "pulp"]
METHODS = ["max", "percentile", "entropy"]


def cache_dir() -> Path:
    if "WB_CACHE_DIR" in os.environ:
        return Path(os.environ["WB_CACHE_DIR"]) / "workloads"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "workbench" / "workloads"


def quantize(workbench: str, model: Path, scheme: str, method: str, count: int, out: Path) -> dict:
    start = time.monotonic()
    command = [workbench, "quantize", str(model), "--scheme", scheme, "--calib-method", method,
               "--calib-count", str(count), "--report", "-o", str(out)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"failed (exit {done.returncode}): {' '.join(command)}\n{done.stderr}")
    report = json.loads((out / "report.json").read_text())
    report["seconds"] = time.monotonic() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)  # mobilenet_v1_128 (a default export), 2 inputs
    args = parser.parse_args()
    if args.smoke:
        args.networks, args.count = "mobilenet_v1_128", 2
    print("| network | scheme | " + " | ".join(f"{m}: SQNR dB / top-1" for m in METHODS) + " |")
    print("|---|---|" + "---|" * len(METHODS))
    with tempfile.TemporaryDirectory() as tmp:
        for network in args.networks.split(","):
            model = cache_dir() / network / "model.onnx"
            for scheme in SCHEMES:
                cells = []
                for method in METHODS:
                    out = Path(tmp) / f"{network}_{scheme}_{method}"
                    r = quantize(args.workbench, model, scheme, method, args.count, out)
                    o = r["outputs"][0]
                    sqnr = "exact" if o["sqnr_db"] is None else f"{o['sqnr_db']:.2f}"
                    cells.append(f"{sqnr} / {100 * o['top1_agreement']:.0f}%")
                print(f"| {network} | {scheme} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
