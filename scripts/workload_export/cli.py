"""Export DNN workloads to ONNX with seeded, *healthy* random weights.

Three sets of models:

* big models (default): torchvision resnet18, resnet50, googlenet, mobilenet_v2,
  squeezenet1_1, a MobileNetV1 1.0 at 128x128 (DORY's benchmark network) and
  the two networks behind the published xDNN (ML Suite) figures: BVLC Caffe
  GoogLeNet (googlenet_v1) and the original Caffe ResNet-50 (resnet50_v1).
  They are written to a cache folder outside git, one folder per model:

      <cache>/<name>/model.onnx    the network
      <cache>/<name>/input.npy     float32 seeded random image (see random_images)
      <cache>/<name>/output.npy    torch output (eval mode) for input.npy, computed
                                   in float64 and stored as float32
      <cache>/<name>/meta.json     provenance, MAC counts, health figures, ONNX op types

  meta.json is written last; a folder without it (or with a different script
  version / opset / seed) is re-exported.

* small models (--small): tiny 32x32 networks checked into <repo>/workloads/
  as <name>.onnx, <name>.input.npy, <name>.output.npy.

* battery (--battery): 19 torchvision classifiers (ResNet, ResNeXt, Wide
  ResNet, MobileNetV2/V3, MnasNet, EfficientNet-B0, ShuffleNetV2,
  SqueezeNet, GoogLeNet, Inception-v3, DenseNet, RegNet, VGG, AlexNet) and
  MLPerf Tiny's four models (ResNet-8, DS-CNN, MobileNetV1-0.25 VWW, the FC
  autoencoder), two segmentation networks (LR-ASPP and DeepLabV3 on
  MobileNetV3-Large, at 128x128, their "out" scores), ConvNeXt-T (at
  128x128) and a DeiT-tiny-shaped ViT (at 224), each
  at opset 11 and 13 (ShuffleNetV2 and MobileNetV3-small at opset 9 too),
  exported the way a user would: a plain torch.onnx.export of the eval-mode
  model, so torch folds BatchNorm into Conv, folds constants and uses its
  own symbolics (--pad-symbolic: the script's constant Pad instead). Same
  weights, health check, files and meta.json as a big model, one folder per
  network and opset under the big models' cache:

      <cache>/battery/<name>_opset<N>/{model.onnx, input.npy, output.npy,
                                       meta.json}

  meta.json also says how the file was exported ("export": "plain" or
  "pad-symbolic"). A network is initialised, health-checked and evaluated
  in float64 once for all its opsets (see export_battery_network); all 54
  folders take ~5 min on 2 cores (DeiT-tiny's two 1.5 min) and 4.1 GB of disk
  (VGG alone 2.1 GB).

Weights are He-normal, BatchNorm gets random affine parameters (beta centred
at +0.5, see init_weights) and running statistics measured on seeded random
images, layers not followed by a BN (classifiers, all of SqueezeNet) are
normalised on random images like a folded BN, and every model must pass a
health check (output depends on input, no vanishing/exploding activations)
before anything is written. All inputs (reference input, BN statistics,
normalisation and health batches) come from one generator of random
natural-image-like pictures (random_images), not white noise. Together these
keep float32 rounding from being magnified through the network: torch's own
float32 output is within ~1e-5 (relative to the largest logit) of a float64
evaluation, which is recorded in meta.json.

Must run with Debian's /usr/bin/python3, which provides torch, torchvision and
onnx.
"""


import argparse
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

import torch

from workload_export.settings import (
    CheckError, DEFAULT_OPSET, DEFAULT_SEED, NUM_THREADS, REPO_WORKLOADS_DIR)
from workload_export.zoo import (
    BATTERY_DIR, BATTERY_EXPORTS, BATTERY_OPSET9, BATTERY_OPSETS, BATTERY_WORKLOADS,
    BIG_WORKLOADS, BatteryExport, EXPORT_PAD_SYMBOLIC, EXPORT_PLAIN, SMALL_WORKLOADS,
    battery_opsets)
