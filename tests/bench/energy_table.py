#!/usr/bin/python3
"""BENCHMARKS.md's energy tables (docs/energy.md): every battery network (opset 13) timed on
gap8 with DORY's tiling, tiler=cost and tiler=energy, and on v3_96; per run the latency, the
energy of one inference, pJ/MAC and the average power; for tiler=energy its energy against
DORY's tiling's and against tiler=cost's. Timing-only runs (`--no-data`: the same events,
so the same energy). Energies are the model's (perf/energy over the simulators' counts),
not measurements.

    tests/bench/energy_table.py build/release/workbench/workbench [-j 2]

--smoke (CI) runs the checked-in workloads/tiny_resnet.onnx instead of the battery, so it
needs no export: one row.
"""

import argparse
import concurrent.futures
import sys

from bench_common import ROOT, SMOKE_HELP, cache_dir, run_no_data

RUNS = [("gap8", ["tiler=dory"]), ("gap8", ["tiler=cost"]), ("gap8", ["tiler=energy"]), ("v3_96", [])]


def figures(report: dict) -> str:
    """ms | uJ | pJ/MAC | mW, or why there are none (four cells either way)."""
    if "error" in report:
        fits = "fit" in report["error"] or "more than" in report["error"]
        return " | ".join(["does not fit" if fits else "fails"] + ["-"] * 3)
    t = report["totals"]
    return f"{t['latency_ms']:,.2f} | {t['energy_uj']:,.0f} | {t['pj_per_mac']:.1f} | {t['power_mw']:,.0f}"


def gain(report: dict, against: dict) -> str:
    if "error" in report or "error" in against:
        return "-"
    return f"{(1 - report['totals']['energy_uj'] / against['totals']['energy_uj']) * 100:+.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbench")
    parser.add_argument("-j", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # (name, model.onnx): the checked-in tiny network, not the battery
        models = [("tiny_resnet", ROOT / "workloads" / "tiny_resnet.onnx")]
    else:
        folders = sorted(p for p in (cache_dir() / "battery").glob("*_opset13") if (p / "model.onnx").exists())
        models = [(folder.name.removesuffix("_opset13"), folder / "model.onnx") for folder in folders]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
        for name, model in models:
            for config, opts in RUNS:
                jobs[(name, config, tuple(opts))] = pool.submit(run_no_data, args.workbench, model, config, [], opts)
    print("| network | gap8 dory: ms | uJ | pJ/MAC | mW | gap8 tiler=energy: ms | uJ | pJ/MAC | mW "
          "| energy saved vs dory | vs tiler=cost | v3_96: ms | uJ | pJ/MAC | mW |")
    print("|---|" + "---:|" * 15)
    for name, _ in models:
        dory, cost, energy, xdnn = (jobs[(name, config, tuple(opts))].result() for config, opts in RUNS)
        print(f"| {name} | {figures(dory)} | {figures(energy)} | {gain(energy, dory)} | {gain(energy, cost)} "
              f"| {figures(xdnn)} |")
    if args.smoke:  # the tiny network fits everywhere: a run that fails is the script's failure
        failed = [f"{name} {config} {' '.join(opts)}: {job.result()['error']}"
                  for (name, config, opts), job in jobs.items() if "error" in job.result()]
        if failed:
            sys.exit("energy_table --smoke: " + "; ".join(failed))

if __name__ == "__main__":
    main()
