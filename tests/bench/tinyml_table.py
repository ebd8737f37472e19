#!/usr/bin/python3
"""BENCHMARKS.md's MLPerf Tiny table: the battery's four MLPerf Tiny models (opset 13, seeded
random weights, scripts/export_workloads.py --battery) run with their input on gap8 (8 cores,
the default tiler) and v3_96, each checked bit-exact against the golden model: cycles,
MAC/cycle, latency at the config's clock, and the energy model's uJ per inference
(docs/energy.md: a model over the simulators' counts, not a measurement), beside GAP9's
published MLPerf Tiny energies, a different chip (22 nm, 9 cores and the NE16 accelerator).

    tests/bench/tinyml_table.py build/release/workbench/workbench

--smoke (CI) runs the checked-in workloads/tiny_resnet.onnx with its input on gap8 instead of
the battery, so it needs no export: one row.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import ROOT, SMOKE_HELP, cache_dir

# (battery network, MLPerf Tiny task, GAP9's published uJ per inference or None)
NETWORKS = [("tinyml_resnet8", "image classification", 27.7),
            ("tinyml_ds_cnn", "keyword spotting", 18.6),
            ("tinyml_mobilenet_v1_vww", "visual wake words", 40.8),
            ("tinyml_autoencoder", "anomaly detection", None)]
CONFIGS = ["gap8", "v3_96"]


def run(workbench: str, model: Path, input_npy: Path, config: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        done = subprocess.run([workbench, "run", "--hw", str(ROOT / "configs" / f"{config}.yaml"),
                               str(model), "--input", str(input_npy), "--calib-count",
                               "4", "--quiet", "--json", str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            return {"error": said[-1] if said else f"exit {done.returncode}, no output"}
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbench")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    # (network, task, GAP9's uJ, model.onnx, input.npy) per row; --smoke: the checked-in tiny network.
    if args.smoke:
        networks = [("tiny_resnet", "smoke", None, ROOT / "workloads" / "tiny_resnet.onnx",
                     ROOT / "workloads" / "tiny_resnet.input.npy")]
        configs = CONFIGS[:1]
    else:
        networks = [(network, task, gap9, cache_dir() / "battery" / f"{network}_opset13" / "model.onnx",
                     cache_dir() / "battery" / f"{network}_opset13" / "input.npy") for network, task, gap9 in NETWORKS]
        configs = CONFIGS
    failed = []
    print("| network (task) | MMACs | config | verdict | cycles | MAC/cycle | latency ms | uJ (model) | "
          "GAP9 uJ (published) |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for network, task, gap9, model, input_npy in networks:
        for config in configs:
            report = run(args.workbench, model, input_npy, config)
            if "error" in report:
                print(f"| {network} ({task}) | - | {config} | {report['error']} | - | - | - | - | - |")
                failed.append(f"{network} on {config}: {report['error']}")
                continue
            t = report["totals"]
            published = f"{gap9}" if gap9 is not None and config == "gap8" else "-"
            print(f"| {network} ({task}) | {t['macs'] / 1e6:.2f} | {config} | {report['verdict']} | "
                  f"{t['cycles']:,} | {t['mac_per_cycle']:.2f} | {t['latency_ms']:.3f} | {t['energy_uj']:,.1f} | "
                  f"{published} |")
            if report["verdict"] != "bit-exact":
                failed.append(f"{network} on {config}: {report['verdict']}")
    if args.smoke and failed:  # the tiny network runs bit-exact: anything else is the script's failure
        sys.exit("tinyml_table --smoke: " + "; ".join(failed))


if __name__ == "__main__":
    main()
