#!/usr/bin/python3
"""The xDNN compiler's optimisations on and off: cycles, MAC/cycle, utilization and DDR bytes
of `workbench run --no-data` for each network x config, one optimisation switched off at a
time (BENCHMARKS.md). Timing-only runs have the same cycles as full runs (tested), so this
takes seconds per point.

    /usr/bin/python3 tests/bench/xdnn_optimizations.py [--workbench build/release/workbench/workbench]
        [--models resnet50_v1,googlenet_v1] [--configs v3_96,v2_28:am_bytes=3MiB]
"""

import argparse
import sys
from pathlib import Path

from bench_common import ROOT, SMOKE_HELP, model_config_points, run_no_data

OPTIONS = ["schedule_search", "replication", "pool_pipelining", "weight_pingpong", "concat_placement",
           "input_streaming", "weight_staging", "sibling_merge"]


def run(workbench: str, model: Path, config: str, sets: list, opts: list) -> dict:
    report = run_no_data(workbench, model, config, sets, opts)
    return report if "error" in report else report["totals"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="resnet50_v1,googlenet_v1")
    parser.add_argument("--configs", default="v3_96,v2_28:am_bytes=3MiB")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # resnet50_v1 (a default export) on v3_96, where every option compiles
        args.models, args.configs = "resnet50_v1", "v3_96"
    failed = False
    print("| network | config | compile options | cycles | latency ms | MAC/cycle | utilization | DDR bytes | "
          "of which activations | of which intermediate | peak AM | weights staged in AM |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, path, config, sets, label in model_config_points(args.models, args.configs, strict=args.smoke):
        for off in [None] + OPTIONS:
            opts = [] if off is None else [f"{off}=off"]
            t = run(args.workbench, path, config, sets, opts)
            name = "all on" if off is None else f"{off}=off"
            if "error" in t:
                print(f"| {model} | {label} | {name} | error: {t['error']} | | | | | | | | |")
                failed = True
                continue
            x = t["xdnn"]  # the target's own statistics (report schema 3)
            print(f"| {model} | {label} | {name} | {t['cycles']:,} | {t['latency_ms']:.3f} | "
                  f"{t['mac_per_cycle']:.1f} | {100 * t['utilization']:.1f}% | {t['offchip_bytes']:,} | "
                  f"{x['ddr_activation_bytes']:,} | {x['ddr_spill_bytes']:,} | {x['peak_am_bytes']:,} | "
                  f"{x['am_weight_bytes']:,} |")
        sys.stdout.flush()
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
