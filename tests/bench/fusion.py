#!/usr/bin/python3
"""PULP depth-first fusion on gap8 (BENCHMARKS.md, "Depth-first fusion"): per network DORY's
tiling, tiler=cost apart (fusion=off), with the pairs that measured faster fused (fusion=on) and
with every pair the plan allows fused (fusion=all): cycles, MAC/cycle, the cluster DMA's bytes
into and out of L1, the uDMA's L3 bytes and of those the intermediate activations' (moveops), the
most L2 the activations hold at once, energy and energy-delay product, the fused pairs, the
layers of the patch stage and the compile wall time. Timing-only runs (the figures equal a run
with data).

    /usr/bin/python3 tests/bench/fusion.py [--workbench build/release/workbench/workbench]
        [--models mobilenet_v1_128,battery/tinyml_ds_cnn_opset13,...] [--set KEY=VALUE ...] [--groups]

A model is a folder of the workload cache (its model.onnx) or a checked-in workloads/*.onnx.
--groups: instead, per fusion group of fusion=all against the same layers of fusion=off (what
`workbench compare off.json all.json --stat l1_bytes_in --stat l1_bytes_out` joins), its
cycles, cluster DMA bytes, energy and energy-delay product apart and fused.
--battery: instead, every network of the workload cache's battery (its newest opset export),
tiler=cost with fusion=off against fusion=on: whether fusing ever made a network slower in total
(-j N runs N networks at once).
--headroom: instead, the most depth-first fusion of depthwise + pointwise pairs can win in this
model: per pair (a depthwise layer and the pointwise layer run right after it), its cycles apart
less its cores' compute and its waits for L3 (what fusing in L1 can remove: the cluster DMA's
exposed time and the layers' starts and ends; the kernels and their MACs stay, so the compute
changes only with the tiles, which the last column measures: fusion=all's compute for the pairs
it fuses); and the network's cycles and MAC/cycle with all of it removed, the compute as apart.
--smoke (CI): the checked-in tiny_mobilenet_v2 alone, all three tables.
"""

import argparse
import concurrent.futures
import re
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import ROOT, SMOKE_HELP, cache_dir, run_no_data

CONFIGS = (("dory", ["tiler=dory"]),
           ("cost, fusion=off", ["tiler=cost", "fusion=off"]),
           ("cost, fusion=on", ["tiler=cost", "fusion=on"]),
           ("cost, fusion=all", ["tiler=cost", "fusion=all"]))
MODELS = ("mobilenet_v1_128,battery/mobilenet_v2_opset13,battery/mobilenet_v3_small_opset13,"
          "battery/tinyml_mobilenet_v1_vww_opset11,battery/tinyml_ds_cnn_opset13,tiny_mobilenet_v2")


def model_path(model: str) -> Path:
    checked_in = ROOT / "workloads" / f"{model}.onnx"
    return checked_in if checked_in.exists() else cache_dir() / model / "model.onnx"


def short_group(group: str) -> str:
    """A pair as it is; a patch stage's many layers as its first and last and how many."""
    names = group.split(" + ")
    return group if len(names) <= 2 else f"patch stage: {names[0]} ... {names[-1]} ({len(names)} layers)"


