"""Xception (Chollet 2017), 299×299, as in Keras' reference implementation (no conv biases, BatchNorm)."""
import torch.nn as nn


def separable(cin: int, cout: int) -> nn.Sequential:
    """Keras SeparableConv2D 3×3 'same' without bias: depthwise 3×3 then pointwise 1×1; then BatchNorm."""
    return nn.Sequential(nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
                         nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))


class Block(nn.Module):
    """Separable convs with ReLUs between, then either a stride-2 max pool plus a 1×1 conv shortcut, or identity."""

    def __init__(self, channels: list[int], relu_first: bool = True, downsample: bool = True):
        super().__init__()
        layers = []
        for i, (a, b) in enumerate(zip(channels, channels[1:])):
            if i > 0 or relu_first:
                layers.append(nn.ReLU())
            layers.append(separable(a, b))
        if downsample:
            layers.append(nn.MaxPool2d(3, 2, 1))
            self.shortcut = nn.Sequential(nn.Conv2d(channels[0], channels[-1], 1, 2, bias=False),
                                          nn.BatchNorm2d(channels[-1]))
        else:
            self.shortcut = nn.Identity()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


def xception(classes: int = 1000) -> nn.Module:
    """Entry flow (3 blocks), middle flow (8 blocks of 728), exit flow, global pool, FC."""
    layers = [nn.Conv2d(3, 32, 3, 2, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
              nn.Conv2d(32, 64, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              Block([64, 128, 128], relu_first=False), Block([128, 256, 256]), Block([256, 728, 728])]
    layers += [Block([728, 728, 728, 728], downsample=False) for _ in range(8)]
    layers += [Block([728, 728, 1024]),
               separable(1024, 1536), nn.ReLU(), separable(1536, 2048), nn.ReLU(),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)
