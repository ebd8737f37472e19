"""Seeded random inputs and healthy random weights: initialisation, BatchNorm calibration,
normalisation of layers without BN, and the health check a model must pass."""

from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn as nn

from workload_export.settings import (
    BETA_MEAN, BETA_STD, CALIB_BATCHES, CALIB_BATCH_SIZE, CALIB_SEED_OFFSET,
    CLASSIFIER_BIAS_STD, CONTRAST_MAX, CONTRAST_MIN, GAMMA_MAX, GAMMA_MIN,
    HEALTH_BATCH_SIZE, HealthError, MIN_SPREAD_RATIO, NORM_BATCH_SIZE, NORM_SEED_OFFSET,
    OFFSET_STD, RMS_MAX, RMS_MIN)
from workload_export.zoo import AUTOENCODER_FRAMES, Workload


# --------------------------------------------------------------------------
# Random input images
# --------------------------------------------------------------------------

def _interpolation_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) matrix for linear interpolation of n_in >= 2 samples onto
    n_out points, first and last samples on the first and last points."""
    pos = np.linspace(0.0, n_in - 1, n_out)
    low = np.minimum(np.floor(pos).astype(np.int64), n_in - 2)
    frac = pos - low
    matrix = np.zeros((n_out, n_in))
    matrix[np.arange(n_out), low] = 1.0 - frac
    matrix[np.arange(n_out), low + 1] += frac
    return matrix


def random_images(rng: np.random.Generator, count: int,
                  image_shape: Tuple[int, ...]) -> np.ndarray:
    """`count` random natural-image-like pictures (C, H, W) as float32.

    Each image is a sum of noise octaves: Gaussian noise on a 2x2, 4x4, 8x8,
    ... grid (up to below H, W), bilinearly upsampled, plus per-pixel noise,
    each octave with a random weight U(0, 1). Equal expected weight per
    octave gives roughly the 1/f amplitude spectrum of photographs; the random
    weights make some images smooth and others grainy. The image is scaled to
    zero mean / unit variance, then every channel gets a random contrast and
    brightness offset (see CONTRAST_MIN, OFFSET_STD).

    Used for every input a model ever sees here (reference input, BN
    statistics, normalisation and health batches), because with random
    weights the input distribution decides how sensitive the output is:

    * white N(0, 1) noise makes all images statistically alike: a deep
      feature averaged over the picture (global average pooling) is nearly
      the same for every input, so the classifier's logits are small
      differences of large, input-independent terms, and rounding errors
      are large relative to them (GoogLeNet's float32 error: up to 2.8e-5
      of the largest logit with white noise, 0.8e-5 with these images);
    * purely smooth images (only the coarse octaves) starve random 3x3 and
      depthwise filters whose weights nearly sum to zero: their output is
      tiny, BN scales it up and float32 rounding noise with it (in a trial,
      MobileNetV2's float32 error was 4x that with white noise);
    * the octave mix has signal at every scale and, through the random
      weights, contrast and offsets, global statistics that differ a lot
      between images.

    Deterministic for a given generator state (numpy's PCG64 and float64
    arithmetic, rounded to float32 at the end), which is what lets
    _IMAGE_CACHE hand out earlier results.
    """
    key = (repr(rng.bit_generator.state), count, tuple(image_shape))
    cached = _IMAGE_CACHE.get(key)
    if cached is None:
        images = _draw_random_images(rng, count, image_shape)
        _IMAGE_CACHE[key] = (images, rng.bit_generator.state)
    else:
        images, state_after = cached
        rng.bit_generator.state = state_after
    # A copy: callers wrap it with torch.from_numpy, which shares memory.
    return images.copy()


# random_images results: (generator state, count, image shape) -> (images,
# generator state after drawing them). Every model with the same input shape
# and seed sees the very same pictures (BN statistics, normalisation, health
# check, reference input), and drawing 57 of them at 224x224 takes as long as
# preparing a small network otherwise (~2 s), so a run over many networks
# draws them once. ~35 MB per input shape and seed.
_IMAGE_CACHE: Dict[Tuple[str, int, Tuple[int, ...]],
                   Tuple[np.ndarray, Dict[str, object]]] = {}


def _draw_random_images(rng: np.random.Generator, count: int,
                        image_shape: Tuple[int, ...]) -> np.ndarray:
    """random_images without the cache. A vector input (the autoencoder's
    640 log-mel values) is drawn as the spectrogram it flattens: frames x
    bins, one channel."""
    if len(image_shape) == 1:
        (length,) = image_shape
        frames = AUTOENCODER_FRAMES if length % AUTOENCODER_FRAMES == 0 else 1
        pictures = _draw_random_images(rng, count, (1, frames, length // frames))
        return pictures.reshape(count, length)
    if len(image_shape) == 2:
        # Token embeddings [T, C] (tiny_bert): a one-channel T x C picture.
        tokens, features = image_shape
        pictures = _draw_random_images(rng, count, (1, tokens, features))
        return pictures.reshape(count, tokens, features)
    channels, height, width = image_shape
    grids = []
    grid = 2
    while grid < min(height, width):
        grids.append(grid)
        grid *= 2
    upsample = [(_interpolation_matrix(height, g), _interpolation_matrix(width, g))
                for g in grids]
    images = np.empty((count, channels, height, width))
    for i in range(count):
        image = rng.uniform(0.0, 1.0) * rng.standard_normal(
            (channels, height, width))
        for rows, cols in upsample:
            grid_noise = rng.standard_normal((channels, rows.shape[1],
                                              cols.shape[1]))
            image += rng.uniform(0.0, 1.0) * (rows @ grid_noise @ cols.T)
        image = (image - image.mean()) / image.std()
        contrast = rng.uniform(CONTRAST_MIN, CONTRAST_MAX, (channels, 1, 1))
        offset = rng.normal(0.0, OFFSET_STD, (channels, 1, 1))
        images[i] = image * contrast + offset
    return images.astype(np.float32)


def random_batch(count: int, input_shape: Tuple[int, ...], seed: int
                 ) -> torch.Tensor:
    """A batch of random_images from its own seeded generator."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(random_images(rng, count, tuple(input_shape[1:])))


# --------------------------------------------------------------------------
# Healthy random weights
# --------------------------------------------------------------------------

BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def init_weights(model: nn.Module) -> None:
    """He-normal weights and random BN affine parameters (global torch RNG).

    Default inits (e.g. torchvision GoogLeNet's) can make the output
    independent of the input; He-normal keeps the signal variance constant
    through ReLU layers, and random gamma/beta avoid a too-symmetric network.

    BN beta is centred at +0.5 (BETA_MEAN) rather than 0 so that float32
    rounding is not magnified by the depth of the network. A small error
    (or any perturbation) that BN has scaled like the signal, z -> z + d,
    passes a ReLU where z > 0, i.e. keeps a fraction P(z > 0) of its variance,
    while the signal the next conv + BN passes on keeps only Var(relu(z))
    (BN removes the mean again). Each conv-BN-ReLU stage thus multiplies the
    error relative to the signal by sqrt(P(z > 0) / Var(relu(z))) for
    z ~ N(beta/gamma, 1): 1.21 for beta = 0, where ReLU discards most of
    the signal's variance, so ResNet-50's float32 output was off by up to
    1e-4 of its largest logit; 1.12 at beta/gamma = 0.5 (and ~70 % of ReLUs
    active instead of 50 %), which brings it to ~1e-5. Of all changes made
    for float32 accuracy this is the one that matters most.
    """
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in",
                                    nonlinearity="relu")
            if module.bias is not None:
                nn.init.normal_(module.bias, 0.0, 0.01)
        elif isinstance(module, BN_TYPES):
            nn.init.uniform_(module.weight, GAMMA_MIN, GAMMA_MAX)
            nn.init.normal_(module.bias, BETA_MEAN, BETA_STD)


