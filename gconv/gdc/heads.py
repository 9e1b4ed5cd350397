"""Global pooling heads (GDC, GAP) on a small conv backbone, as torch modules."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..equivalence import gap, gdc_conv
from ..errors import GConvError
from .datasets import sizes_dividing
from ..i18n import say


class GDCHead(nn.Module):
    """Global depthwise conv: one learned weight per channel per position (kernel = map size, no padding).

    Starts at the uniform 1/(H·W), where it equals global average pooling exactly.

    >>> head = GDCHead(C=16, H=8, W=8)
    >>> head(torch.ones(2, 16, 8, 8)).shape, head.weight.shape
    (torch.Size([2, 16]), torch.Size([16, 8, 8]))
    """

    def __init__(self, C: int, H: int, W: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((C, H, W), 1.0 / (H * W)))

    @property
    def map_size(self) -> tuple[int, int]:
        return tuple(self.weight.shape[1:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C): a real depthwise conv whose kernel covers the whole map.

        Any other map size is refused: the kernel no longer reduces a channel to one number.
        """
        (M, N), (H, W) = self.map_size, tuple(x.shape[-2:])
        if (H, W) != (M, N):
            raise GConvError(say("err.gdc_map", M=M, N=N, H=H, W=W, h=max(H - M + 1, 0), w=max(W - N + 1, 0)))
        return gdc_conv(x, self.weight)


class GAPHead(nn.Module):
    """Global average pooling: every position weighs 1/(H·W); no parameters. (B, C, H, W) -> (B, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gap(x)


class Backbone(nn.Module):
    """Two 3×3 convs of width C with circular padding, then average pooling by `pool` to the output map.

    Circular padding keeps the features exactly shift-equivariant, so a global average cannot learn
    where things are from border effects: only a head that weighs positions can.
    """

    def __init__(self, C: int, pool: int, in_channels: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, C, 3, padding=1, padding_mode="circular")
        self.conv2 = nn.Conv2d(C, C, 3, padding=1, padding_mode="circular")
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return F.avg_pool2d(x, self.pool) if self.pool > 1 else x


class Classifier(nn.Module):
    """Backbone -> pooling head (GDC or GAP) -> linear layer to class scores."""

    def __init__(self, head: str, C: int, image_size: int, map_size: int, classes: int):
        super().__init__()
        if map_size not in sizes_dividing(image_size):
            valid = ", ".join(map(str, sizes_dividing(image_size)))
            raise GConvError(say("err.map_size_image", size=map_size, image=image_size, valid=valid))
        self.backbone = Backbone(C, image_size // map_size)
        self.head = GDCHead(C, map_size, map_size) if head == "gdc" else GAPHead()
        self.fc = nn.Linear(C, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's C×M×M feature map."""
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.backbone(x)))
