#!/usr/bin/python3
"""How far the PULP predictor (perf/pulp, the tiler's cost model) is from the cluster model
(sim/pulp, cores executing their kernels), on gap8 with both tilers.

For each model and tiler one timing-only `workbench run`; from the JSON reports it prints
BENCHMARKS.md's tables: the totals, the error ((simulated - predicted) / predicted) per kernel
(median, min, max, the worst layer), and, for the layers both tilers tile, how much the error
differs between the two tilings of the same layer, per kernel (or pair of kernels, where the
cost objective chose another): what the predictor's ranking of two tilings can be wrong by
and the layers the cost objective made slower than DORY's, with the gain it was promised. With
--tile-choice predicted the cost objective keeps the predictor's best tilings unmeasured (how
far the predictor alone misjudges); by default the cluster model measures the candidates.

    /usr/bin/python3 tests/bench/prediction_error.py build/release/workbench/workbench \\
        [--models resnet18,mobilenet_v2,...] [--battery] [--set KEY=VALUE ...]

--battery adds the battery's opset-13 exports (<cache>/workloads/battery/NAME_opset13) that
compile for gap8; the ones that do not are listed with the reason.
"""

import argparse
import collections
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import SMOKE_HELP, cache_dir, run_no_data  # noqa: E402

TEST_NETWORKS = "resnet18,mobilenet_v2,mobilenet_v1_128,squeezenet1_1,googlenet"


def models(args) -> list:
    found = []
    for name in args.models.split(","):
        found.append((name, cache_dir() / name / "model.onnx"))
    if args.battery:
        for folder in sorted((cache_dir() / "battery").glob("*_opset13")):
            found.append((folder.name.removesuffix("_opset13"), folder / "model.onnx"))
    return [(name, path) for name, path in found if path.exists()]


KERNELS = ["conv", "pointwise", "grouped_conv", "depthwise", "depthwise_plane", "linear", "add", "maxpool",
                  "avgpool", "lut", "mul", "gather", "softmax"]


def layer_rows(report: dict):
    for layer in report["layers"]:
        if "predicted_cycles" not in layer or layer["predicted_cycles"] == 0:
            continue
        yield (layer["name"], layer["pulp"]["kernel"], layer["cycles"], layer["predicted_cycles"],
               layer["pulp"]["tiler_cycles"])


def signed(value: float) -> str:
    return f"{value:+.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbench")
    parser.add_argument("--models", default=TEST_NETWORKS)
    parser.add_argument("--battery", action="store_true")
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--tile-choice", choices=["measured", "predicted"], default="measured",
                        help="tiler=cost's tile_choice: the cluster model measures the candidates (default), or "
                             "the predictor's best is kept")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)  # mobilenet_v1_128 (a default export) only
    args = parser.parse_args()
    if args.smoke:
        args.models, args.battery = "mobilenet_v1_128", False
        if not models(args):
            sys.exit(f"prediction_error --smoke: {cache_dir() / args.models / 'model.onnx'} is not exported "
                     "(/usr/bin/python3 scripts/export_workloads.py)")

    errors = collections.defaultdict(list)       # kernel -> [(error %, run, layer)]
    differences = collections.defaultdict(list)  # kernel -> [(|cost - dory| error points, model, layer)]
    reversals = collections.defaultdict(list)  # kernel -> [(promised gain %, measured loss %, model, layer)]
    print("| run | simulated cycles | predicted cycles | error % | MAC/cycle |")
    print("|---|---|---|---|---|")
    failures = []
    for name, path in models(args):
        by_tiler = {}
        for tiler in ("dory", "cost"):
            opts = [f"tiler={tiler}"] + ([f"tile_choice={args.tile_choice}"] if tiler == "cost" else [])
            report = run_no_data(args.workbench, path, "gap8", args.sets, opts)
            if "error" in report:
                failures.append(f"{name}, {tiler}: {report['error']}")
                break
            totals = report["totals"]
            print(f"| {name}, {tiler} | {totals['cycles']:,} | {totals['predicted_cycles']:,} | "
                  f"{signed(totals['prediction_error_pct'])} | {totals['mac_per_cycle']:.2f} |")
            by_tiler[tiler] = {}
            for layer, kernel, cycles, predicted, tiler_cycles in layer_rows(report):
                error = 100.0 * (cycles - predicted) / predicted
                errors[kernel].append((error, f"{name}, {tiler}", layer))
                by_tiler[tiler][layer] = (kernel, error, cycles, tiler_cycles)
        if len(by_tiler) == 2:
            for layer, (kernel, dory_error, dory_cycles, dory_tiler) in by_tiler["dory"].items():
                if layer in by_tiler["cost"]:
                    cost_kernel, cost_error, cost_cycles, cost_tiler = by_tiler["cost"][layer]
                    key = kernel if cost_kernel == kernel else f"{kernel} -> {cost_kernel}"
                    differences[key].append((abs(cost_error - dory_error), name, layer))
                    reversal_key = "depthwise_plane" if cost_kernel == "depthwise_plane" else kernel
                    promised = 100.0 * (dory_tiler - cost_tiler) / dory_tiler
                    if cost_cycles > dory_cycles:
                        reversals[reversal_key].append((promised, 100.0 * (cost_cycles - dory_cycles) / dory_cycles,
                                                      name, layer))

    everything = [e for rows in errors.values() for e in rows]
    print(f"\nPer layer, by kernel ({len(everything)} layers):\n")
    print("| kernel | layers | median error % | min | max | worst layer |")
    print("|---|---|---|---|---|---|")
    for kernel in sorted(errors) + ["all"]:
        rows = everything if kernel == "all" else errors[kernel]
        if not rows:  # every run failed (listed below)
            continue
        values = [e for e, _, _ in rows]
        worst = max(rows, key=lambda r: abs(r[0]))
        print(f"| {kernel} | {len(rows)} | {signed(statistics.median(values))} | {signed(min(values))} | "
              f"{signed(max(values))} | {worst[2]} ({worst[1]}) |")

    print("\nThe same layer under both tilers, by kernel: |error(cost) - error(dory)|, in points:\n")
    print("| kernel | layers | median | max | at |")
    print("|---|---|---|---|---|")
    for kernel in sorted(differences):
        rows = differences[kernel]
        worst = max(rows)
        print(f"| {kernel} | {len(rows)} | {statistics.median(d for d, _, _ in rows):.1f} | {worst[0]:.1f} | "
              f"{worst[2]} ({worst[1]}) |")
    print("\nLayers tiler=cost made slower than DORY's tiling, by kernel (the gain the tiler's figure "
          "promised, the loss simulated in the network):\n")
    print("| kernel | layers | largest promised gain % | at | its simulated loss % |")
    print("|---|---|---|---|---|")
    for kernel in KERNELS:
        rows = reversals.get(kernel, [])
        if rows:
            worst = max(rows)
            print(f"| {kernel} | {len(rows)} | {worst[0]:.2f} | {worst[3]} ({worst[2]}) | {worst[1]:.2f} |")
        else:
            print(f"| {kernel} | 0 | | | |")
    for failure in failures:
        print(f"\nnot run: {failure}")
    return 1 if args.smoke and failures else 0  # --smoke: mobilenet_v1_128 runs with both tilers


if __name__ == "__main__":
    sys.exit(main())