def calibrate_batchnorm(model: nn.Module, input_shape: Tuple[int, ...],
                        seed: int) -> None:
    """Set BN running statistics to the cumulative average over random batches.

    Only BN layers go to train mode, so dropout stays off and nothing else
    changes behaviour while the statistics are collected.
    """
    bn_layers = [m for m in model.modules() if isinstance(m, BN_TYPES)]
    if not bn_layers:
        return
    model.eval()
    momenta = [bn.momentum for bn in bn_layers]
    for bn in bn_layers:
        bn.reset_running_stats()
        bn.momentum = None      # cumulative moving average
        bn.train()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for _ in range(CALIB_BATCHES):
            model(torch.from_numpy(random_images(rng, CALIB_BATCH_SIZE,
                                                 tuple(input_shape[1:]))))
    # Restore the usual momentum: it is exported as an (unused at inference)
    # attribute, and momentum=None would appear as an odd momentum=1.0.
    for bn, momentum in zip(bn_layers, momenta):
        bn.momentum = momentum
    model.eval()


def trace_layers(model: nn.Module, x: torch.Tensor
                 ) -> Tuple[List[nn.Module], set]:
    """Return (leaf modules in execution order, Conv/Linear feeding a BN).

    A layer "feeds" a BN when the BN's input is the very tensor the layer
    returned, i.e. the BN normalises that layer's output directly.
    """
    order: List[nn.Module] = []
    producers: Dict[int, Tuple[nn.Module, torch.Tensor]] = {}
    feeding_bn = set()

    def on_output(module, _inputs, output):
        order.append(module)
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            # Keep the tensor alive so its id cannot be reused meanwhile.
            producers[id(output)] = (module, output)

    def before_bn(_module, inputs):
        producer = producers.get(id(inputs[0]))
        if producer is not None:
            feeding_bn.add(producer[0])

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(on_output) for m in leaves]
    handles += [m.register_forward_pre_hook(before_bn) for m in leaves
                if isinstance(m, BN_TYPES)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return order, feeding_bn


def normalize_layers_without_bn(model: nn.Module, input_shape: Tuple[int, ...],
                                seed: int) -> List[nn.Module]:
    """Data-dependent (LSUV-like) init of Conv/Linear layers not followed by BN.

    Why: on random inputs, post-ReLU features have a large positive mean that
    He-normal weights pass on unchanged, so without normalisation the input
    dependent part of the signal shrinks layer after layer (SqueezeNet's
    logits varied by ~2% across inputs), and the classifier's logits are
    dominated by W @ mean(features): top-1 is then the same class for every
    input. Scaling each output channel to zero mean / unit variance over
    random data does what a folded BatchNorm would do.

    A Linear layer (the classifiers) is first made blind to the mean input:
    every weight row is projected orthogonal to the batch mean mu of its
    input features, W <- W - (W mu) mu^T / |mu|^2. Otherwise W @ mu is a
    per-class constant several times larger than the logits that the bias
    must cancel; now the logits respond to the input-dependent part of the
    features only, and float32's sum over the features cancels less
    (ResNet-50, 3 seeds x 9 inputs: float32 error relative to the largest
    logit at most 1.3e-5 instead of 1.9e-5, median 6e-6 instead of 9e-6).
    It cannot remove the cause: the pooled features themselves are a common
    positive part plus a smaller input-dependent one, and the dot product
    still adds terms much larger than its result. The normalisation then
    leaves the bias at ~0; it gets a random per-class offset
    N(0, CLASSIFIER_BIAS_STD) so that a consumer that drops the bias still
    fails the comparison. Returns the layers changed.
    """
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(random_images(rng, NORM_BATCH_SIZE,
                                       tuple(input_shape[1:])))
    _, feeding_bn = trace_layers(model, x[:1])
    targets = [m for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear)) and m not in feeding_bn]

    def normalize(module, inputs, output):
        is_linear = isinstance(module, nn.Linear)
        if is_linear:
            features = inputs[0].flatten(0, -2)
            mu = features.mean(dim=0)
            weight = module.weight.data
            weight -= torch.outer(weight @ mu, mu) / mu.dot(mu).clamp_min(1e-30)
            output = nn.functional.linear(inputs[0], weight, module.bias)
        # A Linear's features are its last axis (channels-last blocks apply
        # it to [N, H, W, C]); a conv's are axis 1.
        feature_axis = output.dim() - 1 if is_linear else 1
        reduce_dims = [d for d in range(output.dim()) if d != feature_axis]
        mean = output.mean(dim=reduce_dims)
        std = output.std(dim=reduce_dims).clamp_min(1e-6)
        if module.bias is None:
            module.bias = nn.Parameter(torch.zeros_like(mean))
        module.bias.data = (module.bias.data - mean) / std
        module.weight.data /= std.view((-1,) + (1,) * (module.weight.dim() - 1))
        if is_linear:
            module.bias.data += torch.from_numpy(rng.normal(
                0.0, CLASSIFIER_BIAS_STD, module.bias.shape)).to(module.bias.dtype)
            # Later layers must already see the new output in this pass.
            return nn.functional.linear(inputs[0], module.weight, module.bias)
        channel_shape = [1, -1] + [1] * (output.dim() - 2)
        return (output - mean.view(channel_shape)) / std.view(channel_shape)

    handles = [m.register_forward_hook(normalize) for m in targets]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for handle in handles:
            handle.remove()
    return targets


