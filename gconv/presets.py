"""Named layers from the papers the story follows, one click away in the app."""
from __future__ import annotations

from dataclasses import dataclass

from .spec import ConvSpec


@dataclass(frozen=True)
class Preset:
    """A named layer with one line on where it comes from."""

    key: str  # URL-safe name
    title: str
    spec: ConvSpec
    note: str


PRESETS: dict[str, Preset] = {p.key: p for p in [
    Preset("standard", "Standard 3×3",
           ConvSpec(C=64, N=64, G=1, K=3, H=56, W=56, padding=1),
           "Every kernel reads every input channel: 64·64·3·3 weights."),
    Preset("alexnet_conv2", "AlexNet conv2 (G=2)",
           ConvSpec(C=96, N=256, G=2, K=5, H=27, W=27, padding=2, bias=True),
           "Krizhevsky et al. 2012 split conv2, conv4 and conv5 in two groups, one per GPU."),
    Preset("resnext", "ResNeXt-50 32×4d grouped 3×3",
           ConvSpec(C=128, N=128, G=32, K=3, H=56, W=56, padding=1),
           "Xie et al. 2017: 32 paths of width 4 in the first stage's 3×3 conv."),
    Preset("mobilenet_dw", "MobileNet depthwise 3×3",
           ConvSpec(C=32, N=32, G=32, K=3, H=112, W=112, padding=1),
           "Howard et al. 2017: one 3×3 filter per channel (G = C = N)."),
    Preset("separable", "Depthwise separable (MobileNet block)",
           ConvSpec(C=32, N=64, G=1, K=3, H=112, W=112, padding=1),
           "The standard 3×3 that MobileNet's first block replaces by 3×3 depthwise + 1×1 pointwise "
           "(the cost page compares them)."),
    Preset("shufflenet_1x1", "ShuffleNet grouped 1×1 (G=3)",
           ConvSpec(C=240, N=60, G=3, K=1, H=28, W=28),
           "Zhang et al. 2018: grouped pointwise conv, then a channel shuffle so groups can mix."),
    Preset("mobilefacenet_gdc", "MobileFaceNet GDC 7×7",
           ConvSpec(C=512, N=512, G=512, K=7, H=7, W=7),
           "Chen et al. 2018: a 7×7 depthwise conv over a 7×7 map, a learned weighted global pooling."),
]}


def find(spec: ConvSpec) -> Preset | None:
    """The preset whose layer is exactly spec, if any."""
    return next((p for p in PRESETS.values() if p.spec == spec), None)
