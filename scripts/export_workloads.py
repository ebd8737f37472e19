#!/usr/bin/python3
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
import contextlib
import copy
import ctypes
import ctypes.util
import dataclasses
import functools
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

import decoder_models

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

REPO_WORKLOADS_DIR = Path(__file__).resolve().parent.parent / "workloads"


class CheckError(RuntimeError):
    """A model failed a mandatory check and must not be exported."""


class HealthError(CheckError):
    """A model with random weights is degenerate (see check_health)."""


# --------------------------------------------------------------------------
# Network definitions
# --------------------------------------------------------------------------

def conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1,
                 groups: int = 1, relu6: bool = False) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True),
    )


class MobileNetV1(nn.Module):
    """MobileNetV1 (Howard et al. 2017) with plain ReLU: width 1.0 as used by
    DORY, 0.25 with 2 classes as MLPerf Tiny's visual wake words model."""

    # (output channels, stride) of the 13 depthwise-separable blocks. The
    # last block has stride 1: the paper's table says s2 but its output is
    # 7x7 at 224, which only works with s1 (every reference implementation).
    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
              (1024, 2), (1024, 1)]

    def __init__(self, num_classes: int = 1000, width: float = 1.0):
        super().__init__()
        first = int(32 * width)
        layers = [conv_bn_relu(3, first, 3, stride=2)]
        cin = first
        for channels, stride in self.BLOCKS:
            cout = int(channels * width)
            layers.append(conv_bn_relu(cin, cin, 3, stride, groups=cin))
            layers.append(conv_bn_relu(cin, cout, 1))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(torch.flatten(x, 1))


class TinyMlResNet8(nn.Module):
    """MLPerf Tiny's image classification model (CIFAR-10, 32x32): a 16-channel
    stem and three basic residual blocks of 16, 32 and 64 channels (the last
    two with stride 2 and a 1x1 stride-2 shortcut), global pool, FC 10."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = conv_bn_relu(cin, cout, 3, stride)
            self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                       nn.BatchNorm2d(cout))
            self.shortcut = None if stride == 1 else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            skip = x if self.shortcut is None else self.shortcut(x)
            return self.relu(self.conv2(self.conv1(x)) + skip)

    def __init__(self):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3)
        self.blocks = nn.Sequential(self.Block(16, 16, 1), self.Block(16, 32, 2),
                                    self.Block(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class TinyMlDsCnn(nn.Module):
    """MLPerf Tiny's keyword spotting model on 49x10 MFCC features: a 10x4
    stride-2 conv of 64 channels, four depthwise-separable blocks of 64, global
    pool, FC 12."""

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(1, 64, (10, 4), 2, padding=(5, 1), bias=False),
                  nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
        for _ in range(4):
            layers += [conv_bn_relu(64, 64, 3, groups=64), conv_bn_relu(64, 64, 1)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 12)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class TinyMlAutoencoder(nn.Module):
    """MLPerf Tiny's anomaly detection model (ToyADMOS): 640 log-mel inputs (5
    frames of 128 bins), four FC-BN-ReLU layers of 128, a bottleneck of 8, four
    more of 128 and an FC back to 640."""

    def __init__(self):
        super().__init__()
        widths = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
        layers = []
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.Linear(cin, cout), nn.BatchNorm1d(cout), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(128, 640))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def conv_relu(cin: int, cout: int, kernel: int, stride: int = 1,
              padding: int = 0) -> nn.Sequential:
    """Conv with bias + ReLU, no BN: the building block of BVLC GoogLeNet."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding),
                         nn.ReLU(inplace=True))


class BVLCInception(nn.Module):
    """Inception module of BVLC GoogLeNet: conv+bias+ReLU everywhere, no BN.

    Branches, concatenated in this order: 1x1 | 1x1 reduce -> 3x3 pad 1 |
    1x1 reduce -> 5x5 pad 2 (a real 5x5, not torchvision's 3x3 stand-in) |
    maxpool 3x3 s1 p1 -> 1x1 pool_proj.
    """

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int,
                 cpool: int):
        super().__init__()
        self.out_channels = c1 + c3 + c5 + cpool
        self.branch1 = conv_relu(cin, c1, 1)
        self.branch3 = nn.Sequential(conv_relu(cin, c3r, 1),
                                     conv_relu(c3r, c3, 3, padding=1))
        self.branch5 = nn.Sequential(conv_relu(cin, c5r, 1),
                                     conv_relu(c5r, c5, 5, padding=2))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         conv_relu(cin, cpool, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x),
                          self.branch_pool(x)], dim=1)


