"""Building blocks shared by the zoo's networks."""
from __future__ import annotations

import torch
import torch.nn as nn


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: type[nn.Module] | None = nn.ReLU,
            padding: int | None = None) -> nn.Sequential:
    """Conv (no bias) + BatchNorm (+ activation); padding defaults to k // 2."""
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2 if padding is None else padding, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if act is nn.PReLU:
        layers.append(nn.PReLU(cout))
    elif act is not None:
        layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6) else act())
    return nn.Sequential(*layers)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's shuffle: reshape channels to (groups, C/groups), transpose, flatten."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1×1 expand (skipped when t = 1), 3×3 depthwise, 1×1 linear projection."""

    def __init__(self, cin: int, cout: int, stride: int, t: int, act: type[nn.Module] = nn.ReLU6):
        super().__init__()
        hidden = cin * t
        self.residual = stride == 1 and cin == cout
        layers = [] if t == 1 else [conv_bn(cin, hidden, 1, act=act)]
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=act), conv_bn(hidden, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)
