"""The exporter's settings: versions, defaults, health thresholds, seeds, and its errors."""

from pathlib import Path


# Bump whenever anything that changes the exported files changes, so stale
# cache entries are re-exported instead of being reported as "cached".
SCRIPT_VERSION = "export_workloads/2"
# The battery's own version, recorded beside SCRIPT_VERSION in its meta.json
# and checked the same way: bump it when only the battery's export changes,
# so that the big models' cache stays valid.
BATTERY_VERSION = "battery/1"

DEFAULT_OPSET = 13
DEFAULT_SEED = 0
NUM_THREADS = 2

# DORY's published conv+FC MAC count for MobileNetV1 1.0 at 128x128.
MOBILENET_V1_128_MACS = 186_400_768

# BatchNorm running statistics: cumulative average over these train-mode passes.
CALIB_BATCHES = 4
CALIB_BATCH_SIZE = 8
# Batch for the data-dependent normalisation of layers without BN.
NORM_BATCH_SIZE = 16

# Random BN affine parameters: gamma ~ U(GAMMA_MIN, GAMMA_MAX),
# beta ~ N(BETA_MEAN, BETA_STD). Why beta is centred at +0.5: init_weights.
GAMMA_MIN, GAMMA_MAX = 0.5, 1.5
BETA_MEAN, BETA_STD = 0.5, 0.1
# Bias of a classifier after normalize_layers_without_bn: a small per-class
# offset (the normalisation itself leaves it at ~0, see there).
CLASSIFIER_BIAS_STD = 0.1

# Random input images (random_images): per-image weight of each noise octave
# ~ U(0, 1), per-channel contrast ~ U(CONTRAST_MIN, CONTRAST_MAX) and
# brightness offset ~ N(0, OFFSET_STD), after scaling the image to zero mean
# and unit variance.
CONTRAST_MIN, CONTRAST_MAX = 0.5, 1.5
OFFSET_STD = 1.0

# Health check thresholds.
HEALTH_BATCH_SIZE = 8
RMS_MIN, RMS_MAX = 1e-2, 1e2
# mean_c std_over_inputs(logit_c) / mean_i std_over_classes(logits_i)
MIN_SPREAD_RATIO = 0.1

# Seed offsets so weights, calibration data, health inputs and the reference
# input are independent streams, each reproducible on its own.
CALIB_SEED_OFFSET = 1
HEALTH_SEED_OFFSET = 2
INPUT_SEED_OFFSET = 3
NORM_SEED_OFFSET = 4

REPO_WORKLOADS_DIR = Path(__file__).resolve().parents[2] / "workloads"


class CheckError(RuntimeError):
    """A model failed a mandatory check and must not be exported."""


class HealthError(CheckError):
    """A model with random weights is degenerate (see check_health)."""
