"""A network's conv and linear layers as one report: shapes, groups, kind, params, MACs, and totals.

The data model only (no torch): hooks.py fills it from a running torch model, onnx_reader.py from a graph.
Each layer's kind, params and MACs come from its ConvSpec through gconv.spec and gconv.cost.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import cost
from ..spec import ConvSpec, Kind, Pair, out_size


@dataclass(frozen=True)
class Layer:
    """One conv or linear layer as it ran (padding < 0: not known, as ONNX SAME_* padding)."""

    name: str
    op: str  # "conv" or "linear"
    C: int
    N: int
    G: int
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    in_hw: Pair
    out_hw: Pair  # observed, so MACs stay exact whatever the padding rule
    bias: bool
    kind: Kind
    params: int  # this layer's weight + bias
    macs: int

    @property
    def spec(self) -> ConvSpec:
        """The layer as a ConvSpec (a linear layer is a 1×1 conv over its rows)."""
        return layer_spec(self.C, self.N, self.G, self.kernel, self.stride, self.padding, self.dilation, self.in_hw,
                          self.bias)

    def as_dict(self) -> dict:
        return {**asdict(self), "kind": self.kind.value}


def layer_spec(C: int, N: int, G: int, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, in_hw: Pair,
               bias: bool) -> ConvSpec:
    """A layer's ConvSpec. An unknown padding (< 0), or one that leaves no output, becomes the SAME-like
    ⌈d·(K−1)/2⌉ so the spec is valid: weights, groups and kind do not depend on it; MACs use the observed size."""
    pad = tuple(p if p >= 0 and out_size(n, k, s, p, d) >= 1 else -(-d * (k - 1) // 2)
                for n, k, s, p, d in zip(in_hw, kernel, stride, padding, dilation))
    return ConvSpec(C=C, N=N, G=G, K=tuple(kernel), H=in_hw[0], W=in_hw[1], stride=tuple(stride), padding=pad,
                    dilation=tuple(dilation), bias=bool(bias))


def conv_layer(name: str, C: int, N: int, G: int, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
               in_hw: Pair, out_hw: Pair, bias: bool) -> Layer:
    """A conv layer with its kind, params and MACs from the cost model.

    >>> layer = conv_layer("gdc", 512, 512, 512, (7, 7), (1, 1), (0, 0), (1, 1), (7, 7), (1, 1), False)
    >>> layer.kind.value, layer.params, layer.macs
    ('gdc', 25088, 25088)
    """
    spec = layer_spec(C, N, G, kernel, stride, padding, dilation, in_hw, bias)
    return Layer(name, "conv", C, N, G, tuple(kernel), tuple(stride), tuple(padding), tuple(dilation), tuple(in_hw),
                 tuple(out_hw), bool(bias), spec.kind, cost.params(spec), cost.macs(spec, out_hw))


def linear_layer(name: str, in_features: int, out_features: int, rows: int, bias: bool) -> Layer:
    """A linear layer on `rows` positions per sample (1 for a flat input), counted as a 1×1 conv over them.

    >>> linear_layer("fc", 9216, 4096, 1, True).params
    37752832
    """
    spec = ConvSpec(C=in_features, N=out_features, G=1, K=1, H=rows, W=1, bias=bias)
    return Layer(name, "linear", in_features, out_features, 1, (1, 1), (1, 1), (0, 0), (1, 1), (rows, 1), (rows, 1),
                 bool(bias), Kind.LINEAR, cost.params(spec), cost.macs(spec))


@dataclass
class Report:
    """Layers in execution order, and the model's totals."""

    model: str
    input_size: Pair
    layers: list[Layer]
    total_params: int  # numel of all parameters
    total_macs: int  # conv + linear MACs per sample
    skipped: tuple[str, ...] = ()  # convs that are not 2-D (1-D, 3-D), by name: not rows, not in the totals

    def by_kind(self) -> dict[Kind, dict[str, int]]:
        """Layers, params and MACs summed per layer kind."""
        out: dict[Kind, dict[str, int]] = {}
        for layer in self.layers:
            d = out.setdefault(layer.kind, {"layers": 0, "params": 0, "macs": 0})
            d["layers"] += 1
            d["params"] += layer.params
            d["macs"] += layer.macs
        return out

    def as_dict(self) -> dict:
        return {"model": self.model, "input_size": list(self.input_size), "total_params": self.total_params,
                "total_macs": self.total_macs, "layers": [layer.as_dict() for layer in self.layers],
                "by_kind": {k.value: v for k, v in self.by_kind().items()}, "skipped": list(self.skipped)}