def print_groups(workbench: str, models: str, sets: list) -> None:
    """Each fusion group of fusion=all beside the layers it replaces in fusion=off."""
    print("| network (gap8) | group | cycles apart | fused | fused/apart | L2<->L1 bytes apart | fused | "
          "energy uJ apart | fused | EDP uJ*ms apart | fused |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in models.split(","):
        path = model_path(model)
        if not path.exists():
            sys.exit(f"{model} is not exported ({path}): /usr/bin/python3 scripts/export_workloads.py")
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for name, opts in (("off", ["tiler=cost", "fusion=off"]), ("all", ["tiler=cost", "fusion=all"])):
                report = run_no_data(workbench, path, "gap8", sets, opts)
                if "error" in report:
                    sys.exit(f"{model}, fusion={name}: {report['error']}")
                files.append(Path(tmp) / f"{name}.json")
                files[-1].write_text(json.dumps(report))
            groups = {layer["name"]: short_group(layer["pulp"]["fusion_group"]) for layer in report["layers"]
                      if "fusion_group" in layer.get("pulp", {})}
            joined = Path(tmp) / "joined.csv"
            done = subprocess.run([workbench, "compare", *map(str, files), "--stat", "l1_bytes_in", "--stat",
                                   "l1_bytes_out", "--top", "0", "--csv", str(joined)], capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"{model}: workbench compare: {(done.stderr or done.stdout).strip()}")
            with open(joined, newline="") as f:
                rows = [row for row in csv.DictReader(f) if row["B_layers"] in groups]
            if not rows:
                print(f"| {model} | (no pair fuses) | | | | | | | | | |")
            for row in rows:
                apart, fused = int(row["A_cycles"]), int(row["B_cycles"])
                dma = [int(row[f"{side}_l1_bytes_in"]) + int(row[f"{side}_l1_bytes_out"]) for side in "AB"]
                energy = [float(row[f"{side}_energy_uj"]) for side in "AB"]
                edp = [float(row[f"{side}_energy_delay"]) for side in "AB"]
                print(f"| {model} | {groups[row['B_layers']]} | {apart:,} | {fused:,} | {fused / apart:.3f} | "
                      f"{dma[0]:,} | {dma[1]:,} | {energy[0]:.2f} | {energy[1]:.2f} | {edp[0]:.4g} | {edp[1]:.4g} |")


def newest_battery_exports() -> list:
    """Each battery network once, as its export of the highest opset."""
    newest = {}
    for folder in sorted((cache_dir() / "battery").glob("*_opset*")):
        name, opset = re.fullmatch(r"(.+)_opset(\d+)", folder.name).groups()
        if (folder / "model.onnx").exists() and int(opset) > newest.get(name, (0, ""))[0]:
            newest[name] = (int(opset), f"battery/{folder.name}")
    return [model for _, model in sorted(newest.values(), key=lambda pair: pair[1])]


def off_against_on(workbench: str, model: str, sets: list) -> str:
    """One table row: the network's cycles with fusion=off and =on, or why it does not run."""
    reports = [run_no_data(workbench, model_path(model), "gap8", sets, ["tiler=cost", f"fusion={fusion}"])
               for fusion in ("off", "on")]
    failed = next((report["error"] for report in reports if "error" in report), None)
    if failed:
        return f"| {model} | {failed[:120]} | | | | | | | |"
    off, on = (report["totals"] for report in reports)
    layers = reports[1]["layers"]
    fused = sum(1 for layer in layers if layer["type"] == "depthwise+pointwise")
    staged = sum(layer["pulp"]["fusion_group"].count(" + ") + 1 for layer in layers if layer["type"] == "patch_stage")
    change = 100.0 * (on["cycles"] - off["cycles"]) / off["cycles"]
    return (f"| {model} | {off['cycles']:,} | {on['cycles']:,} | {change:+.2f} % | {off['moveops']:,} | "
            f"{on['moveops']:,} | {fused} | {staged} | {reports[1]['wall']['compile_seconds']:.2f} |")


def print_battery(workbench: str, sets: list, jobs: int) -> None:
    print("| network (gap8, tiler=cost) | fusion=off cycles | fusion=on cycles | change | moveops off | on | "
          "fused pairs | patch stage layers | compile s (on) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for row in pool.map(lambda model: off_against_on(workbench, model, sets), newest_battery_exports()):
            print(row, flush=True)


def dw_pw_pairs(layers: list) -> list:
    """(depthwise, pointwise) layer reports: each depthwise layer and the pointwise one run next."""
    return [(dw, pw) for dw, pw in zip(layers, layers[1:])
            if dw["type"] == "depthwise" and pw["pulp"].get("kernel", "").startswith("pointwise")]


def removable(layer: dict) -> int:
    """A layer's cycles beyond its cores' compute and its waits for L3."""
    return layer["cycles"] - layer["pulp"]["compute_cycles"] - layer["pulp"]["l3_wait_cycles"]


def print_headroom(workbench: str, models: str, sets: list) -> None:
    """Per network and pair: what fusion in L1 could remove at most, against what fusion=all measured."""
    print("| network (gap8, tiler=cost) | pair (depthwise) | cycles apart | compute apart | L3 waits | "
          "removable | fused compute (fusion=all) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    summary = []
    for model in models.split(","):
        path = model_path(model)
        if not path.exists():
            sys.exit(f"{model} is not exported ({path}): /usr/bin/python3 scripts/export_workloads.py")
        off, fused = (run_no_data(workbench, path, "gap8", sets, ["tiler=cost", f"fusion={fusion}"])
                      for fusion in ("off", "all"))
        failed = next((report["error"] for report in (off, fused) if "error" in report), None)
        if failed:
            sys.exit(f"{model}: {failed}")
        fused_compute = {layer["pulp"]["fusion_group"]: layer["pulp"]["compute_cycles"] for layer in fused["layers"]
                         if layer["type"] == "depthwise+pointwise"}
        total_removable = 0
        for dw, pw in dw_pw_pairs(off["layers"]):
            cycles = dw["cycles"] + pw["cycles"]
            compute = dw["pulp"]["compute_cycles"] + pw["pulp"]["compute_cycles"]
            l3_waits = dw["pulp"]["l3_wait_cycles"] + pw["pulp"]["l3_wait_cycles"]
            total_removable += removable(dw) + removable(pw)
            measured = fused_compute.get(f"{dw['name']} + {pw['name']}")
            print(f"| {model} | {dw['name']} | {cycles:,} | {compute:,} | {l3_waits:,} | "
                  f"{removable(dw) + removable(pw):,} | {f'{measured:,}' if measured else 'not fused'} |")
        totals = off["totals"]
        ceiling = totals["cycles"] - total_removable
        summary.append(f"| {model} | {totals['cycles']:,} ({totals['mac_per_cycle']:.2f}) | {total_removable:,} | "
                       f"{ceiling:,} ({totals['macs'] / ceiling:.2f}) | "
                       f"{100.0 * total_removable / totals['cycles']:.1f} % |")
    print()
    print("| network (gap8, tiler=cost) | fusion=off cycles (MAC/cycle) | removable by fusing every pair | "
          "cycles (MAC/cycle) with all of it removed, compute as apart | at most faster by |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(summary))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default=MODELS)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--groups", action="store_true", help="per fusion group instead (fusion=all against off)")
    parser.add_argument("--battery", action="store_true", help="every battery network, fusion=off against on")
    parser.add_argument("--headroom", action="store_true",
                        help="the most fusing every depthwise + pointwise pair could remove, per pair")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="with --battery: networks run at once")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.battery:
        print_battery(args.workbench, args.sets, args.jobs)
        return 0
    if args.headroom:
        print_headroom(args.workbench, args.models, args.sets)
        return 0
    if args.smoke:
        args.models = "tiny_mobilenet_v2"
        print_groups(args.workbench, args.models, args.sets)
        print_headroom(args.workbench, args.models, args.sets)
    elif args.groups:
        print_groups(args.workbench, args.models, args.sets)
        return 0
    print("| network (gap8) | configuration | cycles (MAC/cycle) | L2->L1 bytes | L1->L2 bytes | L3 bytes | "
          "moveops | peak L2 activations | energy uJ | EDP uJ*ms | fused pairs | patch stage layers | compile s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in args.models.split(","):
        path = model_path(model)
        if not path.exists():
            sys.exit(f"{model} is not exported ({path}): /usr/bin/python3 scripts/export_workloads.py")
        for name, opts in CONFIGS:
            report = run_no_data(args.workbench, path, "gap8", args.sets, opts)
            if "error" in report:
                sys.exit(f"{model}, {name}: {report['error']}")
            totals = report["totals"]
            pulp = totals["pulp"]
            fused = sum(1 for layer in report["layers"] if layer["type"] == "depthwise+pointwise")
            staged = sum(layer["pulp"]["fusion_group"].count(" + ") + 1 for layer in report["layers"]
                         if layer["type"] == "patch_stage")
            l3 = pulp["l3_bytes_in"] + pulp["l3_bytes_out"]
            print(f"| {model} | {name} | {totals['cycles']:,} ({totals['mac_per_cycle']:.2f}) | "
                  f"{pulp['l1_dma_bytes_in']:,} | {pulp['l1_dma_bytes_out']:,} | {l3:,} | {totals['moveops']:,} | "
                  f"{pulp['l2_activation_peak_bytes']:,} | {totals['energy_uj']:.1f} | {totals['energy_delay']:.4g} | "
                  f"{fused} | {staged} | {report['wall']['compile_seconds']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