class GoogLeNetV1(nn.Module):
    """BVLC Caffe GoogLeNet (Szegedy et al. 2014) as ML Suite ran it on xDNN.

    Written out here because torchvision's googlenet is a different network
    for our purpose: it has BatchNorm after every conv and a 3x3 in place of
    the 5x5 branch, so its MACs and layer shapes do not match the network
    behind the published xDNN "GoogLeNet v1" figures we calibrate against.
    As in ML Suite's deployment: no LRN layers, no auxiliary classifiers,
    dropout left out (identity in eval mode, not exported anyway). The
    max pools between stages use ceil_mode like Caffe, which is what makes
    the spatial sizes 112 -> 56 -> 28 -> 14 -> 7 at 224x224 (floor mode
    would give 55 -> 27 -> 13 -> 6).
    """

    # (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj), per BVLC's prototxt.
    INCEPTION = {
        "3a": (64, 96, 128, 16, 32, 32),
        "3b": (128, 128, 192, 32, 96, 64),
        "4a": (192, 96, 208, 16, 48, 64),
        "4b": (160, 112, 224, 24, 64, 64),
        "4c": (128, 128, 256, 24, 64, 64),
        "4d": (112, 144, 288, 32, 64, 64),
        "4e": (256, 160, 320, 32, 128, 128),
        "5a": (256, 160, 320, 32, 128, 128),
        "5b": (384, 192, 384, 48, 128, 128),
    }

    def __init__(self, num_classes: int = 1000):
        super().__init__()

        def pool():
            return nn.MaxPool2d(3, stride=2, ceil_mode=True)

        def stage(cin: int, names: str) -> Tuple[nn.Sequential, int]:
            blocks = []
            for name in names.split():
                blocks.append(BVLCInception(cin, *self.INCEPTION[name]))
                cin = blocks[-1].out_channels
            return nn.Sequential(*blocks), cin

        self.stem = nn.Sequential(
            conv_relu(3, 64, 7, stride=2, padding=3),     # 224 -> 112
            pool(),                                       # 112 -> 56
            conv_relu(64, 64, 1),                         # conv2/3x3_reduce
            conv_relu(64, 192, 3, padding=1),             # conv2/3x3
            pool())                                       # 56 -> 28
        self.inception3, cin = stage(192, "3a 3b")        # 28x28, 480 ch
        self.pool3 = pool()                               # 28 -> 14
        self.inception4, cin = stage(cin, "4a 4b 4c 4d 4e")  # 14x14, 832 ch
        self.pool4 = pool()                               # 14 -> 7
        self.inception5, cin = stage(cin, "5a 5b")        # 7x7, 1024 ch
        # 7 -> 1, one full window. count_include_pad=False changes nothing
        # numerically (there is no padding) but keeps torch from emitting a
        # no-op Pad node in front of the AveragePool (opset >= 11).
        self.avgpool = nn.AvgPool2d(7, stride=1, count_include_pad=False)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.pool3(self.inception3(self.stem(x)))
        x = self.inception5(self.pool4(self.inception4(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 conv downsample when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TinyResNet(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = BasicBlock(16, 16)
        self.layer2 = BasicBlock(16, 32, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.maxpool(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class InceptionBlock(nn.Module):
    """GoogLeNet-style block: 1x1 | 1x1->3x3 | 1x1->5x5 | maxpool->1x1."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int,
                 cpool: int):
        super().__init__()
        self.branch1 = conv_bn_relu(cin, c1, 1)
        self.branch3 = nn.Sequential(conv_bn_relu(cin, c3r, 1),
                                     conv_bn_relu(c3r, c3, 3))
        self.branch5 = nn.Sequential(conv_bn_relu(cin, c5r, 1),
                                     conv_bn_relu(c5r, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         conv_bn_relu(cin, cpool, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x),
                          self.branch_pool(x)], dim=1)


class TinyInception(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3, stride=2)                 # 16x16
        self.inception = InceptionBlock(16, 8, 8, 12, 4, 6, 6)        # 32 ch
        # 16 -> 8 with a partial last window: exercises ceil_mode together
        # with count_include_pad=False (divisor = valid elements only).
        self.avgpool = nn.AvgPool2d(3, stride=2, ceil_mode=True,
                                    count_include_pad=False)
        self.conv = conv_bn_relu(32, 32, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.conv(self.avgpool(self.inception(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: pw expand (optional) -> dw -> pw project (linear)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers.append(conv_bn_relu(cin, hidden, 1, relu6=True))
        layers += [conv_bn_relu(hidden, hidden, 3, stride, groups=hidden,
                                relu6=True),
                   nn.Conv2d(hidden, cout, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_residual else out


class TinyMobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        # TF-style "SAME" padding for a stride-2 conv is asymmetric
        # (bottom/right only); an explicit pad makes a Pad node appear.
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=0, bias=False),   # 33 -> 16
            nn.BatchNorm2d(16), nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(
            InvertedResidual(16, 8, 1, expand=1),
            InvertedResidual(8, 8, 1, expand=6),       # residual add
            InvertedResidual(8, 16, 2, expand=6),      # 16 -> 8
            InvertedResidual(16, 16, 1, expand=4))     # residual add
        self.head = conv_bn_relu(16, 64, 1, relu6=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(self.pad(x))))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))


class TinyConvNeXt(nn.Module):
    """ConvNeXt's parts at 32x32: patchify stem with LayerNorm2d, two
    torchvision CNBlocks (7x7 depthwise, channels-last LayerNorm, Linear,
    GELU, Linear, layer scale, residual), a LayerNorm2d + 2x2 stride-2
    downsample, and the LayerNorm2d classifier head."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        from torchvision.models.convnext import CNBlock, LayerNorm2d
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 4, stride=4),
                                  LayerNorm2d(16, eps=1e-6))     # 32 -> 8
        self.stage1 = CNBlock(16, layer_scale=0.5, stochastic_depth_prob=0.0)
        self.down = nn.Sequential(LayerNorm2d(16, eps=1e-6),
                                  nn.Conv2d(16, 32, 2, stride=2))  # 8 -> 4
        self.stage2 = CNBlock(32, layer_scale=0.5, stochastic_depth_prob=0.0)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(LayerNorm2d(32, eps=1e-6), nn.Flatten(1),
                                  nn.Linear(32, num_classes))

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.pool(x))


def deit_tiny() -> nn.Module:
    """DeiT-tiny's shape as torchvision's VisionTransformer. torch initialises
    the class token to zeros: the head would read a token made of the position
    embedding alone (std 0.02), which no trained ViT has; it is N(0, 1), of
    the patch tokens' size, as in tiny_vit. The Linears (the head included,
    which torch zeroes) get the battery's init like every network's."""
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=224, patch_size=16, num_layers=12,
                              num_heads=3, hidden_dim=192, mlp_dim=768)
    with torch.no_grad():
        model.class_token.normal_(0.0, 1.0)
    return model


def vit_b_16() -> nn.Module:
    """torchvision's ViT-B/16 (224x224, 197 tokens, 12 blocks of 12 heads of
    64, 768 features, MLP 3072), the class token N(0, 1) as in deit_tiny."""
    from torchvision.models import vit_b_16 as build
    model = build()
    with torch.no_grad():
        model.class_token.normal_(0.0, 1.0)
    return model


def tiny_vit() -> nn.Module:
    """torchvision's VisionTransformer at 32x32: 8x8 patches (16 tokens and
    the class token), 2 encoder blocks of 2 heads of 16, 32 features, MLP 64."""
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=32, patch_size=8, num_layers=2,
                              num_heads=2, hidden_dim=32, mlp_dim=64,
                              num_classes=10)
    # torch initialises the class token to zeros: the head would read a token
    # made of the position embedding alone (std 0.02), a hundredth of the
    # patch tokens, which no trained ViT has. Of the patch tokens' size.
    with torch.no_grad():
        model.class_token.normal_(0.0, 1.0)
    return model


def tiny_swin() -> nn.Module:
    """torchvision's SwinTransformer at 32x32: 2x2 patches of 16 features
    (16x16 tokens), windows of 4x4; stage 1 two blocks of 2 heads (the second
    shifted by 2), patch merging to 8x8 of 32 features, stage 2 two blocks of
    4 heads (the second shifted), LayerNorm, average pool, Linear -> 10."""
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[2, 2], embed_dim=16, depths=[2, 2],
                           num_heads=[2, 4], window_size=[4, 4],
                           num_classes=10)


class TinyBert(nn.Module):
    """A BERT-like encoder on float embeddings [1, T, C] (no token ids): a
    position embedding, LayerNorm, post-LN encoder layers (torch's
    TransformerEncoderLayer with GELU) and a Linear on token 0. The defaults
    are workloads/tiny_bert's sizes."""

    def __init__(self, tokens: int = 16, features: int = 32, heads: int = 2,
                 layers: int = 2, mlp: int = 64, num_classes: int = 10):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, tokens, features) * 0.02)
        self.norm = nn.LayerNorm(features)
        layer = nn.TransformerEncoderLayer(features, heads, mlp, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=False)
        self.enc = nn.TransformerEncoder(layer, layers,
                                         enable_nested_tensor=False)
        self.head = nn.Linear(features, num_classes)

    def forward(self, x):
        x = self.enc(self.norm(x + self.pos))
        return self.head(x[:, 0])


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(conv_bn_relu(cin, cout, 3), conv_bn_relu(cout, cout, 3))