from workload_export.export import (
    battery_folder, default_cache_dir, export_battery, export_big, export_small,
    keep_freed_memory)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv: List[str]) -> argparse.Namespace:
    epilog = "\n\n".join(textwrap.fill(paragraph, 79) for paragraph in (
        "big models (default set): "
        + ", ".join(w.name for w in BIG_WORKLOADS),
        "small models (--small): " + ", ".join(w.name for w in SMALL_WORKLOADS),
        "battery (--battery): " + ", ".join(w.name for w in BATTERY_WORKLOADS)
        + f"; each with opsets {' and '.join(map(str, BATTERY_OPSETS))}, "
        + " and ".join(BATTERY_OPSET9) + " with opset 9 too. Exported as a "
        "user would: plain torch.onnx.export of the eval-mode model (BatchNorm "
        "folded into Conv, constants folded, torch's own symbolics; "
        "--pad-symbolic: this script's constant Pad). A MODEL is a network "
        "(all its opsets) or a folder name such as resnet18_opset11; "
        "--opsets restricts the opsets.",
        "cache: --cache DIR, else $WB_CACHE_DIR/workloads, else "
        "${XDG_CACHE_HOME:-$HOME/.cache}/workbench/workloads; here: "
        f"{default_cache_dir()}. Layout: <cache>/<name>/{{model.onnx, "
        "input.npy, output.npy, meta.json}, the battery in "
        f"<cache>/{BATTERY_DIR}/<name>_opset<N>/.",
        "examples: export_workloads.py | export_workloads.py resnet50 --force "
        "| export_workloads.py --small | export_workloads.py --battery "
        "| export_workloads.py --battery resnet18 shufflenet_v2_x1_0_opset9 "
        "| export_workloads.py --battery --opsets 13"))
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="MODEL",
                        help="models to export (default: all of the chosen set)")
    parser.add_argument("--models", nargs="+", default=[], metavar="MODEL",
                        help="same as the positional MODEL list")
    parser.add_argument("--list", action="store_true",
                        help="list the available models and exit")
    parser.add_argument("--small", action="store_true",
                        help="(re)generate the small checked-in models into "
                             f"{REPO_WORKLOADS_DIR} instead of the big ones")
    parser.add_argument("--battery", action="store_true",
                        help="export the battery of torchvision classifiers "
                             "(exported as a user would) instead of the big "
                             f"models, into <cache>/{BATTERY_DIR}/")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="cache folder for the big models and the battery "
                             "(default: see below)")
    parser.add_argument("--opset", type=int, default=None,
                        help=f"ONNX opset for the big models (default: "
                             f"{DEFAULT_OPSET}; small models have fixed opsets)")
    parser.add_argument("--opsets", nargs="+", default=None, metavar="N",
                        help="battery: only these opsets (default: all of each "
                             "network's, see below)")
    parser.add_argument("--pad-symbolic", action="store_true",
                        help="battery: export with this script's constant Pad "
                             "symbolic instead of torch's (meta.json export "
                             f"'{EXPORT_PAD_SYMBOLIC}' instead of "
                             f"'{EXPORT_PLAIN}')")
    parser.add_argument("--force", action="store_true",
                        help="re-export even if a complete cached export exists")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="seed for weights and inputs (default: %(default)s)")
    parser.add_argument("--print-dir", action="store_true",
                        help="after exporting, print each model's folder as the "
                             "last lines of output (for scripts)")
    args = parser.parse_args(argv)
    if args.small and args.battery:
        parser.error("--small and --battery choose different sets; pick one")
    if not args.battery and (args.opsets is not None or args.pad_symbolic):
        parser.error("--opsets and --pad-symbolic apply to the battery only")
    if args.battery and args.opset is not None:
        parser.error("--opset applies to the big models; the battery takes "
                     "--opsets")
    if args.small and (args.opset is not None or args.cache or args.force):
        parser.error("--opset, --cache and --force apply to the big models only")
    if args.opset is None:
        args.opset = DEFAULT_OPSET
    if args.battery:
        args.export_mode = (EXPORT_PAD_SYMBOLIC if args.pad_symbolic
                            else EXPORT_PLAIN)
        # "--opsets 13 resnet18": argparse gives --opsets every word up to the
        # next option; the words that are not numbers are MODEL names.
        names = args.names + args.models
        if args.opsets is not None:
            names += [w for w in args.opsets if not w.isdigit()]
            args.opsets = [int(w) for w in args.opsets if w.isdigit()]
            if not args.opsets:
                parser.error("--opsets needs at least one opset number")
        args.battery_exports = select_battery(parser, names, args.opsets)
        return args

    catalogue = SMALL_WORKLOADS if args.small else BIG_WORKLOADS
    valid = [w.name for w in catalogue]
    requested = args.names + args.models
    unknown = [n for n in requested if n not in valid]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid "
                     f"{'small' if args.small else 'big'} models: "
                     f"{', '.join(valid)}")
    # Keep the catalogue order and drop duplicates.
    args.workloads = [w for w in catalogue if not requested or w.name in requested]
    return args


