#!/usr/bin/python3
"""The workbench's own speed, as users meet it: whole-process wall time of the timed commands
(the speed table of BENCHMARKS.md), each with the model cache cold (`--no-cache`: import,
calibrate and quantize every time) and warm (the quantized model read from the cache, which
the warm-up fills). Prints a Markdown table.

  /usr/bin/python3 tests/bench/tool_speed.py [--workbench BIN] [--runs N] [--only NAME]

With --check BUDGETS it is the speed check CI runs (ctest tool_speed_check): each warm command
is timed in turn with a fixed calibration workload (a pure-Python loop, the same on every
build), on one worker thread (OMP_NUM_THREADS=1), so a command's cost is a ratio to the
machine's speed measured beside it, not seconds of one machine: the fastest command run over
the fastest calibration run. A command fails when that ratio grows beyond the budget's by more than
--threshold (default 50 %): a change that makes a timed command much slower fails the day it
lands. --record BUDGETS writes the budgets from this build (after an intended change; say why
in the commit). --smoke runs each command once, timed only for the print.

The model cache goes to a temporary folder, so the user's own is neither read nor changed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, cache_dir

# name -> (model folder, config, extra arguments): the commands of issue #57's speed table.
CASES = {
    "resnet50 v3_96 with data": ("resnet50", "v3_96", ["--input", "{input}"]),
    "resnet50 v3_96 --no-data": ("resnet50", "v3_96", ["--no-data"]),
    "mobilenet_v1_128 gap8 --no-data": ("mobilenet_v1_128", "gap8", ["--no-data"]),
    "resnet18 gap8 with data": ("resnet18", "gap8", ["--input", "{input}"]),
}
# What the check times (resnet18's row stays in the table only).
CHECKED = ["resnet50 v3_96 with data", "resnet50 v3_96 --no-data", "mobilenet_v1_128 gap8 --no-data"]

# The calibration workload: fixed work in Debian's interpreter, about 0.2 s on the CI machine.
CALIBRATION = [sys.executable, "-c", "s = 0\nfor i in range(2_500_000):\n    s += i * i % 7\n"]


def timed(cmd: list, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return seconds


def command(workbench: str, name: str) -> list:
    model, config, extra = CASES[name]
    folder = cache_dir() / model
    if not (folder / "model.onnx").exists():
        sys.exit(f"{folder}/model.onnx missing: /usr/bin/python3 scripts/export_workloads.py {model}")
    return [workbench, "run", "--hw", str(ROOT / "configs" / f"{config}.yaml"), str(folder / "model.onnx"),
            "--quiet"] + [a.format(input=folder / "input.npy") for a in extra]


def fastest_ratio(cmd: list, runs: int, env: dict) -> tuple:
    """(fastest command seconds, fastest calibration seconds, their ratio), the two run in turn.
    The fastest of each, not the median of per-pair ratios: a busy neighbour or a slow core only
    ever adds time, and on the 2-core VM the calibration alone swung between 0.20 and 0.30 s
    from one pair to the next (the command not with it), which moved the median ratio by half."""
    timed(cmd, env)  # warm-up: fills the model cache and the page cache
    timed(CALIBRATION, env)
    commands, calibrations = [], []
    for _ in range(runs):
        calibrations.append(timed(CALIBRATION, env))
        commands.append(timed(cmd, env))
    return min(commands), min(calibrations), min(commands) / min(calibrations)


def check(args, env: dict) -> int:
    budgets = json.loads(Path(args.check).read_text()) if args.check else {}
    measured = {}
    failed = []
    print(f"| command | fastest | calibration | ratio | budget | limit (+{args.threshold:.0%}) | |")
    print("|---|---|---|---|---|---|---|")
    for name in CHECKED:
        if args.only and args.only not in name:
            continue
        seconds, calibration, ratio = fastest_ratio(command(args.workbench, name), args.runs, env)
        measured[name] = {"ratio": round(ratio, 3), "seconds": round(seconds, 3),
                          "calibration_seconds": round(calibration, 3)}
        budget = budgets.get("commands", {}).get(name, {}).get("ratio")
        if args.check and budget is None:
            failed.append(f"{name}: no budget in {args.check} (record one with --record)")
            continue
        limit = budget * (1 + args.threshold) if budget is not None else None
        verdict = "" if limit is None else ("ok" if ratio <= limit else "SLOWER")
        if verdict == "SLOWER":
            failed.append(f"{name}: {ratio:.2f}x the calibration, budget {budget:.2f}x, limit {limit:.2f}x")
        print(f"| {name} | {seconds:.2f} s | {calibration:.2f} s | {ratio:.2f} | "
              f"{'-' if budget is None else f'{budget:.2f}'} | {'-' if limit is None else f'{limit:.2f}'} | {verdict} |")
    if args.record:
        Path(args.record).write_text(json.dumps({
            "about": "tests/bench/tool_speed.py --check: each command's fastest wall time over a fixed Python "
                     "loop's fastest, the two run in turn (BENCHMARKS.md, 'Tool speed')",
            "runs": args.runs, "commands": measured}, indent=2) + "\n")
        print(f"recorded {len(measured)} budgets in {args.record}", file=sys.stderr)
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


def table(args, env: dict) -> None:
    rows = []
    for name in CASES:
        if args.only and args.only not in name:
            continue
        cmd = command(args.workbench, name)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build/release/workbench/workbench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="run only the commands whose name contains this")
    parser.add_argument("--check", metavar="BUDGETS", help="compare with the budgets in this file; exit 1 when slower")
    parser.add_argument("--record", metavar="BUDGETS", help="write this build's ratios as the budgets")
    parser.add_argument("--threshold", type=float, default=0.5, help="growth of a ratio that fails (default 0.5)")
    parser.add_argument("--smoke", action="store_true", help="each command once (seconds): that the script runs")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.smoke:
        args.runs = 1

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WB_CACHE_DIR=tmp)
        if args.check or args.record:
            # One worker thread, fixed: the budgets are recorded and checked alike whatever the
            # caller's environment (ctest's OMP_NUM_THREADS=1 in scripts/test.sh, a user's
            # shell), and a second core's availability does not move the ratio.
            env["OMP_NUM_THREADS"] = "1"
        os.symlink(cache_dir(), Path(tmp) / "workloads")
        if args.check or args.record:
            sys.exit(check(args, env))
        if args.smoke:
            args.only = args.only or "resnet50 v3_96 --no-data"
        table(args, env)


if __name__ == "__main__":
    main()
