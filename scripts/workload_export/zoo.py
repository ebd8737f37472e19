"""The workloads: what each is, how it is built, and the battery's list of exports."""

import dataclasses
import functools
from typing import Callable, Dict, Optional, Tuple

import torch.nn as nn
import torchvision

import decoder_models

from workload_export.settings import CheckError, MOBILENET_V1_128_MACS
from workload_export.models_cnn import (
    GoogLeNetV1, MobileNetV1, TinyConvNeXt, TinyInception, TinyMlAutoencoder, TinyMlDsCnn,
    TinyMlResNet8, TinyMobileNetV2, TinyResNet)
from workload_export.models_seq import (
    MobileViT, RnnKeywordSpotter, TinyBert, UNet, deit_tiny, tiny_swin, tiny_vit, vit_b_16)


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
