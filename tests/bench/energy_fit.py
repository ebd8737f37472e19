#!/usr/bin/python3
"""Where the gap8 config's energy per instruction comes from (docs/energy.md).

DORY's README publishes GAP8's power, layer by layer, running MobileNetV1 1.0 at 128x128
(pulp-platform/dory, images/network_power.PNG: "GAP-8 @ fc cluster = 100 MHz and VDD = 1V";
average power of the cluster and I/O domains and time per layer). This script runs the same
network on the cluster model with DORY's tiling (timing only) and sets the measured dynamic
energy of its 27 conv layers against the instructions the model counts in them:

    dynamic energy of a layer = (P_layer - P_floor) x t_layer - E_l1 - E_l2
    instruction_pj            = sum of the dynamic energies / sum of the instructions

P_floor is the power with the cores idle: the cluster's floor between layers (5.9 mW) plus the
I/O domain (7.3 mW), both read off the same plot (energy.cluster_idle_mw, energy.soc_mw). E_l1
and E_l2 are the layer's L1 and L2 accesses at energy.l1_access_pj and energy.l2_byte_pj (their
own sources), so no access is charged twice. The pool and the FC layer are left out: DORY's FC
streams its weights from L3 and its power is mostly the floor. The ratio keeps the measured
dynamic energy whole; the script also prints least-squares fits per layer (instructions and
MACs; time and instructions) to show what the per-layer data can and cannot separate. Then it
prints the whole network's energy with the config's values: the check against DORY.

    tests/bench/energy_fit.py build/release/workbench/workbench
"""

import argparse
import sys

import numpy as np

from bench_common import SMOKE_HELP, cache_dir, run_no_data

# DORY's table, in network order: (name, MMAC, average mW, ms). DwConv7-11 and PwConv8-12 are
# printed once for the five blocks.
DORY = [("Conv1", 3.54, 46.0, 8.30), ("DwConv1", 1.18, 35.4, 9.13), ("PwConv2", 8.39, 47.9, 10.91),
        ("DwConv2", 0.59, 32.0, 10.16), ("PwConv3", 8.39, 48.0, 7.84), ("DwConv3", 1.18, 38.9, 8.72),
        ("PwConv4", 16.78, 48.4, 13.31), ("DwConv4", 0.29, 33.4, 4.62), ("PwConv5", 8.39, 48.5, 6.58),
        ("DwConv5", 0.59, 40.4, 4.75), ("PwConv6", 16.78, 48.4, 11.91), ("DwConv6", 0.15, 35.6, 2.56),
        ("PwConv7", 8.39, 48.5, 5.94)] + \
       [(f"{kind}{i}", mmac, mw, ms) for i in range(5) for kind, mmac, mw, ms in
        (("DwConv7-11#", 0.29, 38.9, 2.56), ("PwConv8-12#", 16.78, 36.5, 13.08))] + \
       [("DwConv12", 0.07, 33.3, 1.45), ("PwConv13", 8.39, 31.4, 9.11), ("DwConv13", 0.15, 38.1, 1.78),
        ("PwConv14", 16.78, 44.1, 27.31)]
FLOOR_MW = 5.9 + 7.3  # cluster floor between layers + I/O domain (read off DORY's plot)
DORY_PAPER_PJ_PER_MAC = 63.0
DORY_README_PJ_PER_MAC = 50.0  # 9.32 mJ over 186.4 M MACs, the table above (cluster and I/O domains)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbench", nargs="?", default="build/release/workbench/workbench",
                        help="the workbench binary (default: %(default)s)")
    # The whole fit is one timing-only run of a default export: --smoke is the script itself.
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    model = cache_dir() / "mobilenet_v1_128" / "model.onnx"
    report = run_no_data(args.workbench, model, "gap8", [], ["tiler=dory"])
    if "error" in report:
        sys.exit(f"energy_fit: {report['error']}")
    convs = [l for l in report["layers"] if l["type"] in ("conv", "depthwise")]
    if len(convs) != len(DORY):
        sys.exit(f"energy_fit: {len(convs)} conv layers, DORY's table has {len(DORY)}")
    energy = report["hw"]["resolved"]["resolved"]["energy"]
    l1_pj, l2_pj = energy["l1_access_pj"], energy["l2_byte_pj"]
    rows, measured = [], []
    for layer, (name, mmac, mw, ms) in zip(convs, DORY):
        if abs(layer["macs"] / 1e6 - mmac) > 0.02 * mmac + 0.01:
            sys.exit(f"energy_fit: layer {layer['name']} has {layer['macs']} MACs, DORY's {name} {mmac} M")
        block = layer["pulp"]
        rows.append([block["core_instructions"], block["simd_macs"]])
        dma = block["l1_bytes_in"] + block["l1_bytes_out"]
        memory_pj = l1_pj * (block["l1_core_accesses"] + (dma + 3) // 4) + l2_pj * (dma + layer["bytes_in"] + layer["bytes_out"])
        measured.append((mw - FLOOR_MW) * ms * 1e6 - memory_pj)  # mW x ms = uJ = 1e6 pJ
    a = np.array(rows, dtype=float)
    b = np.array(measured)
    print(f"instruction_pj = {b.sum() / a[:, 0].sum():.1f}: {b.sum() / 1e6:.0f} uJ of measured dynamic energy over "
          f"{a[:, 0].sum() / 1e6:.1f} M counted instructions ({len(b)} conv layers)")
    per_layer = b / a[:, 0]
    print(f"  per layer: {per_layer.min():.0f} to {per_layer.max():.0f} pJ/instruction, median {np.median(per_layer):.0f}")
    (instr_pj, mac_pj), *_ = np.linalg.lstsq(a, b, rcond=None)
    print(f"  least squares over instructions and SIMD MACs: {instr_pj:.1f} pJ/instruction, {mac_pj:.1f} pJ/MAC "
          "(a negative MAC energy: the layers cannot tell the two apart, so simd_mac_pj stays 0)")
    times = np.array([d[3] * 1e6 for d in DORY])  # ms -> the pJ of 1 mW over it
    (active_mw, instr_pj), *_ = np.linalg.lstsq(np.column_stack([times, a[:, 0]]), b, rcond=None)
    print(f"  least squares over time and instructions: {active_mw:.1f} mW while a layer runs + {instr_pj:.1f} "
          "pJ/instruction (DORY's layers ran longer than the model's, so a time term moves energy out of the model)")
    t = report["totals"]
    parts = ", ".join(f"{k} {v / 1e6:.0f} uJ" for k, v in t["energy"].items())
    gap8_only = (t["energy_pj"] - t["energy"]["l3"]) / t["macs"]
    print(f"the config's values on the whole network: {t['energy_uj']:.0f} uJ, {t['pj_per_mac']:.1f} pJ/MAC "
          f"(DORY's paper: {DORY_PAPER_PJ_PER_MAC}), {t['power_mw']:.1f} mW at {t['latency_ms']:.1f} ms; {parts}")
    print(f"without the L3 chips (GAP8's own domains): {gap8_only:.1f} pJ/MAC (DORY's README table: "
          f"{DORY_README_PJ_PER_MAC})")


if __name__ == "__main__":
    main()
