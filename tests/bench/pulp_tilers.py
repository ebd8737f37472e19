#!/usr/bin/python3
"""PULP on gap8 (BENCHMARKS.md): per layer, the cycles of DORY's tiler objective and of the
cost objective for MobileNetV1-128 and MobileNetV2, with the total gain; MobileNetV1-128 on
1, 2, 4 and 8 cores; an L1 budget sweep with both objectives. Timing-only runs
(`workbench run --no-data`) have the same cycles as full runs (tested).

    /usr/bin/python3 tests/bench/pulp_tilers.py [--workbench build/release/workbench/workbench]
        [--models mobilenet_v1_128,mobilenet_v2] [--set l1_tile_budget_bytes=38000]

With --totals, only a table of the whole networks' cycles with both objectives, one row per
model (the concat networks, say: --totals --models squeezenet1_1,googlenet).

--smoke (CI): every table once for mobilenet_v1_128 alone, on 2 core counts and 1 L1 budget.
"""

import argparse
import sys

from bench_common import ROOT, SMOKE_HELP, cache_dir, run_no_data

CORES = (1, 2, 4, 8)
BUDGETS = ("38000", "32KiB", "24KiB", "16KiB", "12KiB", "8KiB", "6KiB", "5KiB")


def run(workbench: str, model: str, sets: list, opts: list) -> dict:
    report = run_no_data(workbench, cache_dir() / model / "model.onnx", "gap8", sets, opts)
    if "error" in report:
        sys.exit(f"{model} {sets} {opts}: {report['error']}")
    return report


def short(name: str) -> str:
    parts = [p for p in name.split("/") if p]
    return parts[-2] if len(parts) >= 2 else name


def per_layer(workbench: str, model: str, sets: list) -> None:
    dory = run(workbench, model, sets, ["tiler=dory"])
    cost = run(workbench, model, sets, ["tiler=cost"])
    print(f"\n### {model} on gap8{' (' + ', '.join(sets) + ')' if sets else ''}\n")
    print("| layer | type | MACs | dory tile | dory cycles | dory MAC/c | cost tile | parallel | cost cycles "
          "| cost MAC/c | gain |")
    print("|---|---|---:|---|---:|---:|---|---|---:|---:|---:|")
    for d, c in zip(dory["layers"], cost["layers"]):
        # tile and parallel are the target's own statistics, in the layer's pulp block (report schema 3 on)
        print(f"| {short(d['name'])} | {d['type']} | {d['macs']:,} | {d['pulp']['tile']} | {d['cycles']:,} | "
              f"{d['mac_per_cycle']:.2f} | {c['pulp']['tile']} | {c['pulp']['parallel']} | {c['cycles']:,} | "
              f"{c['mac_per_cycle']:.2f} | {d['cycles'] / c['cycles']:.2f}x |")
    td, tc = dory["totals"], cost["totals"]
    print(f"| **total** | | {td['macs']:,} | | {td['cycles']:,} | {td['mac_per_cycle']:.2f} | | | "
          f"{tc['cycles']:,} | {tc['mac_per_cycle']:.2f} | {td['cycles'] / tc['cycles']:.3f}x |")


def totals(workbench: str, models: list, sets: list) -> None:
    print(f"\n### Whole networks on gap8{' (' + ', '.join(sets) + ')' if sets else ''}\n")
    print("| network | layers | MACs | dory cycles | dory MAC/c | cost cycles | cost MAC/c | gain | layers faster |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in models:
        dory = run(workbench, model, sets, ["tiler=dory"])
        cost = run(workbench, model, sets, ["tiler=cost"])
        faster = sum(c["cycles"] < d["cycles"] for d, c in zip(dory["layers"], cost["layers"]))
        td, tc = dory["totals"], cost["totals"]
        print(f"| {model} | {len(dory['layers'])} | {td['macs']:,} | {td['cycles']:,} | {td['mac_per_cycle']:.2f} | "
              f"{tc['cycles']:,} | {tc['mac_per_cycle']:.2f} | {td['cycles'] / tc['cycles']:.3f}x | {faster} |")


def scaling(workbench: str, model: str, sets: list, counts: tuple = CORES) -> None:
    print(f"\n### {model}: cores (tiler=dory{', ' + ', '.join(sets) if sets else ''})\n")
    print("| cores | cycles | MAC/cycle | speed-up | best layer MAC/cycle |")
    print("|---:|---:|---:|---:|---:|")
    base = None
    for cores in counts:
        r = run(workbench, model, sets + [f"cores={cores}"], ["tiler=dory"])
        cycles = r["totals"]["cycles"]
        base = base or cycles
        best = max(layer["mac_per_cycle"] for layer in r["layers"])
        print(f"| {cores} | {cycles:,} | {r['totals']['mac_per_cycle']:.2f} | {base / cycles:.2f} | {best:.2f} |")


def budget_sweep(workbench: str, model: str, budgets: tuple = BUDGETS) -> None:
    print(f"\n### {model}: L1 tile budget sweep (MAC/cycle)\n")
    print("| l1_tile_budget_bytes | tiler=dory | tiler=cost |")
    print("|---:|---:|---:|")
    for budget in budgets:
        row = []
        for tiler in ("dory", "cost"):
            row.append(f"{run(workbench, model, [f'l1_tile_budget_bytes={budget}'], [f'tiler={tiler}'])['totals']['mac_per_cycle']:.2f}")
        print(f"| {budget} | {row[0]} | {row[1]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="mobilenet_v1_128,mobilenet_v2")
    parser.add_argument("--set", action="append", default=[], help="hw override for every run")
    parser.add_argument("--totals", action="store_true", help="only the whole networks' totals, one row per model")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # every table, few runs: 8 timing-only runs of mobilenet_v1_128 (a default export)
        model = "mobilenet_v1_128"
        per_layer(args.workbench, model, args.set)
        scaling(args.workbench, model, args.set, counts=(1, 8))
        budget_sweep(args.workbench, model, budgets=BUDGETS[:1])
        totals(args.workbench, [model], args.set)
        return
    if args.totals:
        totals(args.workbench, args.models.split(","), args.set)
        return
    for model in args.models.split(","):
        per_layer(args.workbench, model, args.set)
    scaling(args.workbench, "mobilenet_v1_128", args.set)
    budget_sweep(args.workbench, "mobilenet_v1_128")


if __name__ == "__main__":
    main()