class UNet(nn.Module):
    """U-Net (Ronneberger et al. 2015) as users write it for small
    segmentation: double 3x3 conv+BN+ReLU blocks, 2x2 max-pool down,
    ConvTranspose2d up, the skip concatenated on the channels, a 1x1 head.

    up="k2": ConvTranspose2d(kernel 2, stride 2), the original's up-conv.
    up="k4": ConvTranspose2d(kernel 4, stride 2, padding 1) + BN + ReLU,
    the DCGAN/FCN-style decoder step (overlapping taps)."""

    def __init__(self, in_channels: int = 3, classes: int = 2, base: int = 16,
                 depth: int = 3, up: str = "k2"):
        super().__init__()
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList([double_conv(in_channels, widths[0])] +
                                  [double_conv(widths[i], widths[i + 1])
                                   for i in range(depth)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for i in reversed(range(depth)):
            if up == "k2":
                self.up.append(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2))
            else:
                self.up.append(nn.Sequential(
                    nn.ConvTranspose2d(widths[i + 1], widths[i], 4, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(widths[i]), nn.ReLU(inplace=True)))
            self.merge.append(double_conv(2 * widths[i], widths[i]))
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


def conv_bn_silu(cin: int, cout: int, kernel: int, stride: int = 1,
                 groups: int = 1, act: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class MobileVitMv2(nn.Module):
    """MobileViT's MobileNetV2 block (SiLU): pw expand -> dw -> pw project."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.conv = nn.Sequential(
            conv_bn_silu(cin, hidden, 1),
            conv_bn_silu(hidden, hidden, 3, stride, groups=hidden),
            conv_bn_silu(hidden, cout, 1, act=False))
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileVitTransformer(nn.Module):
    """A pre-norm transformer layer on each set of tokens: LayerNorm ->
    nn.MultiheadAttention (batch_first) -> residual; LayerNorm -> Linear ->
    SiLU -> Linear -> residual."""

    def __init__(self, dim: int, heads: int, ffn: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn), nn.SiLU(),
                                 nn.Linear(ffn, dim))

    def forward(self, x):
        y = self.norm1(x)
        x = x + self.attention(y, y, y, need_weights=False)[0]
        return x + self.ffn(self.norm2(x))


class MobileVitBlock(nn.Module):
    """MobileViT's block (Mehta and Rastegari 2022; apple/ml-cvnets): local
    3x3 and 1x1 convs; the map unfolded into p x p sets of N tokens (the
    pixels at one offset of every p x p patch), transformer layers on each
    set, folded back; a 1x1 projection, concatenated with the block's input
    and fused by a 3x3 conv. The unfold and fold are ml-cvnets' reshapes and
    transposes."""

    def __init__(self, channels: int, dim: int, layers: int, ffn: int,
                 heads: int = 4, patch: int = 2):
        super().__init__()
        self.patch = patch
        self.local = nn.Sequential(conv_bn_silu(channels, channels, 3),
                                   nn.Conv2d(channels, dim, 1, bias=False))
        self.transformer = nn.Sequential(*[MobileVitTransformer(dim, heads, ffn)
                                           for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.project = conv_bn_silu(dim, channels, 1)
        self.fuse = conv_bn_silu(2 * channels, channels, 3)

    def forward(self, x):
        shortcut = x
        x = self.local(x)
        b, c, h, w = x.shape
        p = self.patch
        nh, nw = h // p, w // p
        x = x.reshape(b * c * nh, p, nw, p).transpose(1, 2)
        x = x.reshape(b, c, nh * nw, p * p).transpose(1, 3)
        x = x.reshape(b * p * p, nh * nw, c)
        x = self.norm(self.transformer(x))
        x = x.contiguous().view(b, p * p, nh * nw, c).transpose(1, 3)
        x = x.reshape(b * c * nh, nw, p, p).transpose(1, 2)
        x = x.reshape(b, c, h, w)
        return self.fuse(torch.cat([shortcut, self.project(x)], dim=1))


class MobileViT(nn.Module):
    """MobileViT (Mehta and Rastegari 2022) as apple/ml-cvnets builds it,
    its attention torch's nn.MultiheadAttention. width="xxs": channels 16,
    24, 48, 64, 80 with transformer dims 64, 80, 96 and 2, 4, 3 layers
    (MobileViT-XXS, MV2 expansion 2); width="tiny": one stage of one block
    (checked-in unit-test model)."""

    def __init__(self, width: str = "xxs", classes: int = 10):
        super().__init__()
        if width == "xxs":
            self.stem = conv_bn_silu(3, 16, 3, 2)
            self.body = nn.Sequential(
                MobileVitMv2(16, 16, 1, 2),
                MobileVitMv2(16, 24, 2, 2), MobileVitMv2(24, 24, 1, 2),
                MobileVitMv2(24, 24, 1, 2),
                MobileVitMv2(24, 48, 2, 2), MobileVitBlock(48, 64, 2, 128),
                MobileVitMv2(48, 64, 2, 2), MobileVitBlock(64, 80, 4, 160),
                MobileVitMv2(64, 80, 2, 2), MobileVitBlock(80, 96, 3, 192),
                conv_bn_silu(80, 320, 1))
            features = 320
        else:
            self.stem = conv_bn_silu(3, 16, 3, 2)
            self.body = nn.Sequential(MobileVitBlock(16, 24, 1, 48, heads=2))
            features = 16
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.body(self.stem(x))), 1))


class RnnKeywordSpotter(nn.Module):
    """A keyword spotter on 49 frames of 10 MFCCs ([1, 49, 10], batch first,
    MLPerf Tiny's KWS input) as users write it: nn.LSTM or nn.GRU, the last
    step's output into a Linear over 12 keywords. torch's own init for the
    recurrent weights (uniform in +-1/sqrt(hidden))."""

    def __init__(self, cell: str = "lstm", hidden: int = 64, layers: int = 1,
                 bidirectional: bool = False, classes: int = 12):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(10, hidden, num_layers=layers, batch_first=True,
                       bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


# --------------------------------------------------------------------------
# Workload registry
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    build: Callable[[], nn.Module]
    input_shape: Tuple[int, ...]
    description: str
    opset: Optional[int] = None          # fixed opset (small models only)
    expected_macs: Optional[int] = None  # conv+FC MACs that must be counted
    # Small models: exported as a user calls torch.onnx.export (torch's own
    # symbolics, export_onnx_as_user): Swin's window padding has amounts
    # computed from the shape, which the constant Pad symbolic refuses.
    user_export: bool = False
    # Input dimensions exported as dynamic (torch.onnx.export's dynamic_axes
    # for the input, {axis: symbol}): the file declares symbols, not sizes.
    dynamic_input_axes: Optional[Dict[int, str]] = None
    # A decoder language model of decoder_models.DECODERS (token ids in, a KV
    # cache for a decode step): built, checked and written by decoder_models.
    decoder: Optional[str] = None


def _googlenet() -> nn.Module:
    # init_weights=False: our own init follows; transform_input=False keeps
    # the ImageNet re-normalisation (extra Mul/Add on the input) out.
    return torchvision.models.googlenet(weights=None, aux_logits=False,
                                        init_weights=False,
                                        transform_input=False)


def _resnet50_v1() -> nn.Module:
    """The original (Caffe, He et al. 2015) ResNet-50: stride 2 on the first
    1x1 conv of a stage's first bottleneck, not on its 3x3.

    torchvision's resnet50 is "ResNet-50 v1.5": stride on the 3x3, so the
    first 1x1 of each stage's first block runs at the full input resolution
    (4x its v1 MACs, ~6 % more in total; the 3x3 costs the same either way).
    The published xDNN ResNet-50 figures are for the Caffe model, so the
    latency model must be calibrated on that layout. The downsample branch
    (1x1 stride 2 conv + BN) is the same in both.
    """
    model = torchvision.models.resnet50(weights=None)
    for stage in (model.layer2, model.layer3, model.layer4):
        block = stage[0]
        if block.conv2.stride != (2, 2) or block.conv1.stride != (1, 1):
            raise CheckError("unexpected torchvision resnet50 layout: "
                             f"conv1 stride {block.conv1.stride}, "
                             f"conv2 stride {block.conv2.stride}")
        block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    return model


# MLPerf Tiny's autoencoder reads 5 frames of 128 log-mel bins, flattened.
AUTOENCODER_FRAMES = 5
AUTOENCODER_INPUTS = 5 * 128

IMAGENET = (1, 3, 224, 224)
TINY = (1, 3, 32, 32)

BIG_WORKLOADS = [
    Workload("resnet18", lambda: torchvision.models.resnet18(weights=None),
             IMAGENET, "torchvision ResNet-18"),
    Workload("resnet50", lambda: torchvision.models.resnet50(weights=None),
             IMAGENET, "torchvision ResNet-50"),
    Workload("googlenet", _googlenet, IMAGENET,
             "torchvision GoogLeNet (no aux logits, no input transform)"),
    Workload("mobilenet_v2", lambda: torchvision.models.mobilenet_v2(weights=None),
             IMAGENET, "torchvision MobileNetV2 1.0"),
    Workload("squeezenet1_1",
             lambda: torchvision.models.squeezenet1_1(weights=None),
             IMAGENET, "torchvision SqueezeNet 1.1 (no BatchNorm)"),
    Workload("mobilenet_v1_128", MobileNetV1, (1, 3, 128, 128),
             "MobileNetV1 1.0 with ReLU at 128x128 (DORY benchmark)",
             expected_macs=MOBILENET_V1_128_MACS),
    # Calibration targets for the xDNN latency model (published ML Suite
    # figures, see /work/shared/REFERENCE.md): the exact networks behind them.
    Workload("googlenet_v1", GoogLeNetV1, IMAGENET,
             "BVLC Caffe GoogLeNet (no BN, no LRN, 5x5 branches, ceil-mode "
             "max pools), as benchmarked by Xilinx ML Suite"),
    Workload("resnet50_v1", _resnet50_v1, IMAGENET,
             "original Caffe ResNet-50 (stride 2 on the first 1x1 of a stage), "
             "as benchmarked by Xilinx ML Suite"),
]

SMALL_WORKLOADS = [
    Workload("tiny_resnet", TinyResNet, TINY,
             "stem conv, maxpool, 2 basic blocks (1x1 s2 downsample), GAP, FC",
             opset=13),
    Workload("tiny_inception", TinyInception, TINY,
             "stem conv, 4-branch inception block, ceil-mode avgpool, conv, GAP, FC",
             opset=13),
    Workload("tiny_mobilenet_v2", TinyMobileNetV2, TINY,
             "explicit pad, inverted residuals with ReLU6, dropout, FC", opset=13),
    Workload("tiny_mobilenet_v2_opset9", TinyMobileNetV2, TINY,
             "tiny_mobilenet_v2 exported with opset 9 (old Pad/Clip/BN forms)",
             opset=9),
    Workload("tiny_resnet_softmax",
             lambda: nn.Sequential(TinyResNet(), nn.Softmax(dim=1)), TINY,
             "tiny_resnet ending in a Softmax over its 10 logits", opset=13),
    Workload("tiny_convnext", TinyConvNeXt, TINY,
             "ConvNeXt's stem, 2 CNBlocks (channels-last LayerNorm, Linear, "
             "GELU, layer scale), LayerNorm2d downsample and head", opset=13),
    Workload("tiny_vit", tiny_vit, TINY,
             "torchvision VisionTransformer: 8x8 patches, class token, "
             "position embedding, 2 blocks of 2-head attention, MLP, head",
             opset=13),
    Workload("tiny_swin", tiny_swin, TINY,
             "torchvision SwinTransformer: 2x2 patches, 4x4 windows, 2 stages "
             "of a plain and a shifted block (2 and 4 heads), patch merging, "
             "relative position bias, shifted-window mask", opset=13,
             user_export=True),
    # tiny_resnet (the same weights and input) exported as a user exports a
    # network for any image size: batch, height and width dynamic.
    Workload("tiny_resnet_dynamic", TinyResNet, TINY,
             "tiny_resnet exported with dynamic batch, height and width "
             "(dynamic_axes {0: batch, 2: height, 3: width})", opset=13,
             dynamic_input_axes={0: "batch", 2: "height", 3: "width"}),
    Workload("tiny_mobilevit", functools.partial(MobileViT, "tiny"), TINY,
             "MobileViT's stem and one MobileViT block: 3x3 and 1x1 convs, "
             "the 16x16 map unfolded into 4 sets of 64 tokens, a transformer "
             "layer with nn.MultiheadAttention (2 heads), folded back, "
             "projection, concat, fusion conv, head", opset=13),
    Workload("tiny_bert", TinyBert, (1, 16, 32),
             "BERT-like encoder on float embeddings [1, 16, 32]: position "
             "embedding, LayerNorm, 2 post-LN layers of 2-head attention and "
             "GELU MLP, a Linear on token 0", opset=13),
]


class SegmentationOutput(nn.Module):
    """A torchvision segmentation model's "out" tensor (its forward returns a
    dict), as a deployment exports it: the per-pixel class scores."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


class DetectionHeads(nn.Module):
    """A torchvision detector's backbone and heads as a deployment exports
    them, without the post-processing (anchors, box decoding, NMS: the
    host's): the box regressions [1, N, 4] and class scores [1, N, classes]
    of its N anchors, each level's head output read as tokens and the levels
    concatenated."""

    onnx_output_names = ("boxes", "scores")

    def __init__(self, model: nn.Module):
        super().__init__()
        self.backbone = model.backbone
        self.head = model.head

    def forward(self, x):
        heads = self.head(list(self.backbone(x).values()))
        return heads["bbox_regression"], heads["cls_logits"]


def _ssdlite() -> nn.Module:
    from torchvision.models.detection import ssdlite320_mobilenet_v3_large
    return DetectionHeads(ssdlite320_mobilenet_v3_large(weights=None,
                                                        weights_backbone=None))


def _segmentation(name: str, **kwargs) -> Callable[[], nn.Module]:
    """Builder for torchvision.models.segmentation.<name> without weights."""
    def build() -> nn.Module:
        model = getattr(torchvision.models.segmentation, name)(
            weights=None, weights_backbone=None, **kwargs)
        return SegmentationOutput(model)
    return build


def _torchvision(name: str, **kwargs) -> Callable[[], nn.Module]:
    """Builder for torchvision.models.<name>(weights=None, **kwargs)."""
    return functools.partial(getattr(torchvision.models, name), weights=None,
                             **kwargs)


# torchvision's ImageNet classifiers as users take them off the shelf, so the
# importer meets the graphs torch really emits (folded BN, torch's own Pad,
# Clip, HardSigmoid + Mul, Shape arithmetic, ...), not only the tidy forms
# export_onnx produces. A network in both sets (resnet18, resnet50,
# googlenet, mobilenet_v2, squeezenet1_1) gets the same weights, input.npy
# and output.npy in both: only the export differs. googlenet and
# inception_v3 as in _googlenet: no aux logits (unused in eval mode), our own
# init, no input re-normalisation.
BATTERY_WORKLOADS = [
    Workload("resnet18", _torchvision("resnet18"), IMAGENET,
             "torchvision ResNet-18"),
    Workload("resnet50", _torchvision("resnet50"), IMAGENET,
             "torchvision ResNet-50 (v1.5)"),
    Workload("resnext50_32x4d", _torchvision("resnext50_32x4d"), IMAGENET,
             "torchvision ResNeXt-50 32x4d (grouped 3x3 convs)"),
    Workload("wide_resnet50_2", _torchvision("wide_resnet50_2"), IMAGENET,
             "torchvision Wide ResNet-50-2"),
    Workload("mobilenet_v2", _torchvision("mobilenet_v2"), IMAGENET,
             "torchvision MobileNetV2 1.0 (ReLU6)"),
    Workload("mobilenet_v3_small", _torchvision("mobilenet_v3_small"), IMAGENET,
             "torchvision MobileNetV3-Small (Hardswish, SE with Hardsigmoid)"),
    Workload("mobilenet_v3_large", _torchvision("mobilenet_v3_large"), IMAGENET,
             "torchvision MobileNetV3-Large (Hardswish, SE with Hardsigmoid)"),
    Workload("mnasnet1_0", _torchvision("mnasnet1_0"), IMAGENET,
             "torchvision MnasNet 1.0 (3x3 and 5x5 depthwise)"),
    Workload("efficientnet_b0", _torchvision("efficientnet_b0"), IMAGENET,
             "torchvision EfficientNet-B0 (SiLU, SE with Sigmoid)"),
    Workload("shufflenet_v2_x1_0", _torchvision("shufflenet_v2_x1_0"), IMAGENET,
             "torchvision ShuffleNetV2 1.0 (channel split and shuffle)"),
    Workload("squeezenet1_0", _torchvision("squeezenet1_0"), IMAGENET,
             "torchvision SqueezeNet 1.0 (no BatchNorm)"),
    Workload("squeezenet1_1", _torchvision("squeezenet1_1"), IMAGENET,
             "torchvision SqueezeNet 1.1 (no BatchNorm)"),
    Workload("googlenet", _googlenet, IMAGENET,
             "torchvision GoogLeNet (no aux logits, no input transform)"),
    Workload("inception_v3",
             _torchvision("inception_v3", aux_logits=False, init_weights=False,
                          transform_input=False),
             (1, 3, 299, 299),
             "torchvision Inception-v3 at 299x299 (no aux logits, no input "
             "transform)"),
    Workload("densenet121", _torchvision("densenet121"), IMAGENET,
             "torchvision DenseNet-121 (BN-ReLU-Conv, concatenations)"),
    Workload("regnet_x_400mf", _torchvision("regnet_x_400mf"), IMAGENET,
             "torchvision RegNetX-400MF (grouped convs)"),
    Workload("vgg11", _torchvision("vgg11"), IMAGENET,
             "torchvision VGG-11 (no BatchNorm)"),
    Workload("vgg16", _torchvision("vgg16"), IMAGENET,
             "torchvision VGG-16 (no BatchNorm)"),
    Workload("alexnet", _torchvision("alexnet"), IMAGENET,
             "torchvision AlexNet (no BatchNorm)"),
    # MLPerf Tiny's four models (v1.0 reference networks), at their inputs.
    Workload("tinyml_resnet8", TinyMlResNet8, TINY,
             "MLPerf Tiny image classification: ResNet-8 on 32x32 CIFAR-10"),
    Workload("tinyml_ds_cnn", TinyMlDsCnn, (1, 1, 49, 10),
             "MLPerf Tiny keyword spotting: DS-CNN on 49x10 MFCC"),
    Workload("tinyml_mobilenet_v1_vww",
             functools.partial(MobileNetV1, num_classes=2, width=0.25),
             (1, 3, 96, 96),
             "MLPerf Tiny visual wake words: MobileNetV1 0.25 at 96x96"),
    Workload("tinyml_autoencoder", TinyMlAutoencoder, (1, AUTOENCODER_INPUTS),
             "MLPerf Tiny anomaly detection: FC autoencoder on 640 inputs"),
    # Segmentation heads on MobileNetV3-Large (dilated last stage): bilinear
    # upsampling, ASPP's atrous convolutions, the LR-ASPP gate. At 128x128 to
    # keep the sanitized CI run short (BENCHMARKS.md has them at 224).
    Workload("lraspp_mobilenet_v3_large",
             _segmentation("lraspp_mobilenet_v3_large"), (1, 3, 128, 128),
             "torchvision LR-ASPP MobileNetV3-Large at 128x128 (21 classes)"),
    Workload("deeplabv3_mobilenet_v3_large",
             _segmentation("deeplabv3_mobilenet_v3_large", aux_loss=False),
             (1, 3, 128, 128),
             "torchvision DeepLabV3 MobileNetV3-Large at 128x128 (ASPP "
             "rates 12, 24, 36)"),
    # ConvNeXt: LayerNorm over channels (LayerNorm2d and the channels-last
    # blocks), GELU, 7x7 depthwise, layer scale. At 128x128 like the
    # segmentation networks (BENCHMARKS.md has it at 224). Layer scale 0.5,
    # not the training init 1e-6: with 1e-6 every block's branch is a
    # millionth of its residual and the health check (rightly) refuses it.
    Workload("convnext_tiny", _torchvision("convnext_tiny", layer_scale=0.5),
             (1, 3, 128, 128),
             "torchvision ConvNeXt-T at 128x128 (layer scale 0.5)"),
    # A DeiT-tiny-shaped ViT (torchvision's VisionTransformer: 224x224, 16x16
    # patches, 197 tokens, 12 blocks of 3 heads of 64, 192 features, MLP 768):
    # attention's two products, the softmax over the keys, the class token and
    # position embedding, LayerNorm and GELU on tokens.
    Workload("deit_tiny", deit_tiny, IMAGENET,
             "DeiT-tiny-shaped torchvision VisionTransformer at 224x224 "
             "(class token N(0, 1))"),
    # ViT-B/16 itself: DeiT-tiny's graph at 25x its MACs (17.6 G), exported
    # as a user calls torch.onnx.export (no torch.no_grad around it). At
    # opset 13 only: DeiT-tiny checks the opset-11 form of the same graph,
    # and ViT-B/16's runs on both targets cost 45 s of a test lane each.
    Workload("vit_b_16", vit_b_16, IMAGENET,
             "torchvision ViT-B/16 at 224x224 (class token N(0, 1))"),
    # A BERT-like encoder on float embeddings (no token ids: the lookup is
    # the host's): post-LN blocks, attention over 64 tokens, the input itself
    # in token layout [1, T, C].
    Workload("bert_emb",
             functools.partial(TinyBert, tokens=64, features=128, heads=2,
                               layers=2, mlp=512, num_classes=2),
             (1, 64, 128),
             "BERT-like encoder on float embeddings [1, 64, 128] (no token "
             "ids): position embedding, LayerNorm, 2 post-LN layers of 2-head "
             "attention (heads of 64) and GELU MLP 512, a Linear on token 0"),
    # SSDlite's backbone (MobileNetV3-Large and its extra layers) and heads
    # (depthwise-separable, 6 anchors per pixel of 6 levels), exported without
    # the post-processing: two outputs, each level's conv read as tokens.
    Workload("ssdlite320_mobilenet_v3_large", _ssdlite, (1, 3, 320, 320),
             "torchvision SSDlite320 MobileNetV3-Large backbone and heads at "
             "320x320 (91 classes, 3234 anchors; no post-processing)"),
    # Swin-T: channels-last stages, shifted windows (roll, window partition
    # and reverse: gathers of pixels), windowed attention with a relative
    # position bias and the shifted-window mask, patch merging. At 224 (56x56
    # after the patches: 7x7 windows fit each stage).
    Workload("swin_t", _torchvision("swin_t"), IMAGENET,
             "torchvision Swin-T at 224x224 (windows of 7x7, shift 3)"),
    # FCN on a dilated ResNet-50 (output stride 8) with bilinear upsampling,
    # at 128x128 like the other segmentation networks.
    Workload("fcn_resnet50", _segmentation("fcn_resnet50", aux_loss=False),
             (1, 3, 128, 128),
             "torchvision FCN-ResNet50 at 128x128 (21 classes, dilated "
             "ResNet-50)"),
    # Model families beyond classifiers (issue 56), at opsets 13 and 17.
    # U-Nets with ConvTranspose2d decoders: the original's 2x2 stride-2
    # up-convs at 64x64, and a 4x4 stride-2 pad-1 decoder (+ BN, ReLU) at 96x96.
    Workload("unet", functools.partial(UNet, base=16, depth=3), (1, 3, 64, 64),
             "U-Net, 3 levels, base 16, ConvTranspose2d(2, stride 2) up-convs, "
             "skip concatenation, 2 classes at 64x64"),
    Workload("unet_k4", functools.partial(UNet, base=8, depth=2, up="k4"),
             (1, 3, 96, 96),
             "U-Net, 2 levels, base 8, ConvTranspose2d(4, stride 2, pad 1) + "
             "BN + ReLU up-convs, 2 classes at 96x96"),
    # MobileViT-XXS at 128x128: MobileNetV2 blocks and three MobileViT blocks
    # (4 sets of 64, 16 and 4 tokens), nn.MultiheadAttention.
    Workload("mobilevit_xxs", MobileViT, (1, 3, 128, 128),
             "MobileViT-XXS (ml-cvnets' layout, nn.MultiheadAttention) at "
             "128x128, 10 classes"),
    # Recurrent keyword spotters on [1, 49, 10] MFCCs: an LSTM of one layer,
    # and a GRU of two bidirectional layers.
    Workload("kws_lstm", functools.partial(RnnKeywordSpotter, "lstm", 64),
             (1, 49, 10),
             "keyword spotter: nn.LSTM(10, 64), the last step into Linear -> 12, "
             "on [1, 49, 10] MFCCs"),
    Workload("kws_gru_bi",
             functools.partial(RnnKeywordSpotter, "gru", 32, 2, True),
             (1, 49, 10),
             "keyword spotter: nn.GRU(10, 32, 2 layers, bidirectional), the last "
             "step into Linear -> 12, on [1, 49, 10] MFCCs"),
    # Decoder language models from token ids (decoder_models.py): a prefill of
    # a 16-token prompt, a decode step with each block's KV cache as inputs,
    # a wider prefill.
    *[Workload(name, lambda: None, (1, shape.tokens), description, decoder=name)
      for name, (shape, description) in decoder_models.DECODERS.items()],
]

BATTERY_DIR = "battery"                 # <cache>/battery/<name>_opset<N>/
BATTERY_OPSETS = (11, 13)
# Also exported with opset 9. ShuffleNetV2's channel split is then one Split
# with a `split` attribute instead of the Shape/Gather/Add/Div/Mul/Slice
# arithmetic torch emits from opset 11; MobileNetV3-Small has the same nodes
# as with 11 and 13 (Hardswish is HardSigmoid + Mul below opset 14), in their
# opset-9 versions.
BATTERY_OPSET9 = ("shufflenet_v2_x1_0", "mobilenet_v3_small")
# Exported with opset 13 alone (see the workload).
BATTERY_OPSET13_ONLY = ("vit_b_16",)
# The model families of issue 56 (U-Nets, ...): opsets 13 and 17, the range
# torch exports them in today.
BATTERY_FAMILY_OPSETS = (13, 17)
BATTERY_FAMILIES = ("unet", "unet_k4", "kws_lstm", "kws_gru_bi", "mobilevit_xxs",
                    *decoder_models.DECODERS)

EXPORT_PLAIN = "plain"                  # torch.onnx.export as a user calls it
EXPORT_PAD_SYMBOLIC = "pad-symbolic"    # the same with PAD_SYMBOLICS


@dataclasses.dataclass(frozen=True)
class BatteryExport:
    """One battery folder: a battery network exported with one opset."""
    workload: Workload
    opset: int

    @property
    def name(self) -> str:
        return f"{self.workload.name}_opset{self.opset}"


def battery_opsets(workload: Workload) -> Tuple[int, ...]:
    if workload.name in BATTERY_OPSET13_ONLY:
        return (13,)
    if workload.name in decoder_models.OPSETS:
        return decoder_models.OPSETS[workload.name]
    if workload.name in BATTERY_FAMILIES:
        return BATTERY_FAMILY_OPSETS
    extra = (9,) if workload.name in BATTERY_OPSET9 else ()
    return extra + BATTERY_OPSETS


BATTERY_EXPORTS = [BatteryExport(w, opset) for w in BATTERY_WORKLOADS
                   for opset in battery_opsets(w)]


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

# With opset >= 11, torch 1.13's own symbolic for a constant pad computes the
# ONNX `pads` input at run time (Shape, Gather, Slice with step -1,
# ConstantOfShape, Concat, Transpose, Reshape, Cast, ...), which also makes the
# exported output shape symbolic. The importer only knows a fixed op set, so
# while exporting with opset >= 11 we replace it by a symbolic that emits one
# Pad whose `pads` input is a constant. Opset 9/10 keep torch's attribute-form
# Pad. A traced nn.ZeroPad2d / F.pad records aten::pad; aten::constant_pad_nd
# is covered too.
PAD_MIN_OPSET = 11


def _constant_pads(input: torch._C.Value, padding: torch._C.Value) -> List[int]:
    """torch pad list (last dim first: begin, end, ...) -> ONNX `pads`
    (all begins, then all ends, for every dim of the input)."""
    from torch.onnx import symbolic_helper
    rank = symbolic_helper._get_tensor_rank(input)
    try:
        torch_pads = symbolic_helper._parse_arg(padding, "is")
    except Exception as err:
        raise CheckError(f"pad amounts must be constant for export: {err}")
    if rank is None or not isinstance(torch_pads, list):
        raise CheckError("pad export needs a known input rank and a constant "
                         "pad list")
    if len(torch_pads) % 2 or len(torch_pads) > 2 * rank:
        raise CheckError(f"pad list {torch_pads} does not fit rank {rank}")
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(torch_pads) // 2):
        dim = rank - 1 - i
        begins[dim], ends[dim] = torch_pads[2 * i], torch_pads[2 * i + 1]
    return begins + ends


def _constant_pad_symbolic(g, input, padding, value=None):
    """aten::constant_pad_nd(input, pad, value) -> Pad(input, pads, value)."""
    from torch.onnx import symbolic_helper
    pads = _constant_pads(input, padding)
    if value is None or symbolic_helper._is_none(value):
        value = 0.0
    value = symbolic_helper._maybe_get_const(value, "f")
    if not symbolic_helper._is_value(value):
        # Constant scalar in the input's dtype (float32 here), not float64.
        if input.type().scalarType() is None:
            raise CheckError("pad export needs a known input dtype")
        value = g.op("Constant", value_t=symbolic_helper._if_scalar_type_as(
            torch.tensor(value), input))
    return g.op("Pad", input,
                g.op("Constant", value_t=torch.tensor(pads, dtype=torch.int64)),
                value, mode_s="constant")


def _pad_symbolic(g, input, pad, mode, value):
    """aten::pad: constant mode as above, other modes as torch does."""
    from torch.onnx import symbolic_helper, symbolic_opset11
    if symbolic_helper._parse_arg(mode, "s") == "constant":
        return _constant_pad_symbolic(g, input, pad, value)
    return symbolic_opset11.pad(g, input, pad, mode, value)


PAD_SYMBOLICS = (("aten::constant_pad_nd", _constant_pad_symbolic),
                 ("aten::pad", _pad_symbolic))


@contextlib.contextmanager
def constant_pad_symbolics(opset: int):
    """Export with PAD_SYMBOLICS in place of torch's pad symbolics (opset >= 11;
    below that torch's own attribute-form Pad is kept)."""
    custom = PAD_SYMBOLICS if opset >= PAD_MIN_OPSET else ()
    for name, fn in custom:
        torch.onnx.register_custom_op_symbolic(name, fn, opset)
    try:
        yield
    finally:
        for name, _ in custom:
            torch.onnx.unregister_custom_op_symbolic(name, opset)


def export_onnx(model: nn.Module, x: torch.Tensor, path: Path, opset: int,
                dynamic_input_axes: Optional[Dict[int, str]] = None) -> None:
    """Big and small models: BatchNorm kept, constant Pad (see above)."""
    with constant_pad_symbolics(opset):
        # PRESERVE (with an eval-mode model) exports inference-mode ops but
        # skips the eval peephole that would fold BatchNorm into Conv; the
        # compiler must see and fuse BN itself. No constant folding for the
        # same reason.
        torch.onnx.export(model.eval(), x, str(path), opset_version=opset,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False,
                          input_names=["input"],
                          output_names=list(getattr(model, "onnx_output_names", ["output"])),
                          dynamic_axes=({"input": dynamic_input_axes}
                                        if dynamic_input_axes else None))


def export_onnx_as_user(model: nn.Module, x: torch.Tensor, path: Path,
                        opset: int, pad_symbolic: bool = False) -> None:
    """Battery: the call a user makes, so the file is what the importer gets
    in practice, not what this script would like it to get.

    Default training mode (EVAL: torch folds BatchNorm into the preceding
    Conv where it can) and default constant folding, torch's own symbolics.
    pad_symbolic registers PAD_SYMBOLICS around the very same call.
    """
    with (constant_pad_symbolics(opset) if pad_symbolic
          else contextlib.nullcontext()):
        torch.onnx.export(model.eval(), x, str(path), opset_version=opset,
                          input_names=["input"],
                          output_names=list(getattr(model, "onnx_output_names", ["output"])))


def inspect_onnx(path: Path, model: nn.Module, name: str,
                 bn_kept: bool = True) -> Dict[str, object]:
    """Validate the exported file and summarise what the importer will meet.

    bn_kept: the export must have kept every BN layer as a node (export_onnx);
    false for export_onnx_as_user, where torch folds BN into Conv.
    """
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    op_counts: Dict[str, int] = {}
    for node in proto.graph.node:
        op_counts[node.op_type] = op_counts.get(node.op_type, 0) + 1
    bn_modules = sum(isinstance(m, BN_TYPES) for m in model.modules())
    bn_nodes = op_counts.get("BatchNormalization", 0)
    if bn_kept and bn_nodes < bn_modules:
        raise CheckError(f"{name}: only {bn_nodes} BatchNormalization nodes for "
                         f"{bn_modules} BN layers; BN must not be folded away")
    return {
        "op_counts": dict(sorted(op_counts.items())),
        "opset_imports": {imp.domain or "ai.onnx": imp.version
                          for imp in proto.opset_import},
    }


# --------------------------------------------------------------------------
# Atomic file writing
# --------------------------------------------------------------------------

def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_path_for(path: Path) -> Path:
    # Same folder, so os.replace is an atomic rename on the same filesystem.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                               dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600; give the final file the usual umask-based mode.
    os.chmod(tmp, 0o666 & ~current_umask())
    return Path(tmp)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = temp_path_for(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_npy(path: Path, array: np.ndarray) -> None:
    def write(tmp: Path):
        with open(tmp, "wb") as f:   # file object: np.save must not add ".npy"
            np.save(f, array)
    atomic_write(path, write)


def save_json(path: Path, data: Dict[str, object]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text))


ExportFn = Callable[[nn.Module, torch.Tensor, Path, int], None]


def save_onnx(path: Path, model: nn.Module, x: torch.Tensor, opset: int,
              name: str, export: ExportFn = export_onnx,
              bn_kept: bool = True) -> Dict[str, object]:
    """Export atomically; return the inspection summary of the new file."""
    summary: Dict[str, object] = {}

    def write(tmp: Path):
        export(model, x, tmp, opset)
        summary.update(inspect_onnx(tmp, model, name, bn_kept))
    atomic_write(path, write)
    return summary


# --------------------------------------------------------------------------
# Per-model pipelines
# --------------------------------------------------------------------------

def reference_input(shape: Tuple[int, ...], seed: int) -> np.ndarray:
    return random_batch(shape[0], shape, seed).numpy()


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


def torch_output(model: nn.Module, x: np.ndarray
                 ) -> Tuple[List[np.ndarray], float]:
    """Return (reference outputs, relative error of torch's float32 output).

    The reference output is torch's output of a float64 copy of the model
    for the (float32) input, stored as float32: it is what the network
    computes, without float32 rounding inside it. The error is
    max |float32 output - float64 output| / max |float64 output| over all
    outputs, the tolerance a float32 implementation has to expect.
    """
    with torch.no_grad():
        out64 = output_list(copy.deepcopy(model).double()(
            torch.from_numpy(x).double()))
        out32 = output_list(model(torch.from_numpy(x)))
    error = max(float(np.abs(o32.numpy() - o64.numpy()).max()) for o32, o64 in zip(out32, out64))
    peak = max(float(np.abs(o64.numpy()).max()) for o64 in out64)
    return [o.numpy().astype(np.float32) for o in out64], error / peak


@dataclasses.dataclass
class PreparedModel:
    model: nn.Module
    input: np.ndarray
    outputs: List[np.ndarray]     # float64 torch outputs, stored as float32
    float32_error: float          # torch float32 vs float64, see torch_output
    conv_macs: int
    fc_macs: int
    health: Dict[str, float]
    # Wall seconds per step of prepare (see format_timings); not in meta.json,
    # which must not change between identical runs.
    timings: Dict[str, float] = dataclasses.field(default_factory=dict)


@contextlib.contextmanager
def timed(timings: Dict[str, float], step: str):
    """Add the wall time of the with-block to timings[step]."""
    start = time.monotonic()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.monotonic() - start


def prepare(workload: Workload, seed: int) -> PreparedModel:
    """Build, initialise, measure and health-check one model (no files)."""
    timings: Dict[str, float] = {}
    with timed(timings, "weights"):
        model, normalized_layers = build_healthy_model(workload, seed)
    with timed(timings, "macs"):
        x = reference_input(workload.input_shape, seed + INPUT_SEED_OFFSET)
        conv_macs, fc_macs = count_macs(model, torch.from_numpy(x))
    if workload.expected_macs is not None:
        total = conv_macs + fc_macs
        if total != workload.expected_macs:
            raise CheckError(f"{workload.name}: counted {total:,} conv+FC MACs, "
                             f"expected {workload.expected_macs:,}")
    with timed(timings, "health"):
        health = check_health(model, workload.input_shape,
                              seed + HEALTH_SEED_OFFSET, workload.name)
    health["normalized_layers"] = normalized_layers
    with timed(timings, "reference"):
        outputs, float32_error = torch_output(model, x)
    return PreparedModel(model, x, outputs, float32_error, conv_macs, fc_macs,
                         health, timings)


def format_timings(name: str, timings: Dict[str, float]) -> str:
    return (f"{name}: prepared in {sum(timings.values()):.1f}s (weights, BN "
            f"statistics and normalisation {timings['weights']:.1f}s, input "
            f"and MACs {timings['macs']:.1f}s, health check "
            f"{timings['health']:.1f}s, float64 reference "
            f"{timings['reference']:.1f}s)")


def default_cache_dir() -> Path:
    if os.environ.get("WB_CACHE_DIR"):
        return Path(os.environ["WB_CACHE_DIR"]) / "workloads"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return Path(xdg) / "workbench" / "workloads"


BIG_MODEL_FILES = ("model.onnx", "input.npy", "output.npy")


def is_cached(folder: Path, opset: int, seed: int,
              extra_meta: Optional[Dict[str, object]] = None) -> bool:
    """A complete export with this script version, opset, seed and extra_meta
    (entries meta.json must also hold, e.g. the battery's export mode)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return (meta.get("script_version") == SCRIPT_VERSION
            and meta.get("opset") == opset and meta.get("seed") == seed
            and all(meta.get(k) == v for k, v in (extra_meta or {}).items())
            and all((folder / f).is_file() for f in BIG_MODEL_FILES))


def format_ops(onnx_summary: Dict[str, object]) -> str:
    opsets = ", ".join(f"{d} {v}" for d, v in onnx_summary["opset_imports"].items())
    ops = ", ".join(f"{op} x{n}" for op, n in onnx_summary["op_counts"].items())
    return f"[{opsets}] {ops}"


def print_ops(name: str, onnx_summary: Dict[str, object]) -> None:
    print(f"{name}: {format_ops(onnx_summary)}", flush=True)


def export_big(workload: Workload, cache: Path, opset: int, seed: int,
               force: bool) -> None:
    folder = cache / workload.name
    if not force and is_cached(folder, opset, seed):
        print(f"{workload.name}: cached {folder}", flush=True)
        return
    start = time.monotonic()
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    onnx_summary = write_model_folder(folder, workload.name, workload,
                                      prepared, opset, seed)
    print_ops(workload.name, onnx_summary)
    print(f"{workload.name}: exported in {time.monotonic() - start:.1f}s "
          f"{folder}", flush=True)


def write_model_folder(folder: Path, name: str, workload: Workload,
                       prepared: PreparedModel, opset: int, seed: int,
                       export: ExportFn = export_onnx, bn_kept: bool = True,
                       extra_meta: Optional[Dict[str, object]] = None
                       ) -> Dict[str, object]:
    """Write model.onnx, input.npy, output.npy and, last, meta.json (with
    extra_meta added) into folder; return the ONNX inspection summary."""
    folder.mkdir(parents=True, exist_ok=True)
    # Drop the completeness marker first: an interrupted re-export must not
    # leave old meta.json vouching for a mix of old and new files.
    (folder / "meta.json").unlink(missing_ok=True)
    # Temp files left behind by a killed earlier run.
    for stale in folder.glob(".*.tmp"):
        stale.unlink()
    x = torch.from_numpy(prepared.input)
    onnx_summary = save_onnx(folder / "model.onnx", prepared.model, x, opset,
                             name, export, bn_kept)
    save_npy(folder / "input.npy", prepared.input)
    # The first output (the only one of most networks) as output.npy, any
    # further one as output_1.npy, output_2.npy, ...
    for i, output in enumerate(prepared.outputs):
        save_npy(folder / ("output.npy" if i == 0 else f"output_{i}.npy"), output)
    meta = {
        "name": name,
        "description": workload.description,
        "opset": opset,
        "seed": seed,
        "input_shape": list(prepared.input.shape),
        "output_shape": list(prepared.outputs[0].shape),
        "output_shapes": [list(o.shape) for o in prepared.outputs],
        # output.npy: torch, float64 copy of the model, stored as float32.
        "output_precision": "float64",
        # max |torch float32 output - float64 output| / max |float64 output|
        "torch_float32_rel_error": prepared.float32_error,
        "script_version": SCRIPT_VERSION,
        "versions": {"torch": torch.__version__,
                     "torchvision": torchvision.__version__,
                     "onnx": onnx.__version__, "numpy": np.__version__},
        "macs": {"conv": prepared.conv_macs, "fc": prepared.fc_macs,
                 "total": prepared.conv_macs + prepared.fc_macs},
        "health": prepared.health,
        "onnx": onnx_summary,
    }
    meta.update(extra_meta or {})
    save_json(folder / "meta.json", meta)
    return onnx_summary


def export_small(workload: Workload, out_dir: Path, seed: int) -> None:
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    x = torch.from_numpy(prepared.input)
    if workload.user_export:
        onnx_summary = save_onnx(out_dir / f"{workload.name}.onnx", prepared.model,
                                 x, workload.opset, workload.name,
                                 export=export_onnx_as_user, bn_kept=False)
    elif workload.dynamic_input_axes:
        onnx_summary = save_onnx(
            out_dir / f"{workload.name}.onnx", prepared.model, x,
            workload.opset, workload.name,
            export=functools.partial(export_onnx, dynamic_input_axes=workload.dynamic_input_axes))
    else:
        onnx_summary = save_onnx(out_dir / f"{workload.name}.onnx", prepared.model,
                                 x, workload.opset, workload.name)
    print_ops(workload.name, onnx_summary)
    save_npy(out_dir / f"{workload.name}.input.npy", prepared.input)
    save_npy(out_dir / f"{workload.name}.output.npy", prepared.outputs[0])
    print(f"{workload.name}: written {out_dir / workload.name}.onnx", flush=True)


def battery_folder(cache: Path, export: BatteryExport) -> Path:
    return cache / BATTERY_DIR / export.name


def export_battery_network(workload: Workload, opsets: List[int], cache: Path,
                           seed: int, force: bool, export_mode: str
                           ) -> Tuple[int, int]:
    """Export one battery network with the given opsets; return (exported,
    cached) folder counts.

    Everything but the ONNX file is the same for every opset (weights, input,
    output, health, MACs), and preparing it is what costs: BN statistics over
    32 random images, the normalisation over 16 (and BN statistics again when
    a normalised layer runs before a BN: SE blocks, DenseNet), the health
    check over 8, the float64 reference. So the network is prepared once, and
    only if some requested folder is not cached; then each folder costs one
    export.
    """
    exports = [BatteryExport(workload, opset) for opset in opsets]
    extra_meta = {"battery_version": BATTERY_VERSION, "network": workload.name,
                  "export": export_mode}
    if workload.decoder is not None:
        extra_meta["decoder_version"] = decoder_models.VERSION
    todo = []
    for export in exports:
        folder = battery_folder(cache, export)
        if not force and is_cached(folder, export.opset, seed, extra_meta):
            print(f"{export.name}: cached {folder}", flush=True)
        else:
            todo.append(export)
    if not todo:
        return 0, len(exports)

    start = time.monotonic()
    if workload.decoder is not None:
        shape, description = decoder_models.DECODERS[workload.decoder]
        for export in todo:
            decoder_models.write_folder(
                battery_folder(cache, export), export.name, description, shape,
                export.opset, seed, save_npy, save_json, atomic_write,
                {"script_version": SCRIPT_VERSION, **extra_meta})
            print(f"{export.name}: exported", flush=True)
        print(f"{workload.name}: {len(todo)} folder(s) in "
              f"{time.monotonic() - start:.1f}s", flush=True)
        return len(todo), len(exports) - len(todo)
    prepared = prepare(workload, seed)
    print(format_health(workload.name, prepared.health), flush=True)
    print(format_precision(workload.name, prepared.float32_error), flush=True)
    print(format_timings(workload.name, prepared.timings), flush=True)
    export_fn = functools.partial(
        export_onnx_as_user, pad_symbolic=export_mode == EXPORT_PAD_SYMBOLIC)
    for export in todo:
        folder = battery_folder(cache, export)
        export_start = time.monotonic()
        onnx_summary = write_model_folder(folder, export.name, workload,
                                          prepared, export.opset, seed,
                                          export_fn, bn_kept=False,
                                          extra_meta=extra_meta)
        print(f"{export.name}: exported in "
              f"{time.monotonic() - export_start:.1f}s "
              f"{format_ops(onnx_summary)}", flush=True)
    print(f"{workload.name}: {len(todo)} folder(s) in "
          f"{time.monotonic() - start:.1f}s", flush=True)
    return len(todo), len(exports) - len(todo)


def export_battery(exports: List[BatteryExport], cache: Path, seed: int,
                   force: bool, export_mode: str) -> None:
    """Export the selected battery folders, grouped by network."""
    start = time.monotonic()
    opsets: Dict[str, List[int]] = {}
    for export in exports:
        opsets.setdefault(export.workload.name, []).append(export.opset)
    exported = cached = 0
    for workload in BATTERY_WORKLOADS:
        if workload.name in opsets:
            done, skipped = export_battery_network(
                workload, opsets[workload.name], cache, seed, force,
                export_mode)
            exported, cached = exported + done, cached + skipped
    print(f"battery: {exported} exported, {cached} cached, "
          f"{time.monotonic() - start:.1f}s in total", flush=True)


def keep_freed_memory() -> None:
    """Make glibc keep freed memory for reuse instead of handing it back.

    torch's CPU allocator takes every tensor from malloc. glibc serves blocks
    above its mmap threshold (128 KiB, adapting up to 32 MiB) with a fresh
    mmap that free unmaps, and trims the top of the heap once 128 KiB are free
    there, so each forward pass makes the kernel map and zero all its
    activation memory anew, page by page. Measured on a 2-core VM for ResNet-50: health check (8
    images) 12.0 s -> 0.7 s, float64 reference 5.8 s -> 1.7 s, BN
    calibration 15.5 s -> 7.7 s. With mmap and trimming off, the heap grows
    to the peak once (a few GB for VGG) and is reused. Numerically a no-op:
    the same operations on the same values. No-op without glibc's mallopt.
    Used for the battery only, so the big and small sets run exactly as
    before.
    """
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4     # glibc's malloc.h
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(M_MMAP_MAX, 0)
    mallopt(M_TRIM_THRESHOLD, 2**31 - 1)


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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
