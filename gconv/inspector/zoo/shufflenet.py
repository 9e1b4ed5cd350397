"""ShuffleNet V2 1.0x (Ma et al. 2018), torchvision's shufflenet_v2_x1_0 layer for layer."""
import torch
import torch.nn as nn

from .layers import channel_shuffle, conv_bn


class ShuffleUnit(nn.Module):
    """Stride 1: split channels, transform one half, concat, shuffle. Stride 2: two branches, both downsample."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        branch = cout // 2
        self.stride = stride
        if stride > 1:
            self.branch1 = nn.Sequential(conv_bn(cin, cin, 3, stride, groups=cin, act=None),
                                         conv_bn(cin, branch, 1))
        self.branch2 = nn.Sequential(conv_bn(cin if stride > 1 else branch, branch, 1),
                                     conv_bn(branch, branch, 3, stride, groups=branch, act=None),
                                     conv_bn(branch, branch, 1))

    def forward(self, x):
        if self.stride == 1:
            half = x.shape[1] // 2  # slicing, not chunk: exports to ONNX with constant bounds
            a, b = x[:, :half], x[:, half:]
            out = torch.cat((a, self.branch2(b)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


def shufflenet_v2(classes: int = 1000) -> nn.Module:
    """Stages of 4, 8, 4 units with 116, 232, 464 channels; 1×1 conv to 1024; global pool; FC."""
    layers, c = [conv_bn(3, 24, 3, 2), nn.MaxPool2d(3, 2, 1)], 24
    for repeats, cout in zip((4, 8, 4), (116, 232, 464)):
        layers += [ShuffleUnit(c, cout, 2)] + [ShuffleUnit(cout, cout, 1) for _ in range(repeats - 1)]
        c = cout
    layers += [conv_bn(c, 1024, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, classes)]
    return nn.Sequential(*layers)
