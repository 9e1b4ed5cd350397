"""Test modules written the way the big model zoos write them, and the helpers that export and check them.

torchvision's ShuffleNet V2 channel_shuffle (x.size(), view, transpose, contiguous, view) and chunk(2, dim=1),
ShuffleNet V1's grouped 1×1 stack, ResNeXt's bottleneck, ECA's Conv1d. Oracles: the torch model itself through
forward hooks (inspect_model), and torch autograd for which input channels each output channel depends on.
"""
import io
import warnings

import numpy as np
import torch
import torch.nn as nn

from gconv.inspector.flow import trace
from gconv.inspector.hooks import inspect_model
from gconv.inspector.onnx_reader import read_graph, report_nodes


def channel_shuffle(x, groups: int, transpose: bool = True):
    """torchvision.models.shufflenetv2.channel_shuffle; transpose=False is the bug: view then view is the identity."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    if transpose:
        x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class InvertedResidual(nn.Module):
    """torchvision's ShuffleNet V2 unit: stride 1 splits the channels with chunk, stride 2 runs two branches."""

    def __init__(self, inp: int, oup: int, stride: int, transpose: bool = True):
        super().__init__()
        self.stride, self.transpose = stride, transpose
        f = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, bias=False, groups=inp), nn.BatchNorm2d(inp),
                                         nn.Conv2d(inp, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, stride, 1, bias=False, groups=f), nn.BatchNorm2d(f),
            nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2, self.transpose)


class ShuffleNetV2(nn.Module):
    """A small ShuffleNet V2 as torchvision writes it: stem, max-pool, stages of units, conv5, mean, fc."""

    def __init__(self, widths=(24, 48, 96), repeats=(3, 2), classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, inp = [], widths[0]
        for oup, r in zip(widths[1:], repeats):
            stages += [InvertedResidual(inp, oup, 2)] + [InvertedResidual(oup, oup, 1) for _ in range(r - 1)]
            inp = oup
        self.stages = nn.Sequential(*stages)
        self.conv5 = nn.Sequential(nn.Conv2d(inp, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


class GroupedStack(nn.Module):
    """ShuffleNet V1's idea: grouped 1×1 convs with a channel shuffle between them, then a pooled flatten head."""

    def __init__(self, C: int = 24, g: int = 3, layers: int = 3, transpose: bool = True):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(C, C, 1, groups=g, bias=False) for _ in range(layers))
        self.g, self.transpose = g, transpose

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))
            if i < len(self.convs) - 1:
                x = channel_shuffle(x, self.g, self.transpose)
        return x


class ShuffleV1Unit(nn.Module):
    """ShuffleNet v1's stride-1 unit (Zhang et al. 2018, Fig. 2b) as its torch ports write it: grouped 1×1, channel
    shuffle, depthwise 3×3, grouped 1×1, plus the identity. shuffle="none" drops the shuffle, "view" drops only
    its transpose (the bug: view then view is the identity)."""

    def __init__(self, C: int = 16, g: int = 4, shuffle: str = "transpose"):
        super().__init__()
        self.g, self.shuffle = g, shuffle
        m = C  # bottleneck width
        self.g1 = nn.Sequential(nn.Conv2d(C, m, 1, groups=g, bias=False), nn.BatchNorm2d(m), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False), nn.BatchNorm2d(m))
        self.g2 = nn.Sequential(nn.Conv2d(m, C, 1, groups=g, bias=False), nn.BatchNorm2d(C))

    def forward(self, x):
        y = self.g1(x)
        if self.shuffle != "none":
            y = channel_shuffle(y, self.g, transpose=self.shuffle == "transpose")
        return torch.relu(x + self.g2(self.dw(y)))


class ShuffleV1Stack(nn.Module):
    """A stem conv, then `units` ShuffleNet v1 units."""

    def __init__(self, C: int = 16, g: int = 4, units: int = 3, shuffle: str = "transpose"):
        super().__init__()
        self.stem = nn.Conv2d(3, C, 3, padding=1)
        self.units = nn.Sequential(*(ShuffleV1Unit(C, g, shuffle) for _ in range(units)))

    def forward(self, x):
        return self.units(self.stem(x))


class Bottleneck(nn.Module):
    """torchvision's ResNeXt bottleneck: dense 1×1, grouped 3×3, dense 1×1, plus the identity."""

    def __init__(self, C: int = 64, width: int = 32, groups: int = 8):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(C, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, C, 1, bias=False),
                                  nn.BatchNorm2d(C))

    def forward(self, x):
        return torch.relu(self.body(x) + x)


class ECA(nn.Module):
    """Efficient channel attention (Wang et al., CVPR 2020) as its reference code writes it: a Conv1d across the
    pooled channels, between 2-D convs."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1, groups=4)
        self.eca = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        x = self.conv(x)
        y = self.eca(nn.functional.adaptive_avg_pool2d(x, 1).squeeze(-1).transpose(-1, -2))
        return x * torch.sigmoid(y.transpose(-1, -2).unsqueeze(-1))


def export(model: nn.Module, shape, **kwargs) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(*shape),), buf, dynamo=False, **kwargs)
    return buf.getvalue()


def key(layer):
    return (layer.op, layer.C, layer.N, layer.G, tuple(layer.kernel), tuple(layer.stride), tuple(layer.padding),
            tuple(layer.in_hw), tuple(layer.out_hw), layer.kind, layer.macs)


def assert_exact(report, model, size, channels: int = 3):
    """Oracle: the torch model's own layers and the sizes it produced (forward hooks)."""
    ref = inspect_model(model, size, channels=channels)
    assert [key(a) for a in report.layers] == [key(b) for b in ref.layers]
    assert report.total_macs == ref.total_macs and report.input_size == size


def autograd_reach(model: nn.Module, shape) -> np.ndarray:
    """Oracle: (output channel, input channel) pairs with a nonzero gradient, from torch autograd. Positive weights
    and inputs keep every ReLU open, so a gradient is zero only where the structure has no path."""
    import copy

    torch.manual_seed(1)
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.uniform_(0.1, 1.0)
    x = torch.rand(*shape).add_(0.1).requires_grad_(True)
    y = model(x)
    out = np.zeros((y.shape[1], x.shape[1]), bool)
    for n in range(y.shape[1]):  # random weights per position: a normalized channel's plain sum is a constant
        (g,) = torch.autograd.grad((y[:, n] * torch.rand_like(y[:, n])).sum(), x, retain_graph=True)
        out[n] = (g.abs().sum(dim=(0, 2, 3)) > 0).numpy()
    return out


def flow_of(model: nn.Module, shape):
    graph = read_graph(export(model, shape))
    return graph, trace(graph, report_nodes(graph))
