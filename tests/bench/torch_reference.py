#!/usr/bin/python3
"""Float inference time of torch on the same exported workload, for BENCHMARKS.md.

Rebuilds the model exactly as scripts/export_workloads.py exported it (same seed, same
weights), checks it reproduces the saved output, and times eager torch inference.
    tests/bench/torch_reference.py [NAME] [--runs N] [--threads N]
"""
import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def load_exporter():
    # The exporter imports its sibling modules (decoder_models, ...) from scripts/.
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location("export_workloads", ROOT / "scripts" / "export_workloads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", help="an exported workload (default: resnet50; --smoke: mobilenet_v1_128)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds: that the script still runs end to end (CI)")
    args = parser.parse_args()
    if args.smoke:  # one run, of the smallest default export (preparing ResNet-50 takes 15 s)
        args.runs = 1
    args.name = args.name or ("mobilenet_v1_128" if args.smoke else "resnet50")

    exporter = load_exporter()
    workload = next(w for w in exporter.BIG_WORKLOADS if w.name == args.name)
    prepared = exporter.prepare(workload, exporter.DEFAULT_SEED)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    else:
        torch.set_num_threads(torch.get_num_threads())
    model = prepared.model.eval()
    x = torch.from_numpy(prepared.input)
    with torch.no_grad():
        model(x)  # warm-up
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            y = model(x)
            times.append((time.perf_counter() - start) * 1e3)
    # The export's output: its first (and for a classifier only) one, float64 torch's.
    expected = prepared.outputs[0]
    error = float(np.abs(y.numpy() - expected).max() / np.abs(expected).max())
    times.sort()
    print(f"model {args.name} (torch {torch.__version__}, threads {torch.get_num_threads()})")
    print(f"runs {args.runs}  min {times[0]:.1f} ms  median {statistics.median(times):.1f} ms  max {times[-1]:.1f} ms")
    print(f"max error vs saved output, relative to peak: {error:.2e}")


if __name__ == "__main__":
    main()
