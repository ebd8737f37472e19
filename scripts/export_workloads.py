#!/usr/bin/python3
"""Export DNN workloads to ONNX with seeded, *healthy* random weights: the command line of the
workload_export package beside this script (its cli module says what each set writes where;
--help). Must run with Debian's /usr/bin/python3, which provides torch, torchvision and onnx.

    settings     versions, defaults, health thresholds, seeds, errors
    models_cnn   the script's own convolutional networks
    models_seq   its transformer, U-Net, MobileViT and recurrent networks
    zoo          the workloads and the battery's exports
    health       seeded random images, healthy random weights, the health check
    export       ONNX export, atomic writes, the model folders
    cli          arguments and main
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload_export.cli import main  # noqa: E402
from workload_export.export import prepare  # noqa: E402
from workload_export.settings import DEFAULT_SEED  # noqa: E402
from workload_export.zoo import BIG_WORKLOADS  # noqa: E402

# What tests/bench/torch_reference.py reads from this module, beside main.
__all__ = ["BIG_WORKLOADS", "DEFAULT_SEED", "main", "prepare"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
