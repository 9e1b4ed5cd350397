"""A grouped conv computed three ways in torch, and GDC / GAP as convs and as sums, with their differences.

The one home of these computations: the GDC lab's heads and the timing cases call them, so what is timed
and what is trained is what is checked here.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .spec import ConvSpec


def conv_kwargs(spec: ConvSpec) -> dict:
    """stride, padding and dilation of spec as F.conv2d keyword arguments."""
    return dict(stride=spec.stride_hw, padding=spec.padding_hw, dilation=spec.dilation_hw)


def block_diagonal(weight: torch.Tensor, G: int) -> torch.Tensor:
    """Dense (N, C, Kh, Kw) weight from a grouped (N, C/G, Kh, Kw) one, zeros outside each kernel's group.

    >>> block_diagonal(torch.ones(4, 1, 3, 3), G=4).shape
    torch.Size([4, 4, 3, 3])
    """
    N, cg, kh, kw = weight.shape
    ng = N // G
    dense = weight.new_zeros(G, ng, G, cg, kh, kw)
    g = torch.arange(G)
    dense[g, :, g] = weight.reshape(G, ng, cg, kh, kw)
    return dense.reshape(N, G * cg, kh, kw)


def native_conv(x: torch.Tensor, weight: torch.Tensor, bias, spec: ConvSpec) -> torch.Tensor:
    """The layer as torch runs it: F.conv2d(groups=G) with spec's stride, padding and dilation."""
    return F.conv2d(x, weight, bias, groups=spec.G, **conv_kwargs(spec))


def split_conv(x: torch.Tensor, weight: torch.Tensor, bias, spec: ConvSpec) -> torch.Tensor:
    """G ordinary convs, group g on input channels g·C/G.. and kernels g·N/G.., concatenated."""
    xs = x.split(spec.in_per_group, dim=1)
    ws = weight.split(spec.out_per_group, dim=0)
    bs = bias.split(spec.out_per_group) if bias is not None else [None] * spec.G
    return torch.cat([F.conv2d(xi, wi, bi, **conv_kwargs(spec)) for xi, wi, bi in zip(xs, ws, bs)], dim=1)


# Max |difference| at which fp32 results agree: outputs are O(1) (weights scaled by 1/fan_in), and a dense conv
# sums up to C·K·K products in another order than the grouped one; 1e-4 holds for the app's live budget (20 M MACs)
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Equivalence:
    """Max |difference| of the split and the masked dense conv against native F.conv2d(groups=G)."""

    split_vs_native: float
    dense_vs_native: float
    output_shape: tuple[int, ...]
    torch_line: str

    @property
    def max_diff(self) -> float:
        return max(self.split_vs_native, self.dense_vs_native)

    @property
    def agrees(self) -> bool:
        """All three ways give the same output, within TOLERANCE."""
        return self.max_diff < TOLERANCE


def random_inputs(spec: ConvSpec, batch: int = 1, seed: int = 0, dtype=torch.float32):
    """(x, weight, bias) with a fixed seed: x ~ N(0, 1), weight ~ N(0, 1/fan_in) so outputs stay O(1).

    bias is None when spec.bias is False.
    """
    gen = torch.Generator().manual_seed(seed)
    fan_in = spec.weight_shape[1] * spec.weight_shape[2] * spec.weight_shape[3]
    x = torch.randn(batch, *spec.in_shape, generator=gen, dtype=dtype)
    w = torch.randn(*spec.weight_shape, generator=gen, dtype=dtype) / fan_in**0.5
    b = torch.randn(spec.N, generator=gen, dtype=dtype) if spec.bias else None
    return x, w, b


@torch.no_grad()
def three_ways(spec: ConvSpec, batch: int = 1, seed: int = 0) -> Equivalence:
    """Run spec natively, as G split convs, and as one dense conv with the block-diagonal weight (fp32).

    >>> e = three_ways(ConvSpec(C=8, N=8, G=4, K=3, H=6, W=6, padding=1))
    >>> e.output_shape, e.agrees
    ((1, 8, 6, 6), True)
    """
    x, w, b = random_inputs(spec, batch, seed)
    native = native_conv(x, w, b, spec)
    split = split_conv(x, w, b, spec)
    dense = F.conv2d(x, block_diagonal(w, spec.G), b, groups=1, **conv_kwargs(spec))
    return Equivalence(
        split_vs_native=(split - native).abs().max().item(),
        dense_vs_native=(dense - native).abs().max().item(),
        output_shape=tuple(native.shape),
        torch_line=spec.torch_repr(),
    )


def gdc_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Global depthwise conv of x (B, C, H, W) with weight (C, H, W) as F.conv2d: output (B, C).

    On a map larger than the kernel each channel gives a map, not one number; the result is then
    (B, C·Ho·Wo), which is why a GDC fixes the input size.
    """
    C = x.shape[1]
    return F.conv2d(x, weight.unsqueeze(1), groups=C).flatten(1)


def gdc_sum(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The same global depthwise conv as a weighted sum over positions: (x * w).sum((-2, -1))."""
    return (x * weight).sum((-2, -1))


def gap(x: torch.Tensor) -> torch.Tensor:
    """Global average pooling: every position weighs 1/(H·W); output (B, C)."""
    return x.mean((-2, -1))


@torch.no_grad()
def gdc_equivalence(C: int, H: int, W: int, batch: int = 2, seed: int = 0) -> dict[str, float]:
    """Max |diff| of GDC-as-conv vs GDC-as-sum, and of GAP vs GDC with every weight 1/(H·W)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, C, H, W, generator=gen)
    w = torch.randn(C, H, W, generator=gen) / (H * W) ** 0.5  # keeps the sums O(1), like random_inputs
    uniform = torch.full((C, H, W), 1.0 / (H * W))
    return {
        "conv_vs_sum": (gdc_conv(x, w) - gdc_sum(x, w)).abs().max().item(),
        "gap_vs_uniform_gdc": (gap(x) - gdc_conv(x, uniform)).abs().max().item(),
    }
