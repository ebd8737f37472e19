#!/usr/bin/python3
"""The workbench's own speed, as users meet it: whole-process wall time of the commands of
issue #18's table (median of N runs after one warm-up run), each with the model cache cold
(`--no-cache`: import, calibrate and quantize every time) and warm (the quantized model read
from the cache, which the warm-up fills). Prints a Markdown table (BENCHMARKS.md).

  /usr/bin/python3 tests/bench/tool_speed.py [--workbench BIN] [--runs N] [--only NAME]

The model cache goes to a temporary folder, so the user's own is neither read nor changed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, cache_dir

# name -> (model folder, config, extra arguments)
CASES = {
    "resnet50 v3_96 with data": ("resnet50", "v3_96", ["--input", "{input}"]),
    "resnet50 v3_96 --no-data": ("resnet50", "v3_96", ["--no-data"]),
    "resnet18 gap8 with data": ("resnet18", "gap8", ["--input", "{input}"]),
}


def timed(cmd: list, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build/release/workbench/workbench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="run only the case whose name contains this")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = cache_dir()
        env = dict(os.environ, WB_CACHE_DIR=tmp)
        os.symlink(models, Path(tmp) / "workloads")
        for name, (model, config, extra) in CASES.items():
            if args.only and args.only not in name:
                continue
            folder = models / model
            if not (folder / "model.onnx").exists():
                sys.exit(f"{folder}/model.onnx missing: /usr/bin/python3 scripts/export_workloads.py {model}")
            cmd = [args.workbench, "run", "--hw", str(ROOT / "configs" / f"{config}.yaml"), str(folder / "model.onnx"),
                   "--quiet"] + [a.format(input=folder / "input.npy") for a in extra]
            figures = {}
            for cache in ("cold", "warm"):
                run = cmd + (["--no-cache"] if cache == "cold" else [])
                timed(run, env)  # warm-up (and, for "warm", fills the cache)
                times = [timed(run, env) for _ in range(args.runs)]
                figures[cache] = (statistics.median(times), min(times), max(times))
            rows.append((name, figures))
            print(f"{name}: cold {figures['cold'][0]:.2f} s, warm {figures['warm'][0]:.2f} s", file=sys.stderr)
        version = [args.workbench, "--version"]
        timed(version, env)
        v = [timed(version, env) for _ in range(args.runs)]

    print(f"| command | model cache | median | min | max |  (median of {args.runs} after a warm-up)")
    print("|---|---|---|---|---|")
    for name, figures in rows:
        for cache in ("cold", "warm"):
            med, lo, hi = figures[cache]
            print(f"| {name} | {cache} | {med:.2f} s | {lo:.2f} s | {hi:.2f} s |")
    print(f"| workbench --version | - | {statistics.median(v) * 1000:.0f} ms | {min(v) * 1000:.0f} ms | "
          f"{max(v) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
