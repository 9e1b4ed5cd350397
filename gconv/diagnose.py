"""Diagnostics of a network's grouping: groups that never mix, GDCs that fix the input size, G worth changing."""
from __future__ import annotations

from dataclasses import dataclass

from .inspect import Layer, Report
from .spec import ConvSpec, valid_groups


@dataclass(frozen=True)
class Finding:
    """One diagnostic: what, where (row indices into the report's layers), and why it matters."""

    topic: str  # "no-shuffle", "fixed-input", "groups"
    rows: tuple[int, ...]
    message: str


def to_spec(layer: Layer) -> ConvSpec:
    """The layer as a ConvSpec (a linear layer is a 1×1 conv on a 1×1 map)."""
    if layer.op == "linear":
        return ConvSpec(C=layer.C, N=layer.N, G=1, K=1, H=1, W=1)
    pad = tuple(max(p, 0) for p in layer.padding)
    return ConvSpec(C=layer.C, N=layer.N, G=layer.G, K=layer.kernel, H=layer.in_hw[0], W=layer.in_hw[1],
                    stride=layer.stride, padding=pad, dilation=layer.dilation)


def no_shuffle(report: Report) -> list[Finding]:
    """Grouped convs (1 < G < C) that feed the next grouped conv directly: without a channel shuffle in
    between, each group of the second only ever sees one group's worth of the first's inputs."""
    out = []
    layers = report.layers
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        grouped = a.op == b.op == "conv" and 1 < a.G < a.C and 1 < b.G < b.C
        if grouped and b.C == a.N and b.in_hw == a.out_hw:
            out.append(Finding("no-shuffle", (i, i + 1), (
                f"{a.name} (G={a.G}) feeds {b.name} (G={b.G}) with no conv between: unless a channel shuffle sits "
                f"there, information never crosses groups (each output of {b.name} depends on "
                f"{max(a.C // a.G, 1) if a.G == b.G else 'a subset of the'} input channels of {a.name})")))
    return out


def fixed_input(report: Report) -> list[Finding]:
    """GDC layers: their kernel equals the map they see, so the network only accepts one input size."""
    return [Finding("fixed-input", (i,), (
        f"{layer.name} is a global depthwise conv with a {layer.kernel[0]}×{layer.kernel[1]} kernel over a "
        f"{layer.in_hw[0]}×{layer.in_hw[1]} map: the network accepts only {report.input_size[0]}×"
        f"{report.input_size[1]} inputs (resize or align inputs to that size, as face models do)"))
        for i, layer in enumerate(report.layers) if layer.kind == "gdc"]


def group_changes(report: Report, top: int = 8) -> list[Finding]:
    """For grouped and standard convs: the next valid G up and down and what it does to the weights."""
    options = []
    for i, layer in enumerate(report.layers):
        if layer.op != "conv" or layer.kind in ("depthwise", "depthwise-multiplier", "gdc"):
            continue
        groups = valid_groups(layer.C, layer.N)
        here = groups.index(layer.G)
        weights = layer.N * (layer.C // layer.G) * layer.kernel[0] * layer.kernel[1]
        for j in (here - 1, here + 1):
            if 0 <= j < len(groups):
                g = groups[j]
                new = layer.N * (layer.C // g) * layer.kernel[0] * layer.kernel[1]
                options.append((abs(new - weights), i, layer, g, new - weights, weights))
    options.sort(key=lambda o: -o[0])
    out = []
    for _, i, layer, g, delta, weights in options[:top]:
        verb = "saves" if delta < 0 else "adds"
        out.append(Finding("groups", (i,), (
            f"{layer.name}: G={layer.G} → {g} {verb} {abs(delta):,} weights ({delta / weights:+.0%}), and the same "
            f"share of its MACs" + (" (it becomes depthwise)" if g == layer.C and layer.N == layer.C else ""))))
    return out


def diagnose(report: Report) -> list[Finding]:
    """All findings, in the order: groups that never mix, fixed input sizes, G worth changing."""
    return no_shuffle(report) + fixed_input(report) + group_changes(report)
