"""The exporter's own convolutional networks (MobileNetV1, the MLPerf Tiny models, the Caffe
networks behind the xDNN figures, the tiny test networks)."""

from typing import Tuple

import torch
import torch.nn as nn


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
