#!/usr/bin/python3
"""xDNN's deployment modes per PE (docs/xdnn.md, "Throughput mode"): frames/s of each network in
latency mode (one image at a time on the Main Block) and throughput mode (the first convolution
on the Dedicated Block, one image ahead), from `workbench run --no-data` (throughput mode streams
3 images and reports the steady state), beside ML Suite's published per-PE figures where they
exist (REFERENCE.md). Each network with weight staging on (our compiler) and off (xfDNN's).

    /usr/bin/python3 tests/bench/xdnn_modes.py [--workbench build/release/workbench/workbench]
        [--models googlenet_v1,resnet50_v1,battery/...] [--config v3_96]
"""

import argparse
import sys

from bench_common import ROOT, SMOKE_HELP, cache_dir, model_config_points, run_no_data

# ML Suite's Benchmark_README, frames/s per PE at 700 MHz, int8 (REFERENCE.md).
PUBLISHED = {"googlenet_v1": (802.95, 962.28), "resnet50_v1": (287.04, 306.57)}


def battery_models() -> list:
    """The battery's exports, one opset each (the newest), as model folder names."""
    folders = sorted(p.parent.name for p in (cache_dir() / "battery").glob("*_opset*/model.onnx"))
    newest = {}
    for name in folders:
        network, opset = name.rsplit("_opset", 1)
        if network not in newest or int(opset) > int(newest[network].rsplit("_opset", 1)[1]):
            newest[network] = name
    return [f"battery/{name}" for name in sorted(newest.values())]


def cell(report: dict) -> str:
    if "error" in report:
        return f"refused: {report['error'][:90]}"
    x = report["totals"]["xdnn"]
    return f"{x['fps_per_pe']:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workbench", default=str(ROOT / "build" / "release" / "workbench" / "workbench"))
    parser.add_argument("--models", default="", help="comma-separated model folders (default: the two "
                        "published networks and the battery)")
    parser.add_argument("--config", default="v3_96")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    models = args.models or ",".join(["googlenet_v1", "resnet50_v1"] + battery_models())
    if args.smoke:
        models = "resnet50_v1"
    print("| network | weight staging | latency fps | throughput fps | ratio | published latency / throughput "
          "| error latency / throughput | first-image latency ms (throughput) |")
    print("|---|---|---|---|---|---|---|---|")
    failed = False
    for model, path, config, sets, _ in model_config_points(models, args.config, strict=args.smoke):
        for staging in ("on", "off"):
            opts = [f"weight_staging={staging}"]
            latency = run_no_data(args.workbench, path, config, sets, opts + ["mode=latency"])
            throughput = run_no_data(args.workbench, path, config, sets, opts + ["mode=throughput"])
            failed = failed or "error" in latency
            ratio = first = published = error = ""
            if "error" not in latency and "error" not in throughput:
                lat, thr = latency["totals"]["xdnn"]["fps_per_pe"], throughput["totals"]["xdnn"]["fps_per_pe"]
                ratio = f"{thr / lat:.3f}"
                first = f"{throughput['totals']['xdnn']['first_image_latency_ms']:.3f}"
                if model in PUBLISHED:
                    pl, pt = PUBLISHED[model]
                    published = f"{pl} / {pt} ({pt / pl:.3f})"
                    error = f"{100 * (lat / pl - 1):+.1f}% / {100 * (thr / pt - 1):+.1f}%"
            print(f"| {model} | {staging} | {cell(latency)} | {cell(throughput)} | {ratio} | {published} | {error} | "
                  f"{first} |")
            sys.stdout.flush()
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