def build_healthy_model(workload: Workload, seed: int) -> Tuple[nn.Module, int]:
    """Return a seeded, initialised, calibrated eval-mode model and the number
    of layers given data-dependent normalisation."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = workload.build()
    init_weights(model)
    calib_seed = seed + CALIB_SEED_OFFSET
    calibrate_batchnorm(model, workload.input_shape, calib_seed)
    normalized = normalize_layers_without_bn(model, workload.input_shape,
                                             seed + NORM_SEED_OFFSET)
    # BN statistics are stale if a re-scaled layer runs before some BN (not
    # the case for the models here: only classifiers or BN-free nets).
    if runs_before_some_bn(model, normalized, workload.input_shape):
        calibrate_batchnorm(model, workload.input_shape, calib_seed)
    return model.eval(), len(normalized)


def runs_before_some_bn(model: nn.Module, layers: List[nn.Module],
                        input_shape: Tuple[int, ...]) -> bool:
    order, _ = trace_layers(model, torch.zeros(input_shape))
    bn_steps = [i for i, m in enumerate(order) if isinstance(m, BN_TYPES)]
    layer_ids = {id(m) for m in layers}
    layer_steps = [i for i, m in enumerate(order) if id(m) in layer_ids]
    return bool(bn_steps and layer_steps) and min(layer_steps) < max(bn_steps)


# --------------------------------------------------------------------------
# Measurements (forward hooks)
# --------------------------------------------------------------------------

def count_macs(model: nn.Module, x: torch.Tensor) -> Tuple[int, int]:
    """Return (conv MACs, FC MACs) for one forward pass of a batch-1 input."""
    assert x.shape[0] == 1, "MAC counting expects batch size 1"
    conv_macs, fc_macs = [0], [0]

    def on_conv(module, _inputs, output):
        cout, cin_per_group, kh, kw = module.weight.shape
        hout, wout = output.shape[-2:]
        conv_macs[0] += cout * hout * wout * cin_per_group * kh * kw

    def on_linear(module, _inputs, _output):
        fc_macs[0] += module.in_features * module.out_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(on_conv))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(on_linear))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return int(conv_macs[0]), int(fc_macs[0])


def leaf_activation_rms(model: nn.Module, x: torch.Tensor
                        ) -> Tuple[torch.Tensor, List[Tuple[str, float]]]:
    """Run the model; return its output and the RMS of every leaf's output."""
    records: List[Tuple[str, float]] = []

    def make_hook(name):
        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                # Computed immediately: in-place ReLUs modify it afterwards.
                rms = output.detach().double().pow(2).mean().sqrt().item()
                records.append((name, rms))
        return hook

    handles = [m.register_forward_hook(make_hook(name))
               for name, m in model.named_modules()
               if not list(m.children())]
    try:
        with torch.no_grad():
            output = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return output, records


