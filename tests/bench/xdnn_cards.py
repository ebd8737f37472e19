#!/usr/bin/python3
"""Cards of several xDNN PEs (docs/xdnn.md, "Cards of several PEs"): the card's frames/s with 1 to
4 PEs, each PE its own array, AM and DDR channel, the host link (PCIe) and the host shared, from
`workbench run --no-data --set pes=N` (3 images per PE, the card's steady state). Both modes, FC
on the array (our default) and on the host (host_fc_softmax=true, as ML Suite ran it): the
scaling at 4 PEs against 4x one PE, and what binds the card.

    /usr/bin/python3 tests/bench/xdnn_cards.py [--workbench build/release/workbench/workbench]
        [--models googlenet_v1,resnet50_v1] [--config v3_96] [--pes 1,2,3,4]
"""

import argparse
import sys

from bench_common import ROOT, SMOKE_HELP, model_config_points, run_no_data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="googlenet_v1,resnet50_v1", help="comma-separated model folders")
    parser.add_argument("--config", default="v3_96")
    parser.add_argument("--pes", default="1,2,3,4", help="comma-separated PE counts; the first is the reference")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    pes = [int(p) for p in args.pes.split(",")]
    models = args.models
    if args.smoke:
        models, pes = "resnet50_v1", [1, 2]
    head = " | ".join(f"{p} PE{'s' if p > 1 else ''} fps" for p in pes)
    print(f"| network | mode | FC on | {head} | scaling at {pes[-1]} | binds at {pes[-1]} | link / host busy at {pes[-1]} |")
    print("|---|---|---|" + "---|" * len(pes) + "---|---|---|")
    failed = False
    for model, path, config, sets, _ in model_config_points(models, args.config, strict=args.smoke):
        for mode in ("latency", "throughput"):
            for fc in ("array", "host"):
                cells, last = [], None
                for p in pes:
                    extra = [f"pes={p}"] + (["host_fc_softmax=true"] if fc == "host" else [])
                    report = run_no_data(args.workbench, path, config, sets + extra, [f"mode={mode}"])
                    if "error" in report:
                        failed = True
                        cells.append(f"refused: {report['error'][:80]}")
                        last = None
                        continue
                    last = report["totals"]["xdnn"]
                    cells.append((p, last["card_fps"]))
                base = cells[0][1] if isinstance(cells[0], tuple) else None
                scaling = binding = shares = ""
                if last is not None and base:
                    scaling = f"{cells[-1][1] / (base * pes[-1] / pes[0]):.3f}"
                    binding = last["card_binding"]
                    shares = f"{last['host_link_busy_share']:.3f} / {last['host_busy_share']:.3f}"
                text = " | ".join(f"{c[1]:.1f}" if isinstance(c, tuple) else c for c in cells)
                print(f"| {model} | {mode} | {fc} | {text} | {scaling} | {binding} | {shares} |")
                sys.stdout.flush()
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
