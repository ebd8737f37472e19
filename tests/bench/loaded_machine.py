#!/usr/bin/python3
"""BENCHMARKS.md's loaded-machine figure (#39): `workbench run` of ResNet-50 (with data: the
calibration and golden check run the OpenMP executors) on v3_96, three times on an idle
machine and three times beside one CPU-bound process (a spinning shell loop); the medians
of the wall-clock seconds and their ratio. The quantized model comes from the model cache
after a first, untimed run, as a user's repeated runs do.

    tests/bench/loaded_machine.py build/release/workbench/workbench [--model resnet50] [--hw configs/v3_96.yaml]

--smoke (CI): one run each way of the checked-in workloads/tiny_resnet.onnx (unless --model).
"""

import argparse
import os
import statistics
import subprocess
import time

from bench_common import ROOT, SMOKE_HELP, cache_dir


def timed_run(binary: str, model: str, hw: str) -> float:
    start = time.monotonic()
    subprocess.run([binary, "run", model, "--hw", hw, "--quiet"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--model", help="an exported workload (default: resnet50)")
    parser.add_argument("--hw", default=os.path.join(os.path.dirname(__file__), "..", "..", "configs", "v3_96.yaml"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    if args.smoke and args.model is None:
        args.model, model = "tiny_resnet", str(ROOT / "workloads" / "tiny_resnet.onnx")
    else:
        args.model = args.model or "resnet50"
        model = str(cache_dir() / args.model / "model.onnx")
    env_threads = os.environ.get("OMP_NUM_THREADS")
    if env_threads:
        print(f"note: OMP_NUM_THREADS={env_threads} fixes the threads; unset it to see the adaptation")
    timed_run(args.binary, model, args.hw)  # fills the model cache
    idle = [timed_run(args.binary, model, args.hw) for _ in range(args.runs)]
    busy = subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"])
    try:
        time.sleep(0.5)
        loaded = [timed_run(args.binary, model, args.hw) for _ in range(args.runs)]
    finally:
        busy.kill()
        busy.wait()
    idle_s, loaded_s = statistics.median(idle), statistics.median(loaded)
    print(f"| {args.model} on {os.path.basename(args.hw)} | {idle_s:.2f} s | {loaded_s:.2f} s | {loaded_s / idle_s:.2f}x |")
    print(f"idle runs: {', '.join(f'{s:.2f}' for s in idle)}; beside a busy process: {', '.join(f'{s:.2f}' for s in loaded)}")


if __name__ == "__main__":
    main()