def select_battery(parser: argparse.ArgumentParser, requested: List[str],
                   opsets: Optional[List[int]]) -> List[BatteryExport]:
    """The battery folders that MODEL names and --opsets choose, in catalogue
    order. A network name stands for all its folders, a folder name
    (<network>_opset<N>) for itself; no names: every network."""
    networks = [w.name for w in BATTERY_WORKLOADS]
    folders = [e.name for e in BATTERY_EXPORTS]
    unknown = [n for n in requested if n not in networks and n not in folders]
    if unknown:
        parser.error(f"unknown battery model(s) {', '.join(unknown)}; valid: a "
                     f"network ({', '.join(networks)}) or one of its folders "
                     f"<network>_opset<N> (see --list)")
    all_opsets = sorted({e.opset for e in BATTERY_EXPORTS})
    bad_opsets = [o for o in opsets or [] if o not in all_opsets]
    if bad_opsets:
        parser.error(f"no battery network has opset(s) "
                     f"{', '.join(map(str, bad_opsets))}; battery opsets: "
                     f"{', '.join(map(str, all_opsets))}")

    def chosen(export: BatteryExport) -> bool:
        named = (not requested or export.name in requested
                 or export.workload.name in requested)
        return named and (opsets is None or export.opset in opsets)

    selection = [e for e in BATTERY_EXPORTS if chosen(e)]
    empty = [n for n in requested
             if not any(n in (e.name, e.workload.name) for e in selection)]
    if empty or not selection:
        parser.error(f"--opsets {' '.join(map(str, opsets or []))} leaves "
                     f"nothing of {', '.join(empty) or 'the battery'}")
    return selection


def print_list() -> None:
    for title, catalogue in (("big models (cache)", BIG_WORKLOADS),
                             ("small models (--small, repo workloads/)",
                              SMALL_WORKLOADS)):
        print(f"{title}:")
        for w in catalogue:
            shape = "x".join(map(str, w.input_shape))
            opset = f" opset {w.opset}" if w.opset else ""
            print(f"  {w.name:26s} {shape:13s}{opset:9s} {w.description}")
    print(f"battery (--battery, cache {BATTERY_DIR}/<name>_opset<N>, plain "
          f"torch.onnx.export; {len(BATTERY_EXPORTS)} folders):")
    for w in BATTERY_WORKLOADS:
        shape = "x".join(map(str, w.input_shape))
        opsets = " opset " + "/".join(map(str, battery_opsets(w)))
        print(f"  {w.name:26s} {shape:13s}{opsets:15s} {w.description}")


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    if args.list:
        print_list()
        return 0
    torch.set_num_threads(NUM_THREADS)
    try:
        if args.battery:
            keep_freed_memory()
            cache = (args.cache or default_cache_dir()).expanduser().resolve()
            print(f"cache: {cache / BATTERY_DIR}", flush=True)
            export_battery(args.battery_exports, cache, args.seed, args.force,
                           args.export_mode)
            if args.print_dir:
                for export in args.battery_exports:
                    print(battery_folder(cache, export))
        elif args.small:
            for workload in args.workloads:
                export_small(workload, REPO_WORKLOADS_DIR, args.seed)
        else:
            cache = (args.cache or default_cache_dir()).expanduser().resolve()
            print(f"cache: {cache}", flush=True)
            for workload in args.workloads:
                export_big(workload, cache, args.opset, args.seed, args.force)
            if args.print_dir:
                for workload in args.workloads:
                    print(cache / workload.name)
    except CheckError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
