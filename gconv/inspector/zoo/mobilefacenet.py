"""MobileFaceNet (Chen et al. 2018, Table 1): 112×112 faces to a 128-d embedding through a 7×7 GDC."""
import torch.nn as nn

from .layers import InvertedResidual, conv_bn

# (expansion t, channels c, repeats n, stride s) of the bottlenecks in Table 1
BOTTLENECKS = [(2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1)]


def mobilefacenet(embedding: int = 128) -> nn.Module:
    """PReLU after non-linear convs; the 7×7 GDC and the final 1×1 conv are linear (BatchNorm, no activation)."""
    layers, c = [conv_bn(3, 64, 3, 2, act=nn.PReLU), conv_bn(64, 64, 3, 1, groups=64, act=nn.PReLU)], 64
    for t, cout, n, s in BOTTLENECKS:
        for i in range(n):
            layers.append(InvertedResidual(c, cout, s if i == 0 else 1, t, act=nn.PReLU))
            c = cout
    layers += [conv_bn(c, 512, 1, act=nn.PReLU),
               conv_bn(512, 512, 7, 1, groups=512, act=None, padding=0),  # linear GDC 7×7
               conv_bn(512, embedding, 1, act=None), nn.Flatten()]
    return nn.Sequential(*layers)