def output_list(output) -> List[torch.Tensor]:
    """A model's outputs as a list: one tensor, or the tuple a network with
    several outputs (a detector's boxes and scores) returns."""
    return list(output) if isinstance(output, (tuple, list)) else [output]


def joined_output(output) -> torch.Tensor:
    """One [N, ...] tensor of a model's outputs, for the health check: the
    single output itself, or several flattened per input and concatenated."""
    outputs = output_list(output)
    if len(outputs) == 1:
        return outputs[0]
    return torch.cat([o.flatten(1) for o in outputs], dim=1)


def check_health(model: nn.Module, input_shape: Tuple[int, ...], seed: int,
                 name: str) -> Dict[str, float]:
    """Raise HealthError unless output depends on input and activations are sane."""
    x = random_batch(HEALTH_BATCH_SIZE, input_shape, seed)
    output, records = leaf_activation_rms(model, x)
    output = joined_output(output).double()

    bad = [(n, r) for n, r in records
           if not np.isfinite(r) or not RMS_MIN <= r <= RMS_MAX]
    if bad or not torch.isfinite(output).all():
        listing = ", ".join(f"{n}={r:.3g}" for n, r in bad[:10])
        raise HealthError(
            f"{name}: activations vanish/explode (RMS outside "
            f"[{RMS_MIN:g}, {RMS_MAX:g}] or non-finite): {listing}")

    spread_over_inputs = output.std(dim=0).mean().item()
    spread_over_classes = output.std(dim=1).mean().item()
    ratio = spread_over_inputs / max(spread_over_classes, 1e-30)
    # A segmentation network's top-1 is per pixel: every pixel's class counts.
    distinct_top1 = len(set(output.argmax(dim=1).flatten().tolist()))
    if ratio < MIN_SPREAD_RATIO or distinct_top1 < 2:
        raise HealthError(
            f"{name}: output barely depends on the input: spread ratio "
            f"{ratio:.3g} (need >= {MIN_SPREAD_RATIO}), {distinct_top1} distinct "
            f"top-1 over {HEALTH_BATCH_SIZE} inputs (need >= 2)")

    rms_values = [r for _, r in records]
    return {
        "min_layer_rms": min(rms_values),
        "max_layer_rms": max(rms_values),
        "spread_ratio": ratio,
        "distinct_top1": distinct_top1,
        "num_inputs": HEALTH_BATCH_SIZE,
        "num_leaf_outputs": len(records),
    }


def format_health(name: str, health: Dict[str, float]) -> str:
    return (f"{name}: health ok: layer RMS {health['min_layer_rms']:.3g}.."
            f"{health['max_layer_rms']:.3g}, output spread ratio "
            f"{health['spread_ratio']:.3f}, {health['distinct_top1']}/"
            f"{health['num_inputs']} distinct top-1")


def format_precision(name: str, float32_error: float) -> str:
    return (f"{name}: output.npy computed in float64; torch float32 differs by "
            f"{float32_error:.2e} of max |output|")


# --------------------------------------------------------------------------
# ONNX export and inspection
# --------------------------------------------------------------------------
