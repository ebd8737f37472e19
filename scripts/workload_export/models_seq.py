"""The exporter's own transformer, U-Net, MobileViT and recurrent networks."""

import torch
import torch.nn as nn

from workload_export.models_cnn import conv_bn_relu


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
