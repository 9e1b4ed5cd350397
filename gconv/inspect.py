"""Inspect a network: one row per conv and linear layer (shapes, groups, kind, params, MACs), and totals.

Rows come from forward hooks on a dummy input. Totals: params as torch counts them (numel of every
parameter: weights, biases, BatchNorm, PReLU), MACs of the conv and linear layers only (one per multiply-add,
padding products included; pooling, normalisation and activations not counted).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .spec import as_pair


@dataclass
class Layer:
    """One conv or linear layer as it ran."""

    name: str
    op: str  # "conv" or "linear"
    C: int
    N: int
    G: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    kind: str  # standard, pointwise, grouped, depthwise, depthwise-multiplier, gdc, linear
    params: int  # this layer's weight + bias
    macs: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """Layers in execution order, and the model's totals."""

    model: str
    input_size: tuple[int, int]
    layers: list[Layer]
    total_params: int  # numel of all parameters
    total_macs: int  # conv + linear MACs per sample

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Params and MACs summed per layer kind."""
        out: dict[str, dict[str, int]] = {}
        for layer in self.layers:
            d = out.setdefault(layer.kind, {"layers": 0, "params": 0, "macs": 0})
            d["layers"] += 1
            d["params"] += layer.params
            d["macs"] += layer.macs
        return out

    def as_dict(self) -> dict:
        return {"model": self.model, "input_size": list(self.input_size), "total_params": self.total_params,
                "total_macs": self.total_macs, "layers": [layer.as_dict() for layer in self.layers],
                "by_kind": self.by_kind()}


def conv_kind(C: int, N: int, G: int, kernel, in_hw, out_hw, padding) -> str:
    """The ConvSpec kind rule, for a layer that already ran (any padding mode)."""
    if G == C and C > 1:
        if tuple(kernel) == tuple(in_hw) and tuple(out_hw) == (1, 1) and tuple(padding) == (0, 0):
            return "gdc"
        return "depthwise" if N == C else "depthwise-multiplier"
    if G > 1:
        return "grouped"
    return "pointwise" if tuple(kernel) == (1, 1) else "standard"


def _conv_row(name: str, m: nn.Conv2d, x: torch.Tensor, y: torch.Tensor) -> Layer:
    k, s, d = (as_pair(tuple(v)) for v in (m.kernel_size, m.stride, m.dilation))
    p = as_pair(tuple(m.padding)) if not isinstance(m.padding, str) else (0, 0)
    in_hw, out_hw = tuple(x.shape[-2:]), tuple(y.shape[-2:])
    C, N, G = m.in_channels, m.out_channels, m.groups
    params = m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
    macs = m.weight.numel() * out_hw[0] * out_hw[1]
    return Layer(name, "conv", C, N, G, k, s, p, d, in_hw, out_hw, conv_kind(C, N, G, k, in_hw, out_hw, p), params,
                 macs)


def _linear_row(name: str, m: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> Layer:
    rows = x.numel() // x.shape[-1] // x.shape[0]  # positions per sample (1 for a flat input)
    params = m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
    return Layer(name, "linear", m.in_features, m.out_features, 1, (1, 1), (1, 1), (0, 0), (1, 1), (1, 1), (1, 1),
                 "linear", params, m.weight.numel() * rows)


@torch.no_grad()
def inspect_model(model: nn.Module, input_size: tuple[int, int], name: str = "model", channels: int = 3) -> Report:
    """Run model on one zero image of input_size and record every Conv2d and Linear as it runs.

    >>> r = inspect_model(nn.Sequential(nn.Conv2d(3, 8, 3, groups=1), nn.Flatten(), nn.Linear(8 * 4 * 4, 2)), (6, 6))
    >>> [layer.kind for layer in r.layers], r.total_macs == 8 * 27 * 16 + 256
    (['standard', 'linear'], True)
    """
    rows: list[Layer] = []
    hooks = []
    names = {m: n for n, m in model.named_modules()}

    def hook(m, inputs, output):
        x = inputs[0]
        if isinstance(m, nn.Conv2d):
            rows.append(_conv_row(names[m], m, x, output))
        elif isinstance(m, nn.Linear):
            rows.append(_linear_row(names[m], m, x, output))

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(1, channels, *input_size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return Report(name, tuple(input_size), rows, sum(p.numel() for p in model.parameters()),
                  sum(r.macs for r in rows))


def inspect_zoo(name: str) -> Report:
    """inspect_model of a zoo network at its default input size."""
    from . import zoo

    return inspect_model(zoo.build(name), zoo.INPUT_SIZES[name], name)
