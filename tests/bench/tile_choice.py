#!/usr/bin/python3
"""PULP tiler=cost on gap8 (BENCHMARKS.md, "Tilings chosen by measurement"): per network the
cycles of DORY's tiling, of the cost objective keeping the predictor's best tilings
(tile_choice=predicted) and of the cost objective keeping the best the cluster model measured
(tile_choice=measured, with measured_tilings 2 and 4), with the compile and simulation wall
times of each run (the report's `wall`). Timing-only runs.

    /usr/bin/python3 tests/bench/tile_choice.py [--workbench build/release/workbench/workbench]
        [--models mobilenet_v1_128,mobilenet_v2,squeezenet1_1,googlenet,resnet18] [--set KEY=VALUE ...]

--smoke (CI): mobilenet_v1_128 alone.
"""

import argparse
import sys

from bench_common import ROOT, SMOKE_HELP, cache_dir, run_no_data

CHOICES = (("DORY's tiling", ["tiler=dory"]),
           ("cost, predicted", ["tiler=cost", "tile_choice=predicted"]),
           ("cost, measured (k=2)", ["tiler=cost", "tile_choice=measured"]),
           ("cost, k=4", ["tiler=cost", "tile_choice=measured", "measured_tilings=4"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="mobilenet_v1_128,mobilenet_v2,squeezenet1_1,googlenet,resnet18")
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:
        args.models = "mobilenet_v1_128"
    print("| network (gap8) | " + " | ".join(name for name, _ in CHOICES) + " | compile s | simulation s |")
    print("|---|" + "---:|" * len(CHOICES) + "---|---|")
    for model in args.models.split(","):
        path = cache_dir() / model / "model.onnx"
        cells, compile_s, simulate_s = [], [], []
        for name, opts in CHOICES:
            report = run_no_data(args.workbench, path, "gap8", args.sets, opts)
            if "error" in report:
                sys.exit(f"{model}, {name}: {report['error']}")
            totals = report["totals"]
            cells.append(f"{totals['cycles']:,} ({totals['mac_per_cycle']:.2f})")
            compile_s.append(f"{report['wall']['compile_seconds']:.2f}")
            simulate_s.append(f"{report['wall']['simulate_seconds']:.2f}")
        print(f"| {model} | " + " | ".join(cells) + f" | {' / '.join(compile_s)} | {' / '.join(simulate_s)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
