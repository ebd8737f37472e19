#!/usr/bin/python3
"""Markdown tables of the battery's status from <build>/battery_status.tsv.

test_battery (tests/integration/test_battery.cpp) appends one line per timing run:
folder (network_opsetN), config, outcome (runs | runs-with-host | does-not-fit |
unsupported), detail.
This prints README.md's "supported networks" table (network x target) and
BENCHMARKS.md's figures table, one row per network: when its opsets agree (they do
once shape arithmetic is folded) the row says so; when they differ, every opset's
outcome is listed.

    /usr/bin/python3 tests/bench/battery_table.py build/release/battery_status.tsv
"""

import argparse
import collections
import os
import re
import sys

from bench_common import SMOKE_HELP


def cell(outcome: str, detail: str) -> str:
    if outcome == "runs":
        return "runs natively"
    if outcome == "runs-with-host":
        share = re.search(r"(\d+) host layers, host ([\d.]+)%", detail)
        return (f"runs with {share.group(1)} host layer(s), host {share.group(2)}% of the time"
                if share else "runs with host layers")
    if outcome == "does-not-fit":
        memory = re.search(r"more than (\w+)", detail)
        fix = re.search(r"use (--set \S+)", detail)
        return (f"does not fit `{memory.group(1) if memory else '?'}`"
                f" ({fix.group(1)} makes it fit)" if fix else "does not fit")
    if detail.startswith("error:"):  # the import's one-line list: "... 'n' (Split), ..."
        ops = ", ".join(sorted(set(re.findall(r"\((\w+)\)", detail)))) or "see the test log"
        return f"not yet: {ops} (not imported)"
    return f"not yet: {detail}"


def main(path: str) -> int:
    rows = collections.defaultdict(dict)  # network -> config -> {opset: (outcome, detail)}
    for line in open(path, encoding="utf-8"):
        folder, config, outcome, detail = line.rstrip("\n").split("\t", 3)
        network, opset = folder.rsplit("_opset", 1)
        rows[network].setdefault(config, {})[int(opset)] = (outcome, detail)
    configs = sorted({c for per in rows.values() for c in per}, reverse=True)

    print("| network | " + " | ".join(configs) + " |")
    print("|---|" + "---|" * len(configs))
    for network in sorted(rows):
        cells = []
        for config in configs:
            by_opset = rows[network].get(config, {})
            texts = {o: cell(*r) for o, r in sorted(by_opset.items())}
            if len(set(texts.values())) == 1:
                cells.append(next(iter(texts.values())))
            else:
                cells.append("; ".join(f"opset {o}: {t}" for o, t in texts.items()))
        print(f"| {network} | " + " | ".join(cells) + " |")

    print()
    print("| network | config | cycles | MAC/cycle | host share |")
    print("|---|---|---:|---:|---:|")
    for network in sorted(rows):
        for config in configs:
            runs = [d for o, d in sorted(rows[network].get(config, {}).items())
                    if d and d[0] in ("runs", "runs-with-host")]
            if runs:
                figures = re.match(r"(\d+) cycles, ([\d.]+) MAC/cycle", runs[-1][1])
                share = re.search(r"host ([\d.]+)% of the time", runs[-1][1])
                print(f"| {network} | {config} | {int(figures.group(1)):,} | "
                      f"{figures.group(2)} | {share.group(1) + '%' if share else '0%'} |")
    return 0


def smoke() -> int:
    """A few seconds: that the script still runs end to end (CI), on a TSV in the format
    test_battery writes: every outcome, and two opsets that disagree."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("resnet18_opset13\tv3_96\truns\t1000 cycles, 2.50 MAC/cycle, 0 host layers, host 0.0% of the time\n")
        f.write("resnet18_opset13\tgap8\truns-with-host\t2000 cycles, 1.25 MAC/cycle, 1 host layers, "
                "host 3.0% of the time\n")
        f.write("vgg11_opset13\tgap8\tdoes-not-fit\terror: the weights need 132863336 bytes of L3 flash, more than "
                "l3_flash_bytes 67108864; use --set l3_flash_bytes=132863336 or more\n")
        f.write("vgg11_opset11\tv3_96\tunsupported\tSplit (no xDNN mapping)\n")
        f.write("vgg11_opset13\tv3_96\truns\t3000 cycles, 9.00 MAC/cycle, 0 host layers, host 0.0% of the time\n")
    try:
        return main(f.name)
    finally:
        os.unlink(f.name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tsv", nargs="?", default="build/release/battery_status.tsv",
                        help="test_battery's status file (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)  # on a TSV of its own (smoke())
    args = parser.parse_args()
    sys.exit(smoke() if args.smoke else main(args.tsv))
