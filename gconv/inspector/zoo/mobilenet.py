"""MobileNetV1 1.0-224 (Howard et al. 2017) and MobileNetV2 1.0-224 (Sandler et al. 2018, torchvision layout)."""
import torch.nn as nn

from .layers import InvertedResidual, conv_bn

V1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
V2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v1(classes: int = 1000) -> nn.Module:
    """3×3 conv, then 13 depthwise separable blocks (3×3 depthwise + 1×1 pointwise), average pool, FC."""
    layers, c = [conv_bn(3, 32, 3, 2)], 32
    for cout, stride in V1:
        layers += [conv_bn(c, c, 3, stride, groups=c), conv_bn(c, cout, 1)]
        c = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, classes))


def mobilenet_v2(classes: int = 1000) -> nn.Module:
    """Inverted residuals with linear bottlenecks; torchvision's mobilenet_v2 layer for layer."""
    layers, c = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)], 32
    for t, cout, n, s in V2:
        for i in range(n):
            layers.append(InvertedResidual(c, cout, s if i == 0 else 1, t))
            c = cout
    layers += [conv_bn(c, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
               nn.Linear(1280, classes)]
    return nn.Sequential(*layers)
