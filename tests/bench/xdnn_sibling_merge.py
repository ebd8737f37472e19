#!/usr/bin/python3
"""Sibling merging on and off (docs/xdnn.md, "Sibling merging"): for each network x config,
`workbench run --no-data` with the default options and with `--compile-opt sibling_merge=off`;
the merged layers, the cycles both ways, the array's own cycles (time cause `array`) and the
intermediate bytes through DDR (BENCHMARKS.md).

    /usr/bin/python3 tests/bench/xdnn_sibling_merge.py [--workbench build/release/workbench/workbench]
        [--models googlenet_v1,googlenet,battery/inception_v3_opset13]
        [--configs v2_28,v2_56,v3_96,v2_28:array.cols=24,v2_28:am_bytes=1MiB]
"""

import argparse
import sys

from bench_common import ROOT, SMOKE_HELP, model_config_points, run_no_data

DEFAULT_CONFIGS = ("v2_28,v2_56,v3_96,v2_28:array.cols=24,v2_28:array.cols=48,v2_28:am_bytes=512KiB,"
                   "v2_28:am_bytes=1MiB")


def array_cycles(report: dict) -> int:
    return sum(layer["time"]["array"] for layer in report["layers"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="googlenet_v1,googlenet,battery/inception_v3_opset13")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:  # googlenet_v1 (a default export) on v2_28, where siblings merge
        args.models, args.configs = "googlenet_v1", "v2_28"
    failed = False
    print("| network | config | merged layers | cycles, merged | cycles, apart | change | array cycles, merged | "
          "array cycles, apart | intermediate DDR bytes, merged | apart |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, path, config, sets, label in model_config_points(args.models, args.configs, strict=args.smoke):
        merged = run_no_data(args.workbench, path, config, sets, [])
        apart = run_no_data(args.workbench, path, config, sets, ["sibling_merge=off"])
        if "error" in merged or "error" in apart:
            print(f"| {model} | {label} | error: {merged.get('error') or apart.get('error')} | | | | | | | |")
            failed = True
            continue
        count = sum("_merged_" in layer["name"] for layer in merged["layers"])
        on, off = merged["totals"]["cycles"], apart["totals"]["cycles"]
        print(f"| {model} | {label} | {count} | {on:,} | {off:,} | {100 * (on / off - 1):+.2f}% | "
              f"{array_cycles(merged):,} | {array_cycles(apart):,} | "
              f"{merged['totals']['xdnn']['ddr_spill_bytes']:,} | {apart['totals']['xdnn']['ddr_spill_bytes']:,} |")
        sys.stdout.flush()
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
