"""ResNeXt-50 32×4d (Xie et al. 2017), torchvision's resnext50_32x4d layer for layer."""
import torch.nn as nn

from .layers import conv_bn


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3 grouped conv (32 groups, stride here), 1×1 expand ×4, plus the shortcut."""

    def __init__(self, cin: int, planes: int, stride: int, groups: int = 32, base_width: int = 4):
        super().__init__()
        width = planes * base_width // 64 * groups
        self.body = nn.Sequential(conv_bn(cin, width, 1), conv_bn(width, width, 3, stride, groups=groups),
                                  conv_bn(width, planes * 4, 1, act=None))
        self.shortcut = (conv_bn(cin, planes * 4, 1, stride, act=None, padding=0)
                         if stride != 1 or cin != planes * 4 else nn.Identity())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def resnext50_32x4d(classes: int = 1000) -> nn.Module:
    """7×7 stem, four stages of 3, 4, 6, 3 bottlenecks, global pool, FC."""
    layers, c = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)], 64
    for planes, blocks, stride in zip((64, 128, 256, 512), (3, 4, 6, 3), (1, 2, 2, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(c, planes, stride if i == 0 else 1))
            c = planes * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)
