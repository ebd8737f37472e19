#!/usr/bin/python3
"""The float reference executor and torch side by side on one workload: ROUNDS alternating
rounds of `bench_reference_executor --runs N` and `torch_reference.py --runs N` (same
threads), so both see the same machine state; prints each round's medians, the median of
the rounds and the executor / torch ratio (BENCHMARKS.md).

  /usr/bin/python3 tests/bench/reference_vs_torch.py [NAME] [--rounds 3] [--runs 20] [--threads 2]
"""

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

from bench_common import ROOT, SMOKE_HELP, cache_dir


def median_ms(command: list) -> float:
    done = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"median ([0-9.]+) ms", done.stdout + done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout}{done.stderr}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", help="an exported workload (default: resnet50; --smoke: mobilenet_v1_128)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bench", default=str(ROOT / "build/release/tests/bench/bench_reference_executor"))
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # one round of one run, of the smallest default export (ResNet-50's torch model takes 15 s)
        args.rounds, args.runs = 1, 1
    args.name = args.name or ("mobilenet_v1_128" if args.smoke else "resnet50")

    ours_cmd = [args.bench, str(cache_dir() / args.name), "--runs", str(args.runs), "--threads", str(args.threads)]
    torch_cmd = ["/usr/bin/python3", str(ROOT / "tests/bench/torch_reference.py"), args.name, "--runs",
                 str(args.runs), "--threads", str(args.threads)]
    ours, theirs = [], []
    print("| round | reference executor (median) | torch (median) | ratio |")
    print("|---|---|---|---|")
    for r in range(args.rounds):
        ours.append(median_ms(ours_cmd))
        theirs.append(median_ms(torch_cmd))
        print(f"| {r + 1} | {ours[-1]:.1f} ms | {theirs[-1]:.1f} ms | {ours[-1] / theirs[-1]:.2f}x |")
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"| median of {args.rounds} | {o:.1f} ms | {t:.1f} ms | {o / t:.2f}x |")


if __name__ == "__main__":
    main()
