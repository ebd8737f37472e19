#!/usr/bin/python3
"""Sweep throughput: design points per minute of `workbench sweep` (timing only, local pool)
against the same points run one `workbench run --no-data` at a time, for the shipped specs
configs/sweeps/xdnn_dsp_am.yaml (ResNet-50 on v3_96) and pulp_l1_cores.yaml
(MobileNetV1-128 on gap8). Every sweep starts from an empty database, so its time includes
quantizing the model once. Prints a Markdown table (BENCHMARKS.md).

  /usr/bin/python3 tests/bench/sweep_throughput.py [--workbench BIN] [--repeat N] [--jobs J]

--smoke (CI): once, pulp_l1_cores only, cut to its last 2 points (a copy of the spec in a
temporary folder).
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, SMOKE_HELP, cache_dir

SPECS = {
    "xdnn_dsp_am": ("resnet50", "v3_96"),
    "pulp_l1_cores": ("mobilenet_v1_128", "gap8"),
}


def points_of(workbench: str, spec: Path) -> list:
    """The --set items of each point, from the sweep's own --dry-run listing."""
    listing = subprocess.run([workbench, "sweep", str(spec), "--dry-run"], capture_output=True, text=True, check=True)
    points = []
    for line in listing.stdout.splitlines()[1:]:
        # "   0  d3babcb6567c  resnet50 v3_96 array.rows=32 am_bytes=2MiB"
        fields = line.split()
        points.append([f for f in fields[4:] if "=" in f])
    return points


def smoke_spec(spec: Path, folder: Path) -> Path:
    """A copy of `spec` in `folder` cut to its last 2 points: every axis its last value, the last
    axis its last two; its config paths made absolute."""
    import yaml
    text = yaml.safe_load(spec.read_text())
    configs = text["configs"] if isinstance(text["configs"], list) else [text["configs"]]
    text["configs"] = [str((spec.parent / c).resolve()) for c in configs]
    names = list(text["axes"])
    for name in names:
        text["axes"][name] = text["axes"][name][-2 if name == names[-1] else -1:]
    copy = folder / spec.name
    copy.write_text(yaml.safe_dump(text, sort_keys=False))
    return copy


def timed_sweep(workbench: str, spec: Path, jobs: int) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([workbench, "sweep", str(spec), "--db", str(Path(tmp) / "s.db"), "-j", str(jobs)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"sweep {spec.name} failed: {done.stdout}{done.stderr}")
        ran = re.search(r"ran (\d+) points in ([0-9.]+) s", done.stderr)
        return seconds, int(ran.group(1)), float(ran.group(2))


def timed_one_at_a_time(workbench: str, model: Path, config: str, points: list) -> float:
    start = time.perf_counter()
    for sets in points:
        cmd = [workbench, "run", "--hw", str(ROOT / "configs" / f"{config}.yaml"), str(model), "--no-data", "--quiet"]
        for s in sets:
            cmd += ["--set", s]
        subprocess.run(cmd, capture_output=True, text=True)  # a point that does not fit exits 2: a point all the same
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--repeat", type=int, default=3,
                        help="sweeps, and one-at-a-time passes, per spec (medians are reported)")
    parser.add_argument("--jobs", type=int, default=2, help="sweep -j")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    specs = {"pulp_l1_cores": SPECS["pulp_l1_cores"]} if args.smoke else SPECS
    if args.smoke:
        args.repeat = 1
    with tempfile.TemporaryDirectory() as smoke_folder:  # --smoke's copy of the spec
        time_specs(args, specs, Path(smoke_folder) if args.smoke else None)


def time_specs(args, specs: dict, smoke_folder) -> None:
    """The table: each spec swept and run one point at a time (--smoke: its cut copy in smoke_folder)."""
    print("| spec | network on config | points | sweep -j%d (quantize once + points) | of which running the points "
          "| one `run --no-data` at a time | speed-up |" % args.jobs)
    print("|---|---|---|---|---|---|---|")
    for name, (model, config) in specs.items():
        spec = ROOT / "configs" / "sweeps" / f"{name}.yaml"
        if smoke_folder is not None:
            spec = smoke_spec(spec, smoke_folder)
        model_path = cache_dir() / model / "model.onnx"
        if not model_path.exists():
            sys.exit(f"{model_path} is not exported: /usr/bin/python3 scripts/export_workloads.py {model}")
        points = points_of(args.workbench, spec)
        sweeps = [timed_sweep(args.workbench, spec, args.jobs) for _ in range(args.repeat)]
        total = statistics.median(s[0] for s in sweeps)
        running = statistics.median(s[2] for s in sweeps)
        serial = statistics.median(timed_one_at_a_time(args.workbench, model_path, config, points)
                                   for _ in range(args.repeat))
        n = len(points)
        per_min = lambda seconds: 60.0 * n / seconds
        print(f"| {name} | {model} on {config} | {n} | {total:.1f} s = {per_min(total):.0f} points/min "
              f"| {running:.1f} s = {per_min(running):.0f} points/min | {serial:.1f} s = {per_min(serial):.0f} points/min "
              f"| {serial / total:.1f}x |")


if __name__ == "__main__":
    main()
