"""Diagnostics of a network's grouping: groups that never mix, GDCs that fix the input size, G worth changing."""
from __future__ import annotations

from dataclasses import dataclass

from .. import cost
from ..connectivity import reachability
from ..i18n import Joined, Said, say
from ..spec import Kind, valid_groups
from ..text import outside
from .report import Report


@dataclass(frozen=True)
class Finding:
    """One diagnostic: what, where (row indices into the report's layers), and why it matters."""

    topic: str  # "no-shuffle", "fixed-input", "healthy", "groups"
    rows: tuple[int, ...]
    said: Said  # the layer names in it are outside text (a file's node names): a page escapes them
    short: Said | None = None  # the same in a few words, for a list folded into one line

    @property
    def message(self) -> str:
        """The finding in this run's language, as plain text."""
        return str(self.said)


def no_shuffle(report: Report) -> list[Finding]:
    """Grouped convs (1 < G < C) that feed the next grouped conv directly: without a channel shuffle in
    between, each group of the second only ever sees one group's worth of the first's inputs. A guess from the
    layer list, for a model given without its graph; never_mixing traces the graph instead."""
    out = []
    layers = report.layers
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        grouped = a.kind is Kind.GROUPED and b.kind is Kind.GROUPED
        if grouped and b.C == a.N and b.in_hw == a.out_hw:
            seen = int(reachability([a.spec, b.spec]).sum(axis=1).max())
            out.append(Finding("no-shuffle", (i, i + 1), say("diag.no_shuffle", a=outside(a.name), ga=a.G,
                                                             b=outside(b.name), gb=b.G, seen=seen, C=a.C)))
    return out


def fixed_input(report: Report) -> list[Finding]:
    """GDC layers: their kernel equals the map they see, so the network only accepts one input size."""
    return [Finding("fixed-input", (i,), say("diag.fixed_input", name=outside(layer.name), kh=layer.kernel[0],
                                            kw=layer.kernel[1], h=layer.in_hw[0], w=layer.in_hw[1],
                                            H=report.input_size[0],
                                            W=report.input_size[1]))
            for i, layer in enumerate(report.layers) if layer.kind is Kind.GDC]


def group_changes(report: Report, top: int = 8) -> list[Finding]:
    """For grouped and standard convs: the next valid G up and down and what it does to the weights."""
    options = []
    for i, layer in enumerate(report.layers):
        if layer.op != "conv" or layer.kind.is_depthwise:
            continue
        spec = layer.spec
        groups = valid_groups(layer.C, layer.N)
        here = groups.index(layer.G)
        weights = cost.weight_params(spec)
        for j in (here - 1, here + 1):
            if 0 <= j < len(groups):
                g = groups[j]
                new = cost.weight_params(spec.replace(G=g))
                options.append((abs(new - weights), i, layer, g, new - weights, weights))
    options.sort(key=lambda o: -o[0])
    out = []
    for _, i, layer, g, delta, weights in options[:top]:
        key = "diag.group_saves" if delta < 0 else "diag.group_adds"
        depthwise = say("diag.becomes_depthwise") if layer.spec.replace(G=g).kind.is_depthwise else ""
        out.append(Finding("groups", (i,), say(key, name=outside(layer.name), G=layer.G, g=g,
                                               count=f"{abs(delta):,}", share=f"{delta / weights:+.0%}",
                                               depthwise=depthwise),
                           say("diag.group_short", name=outside(layer.name), G=layer.G, g=g, delta=f"{delta:+,}",
                               share=f"{delta / weights:+.0%}")))
    return out


def never_mixing(flow) -> list[Finding]:
    """Stacks of grouped convs whose groups never mix, as traced through the graph (flow.Flow.apart)."""
    out = []
    for run in flow.apart():
        rows = tuple(r for r in [run[0].reference_row, *(m.row for m in run)] if r is not None and r >= 0)
        out.append(Finding("no-shuffle", rows, say("diag.flow_apart", first=outside(run[0].reference),
                                                   last=outside(run[-1].name),
                                                   count=len(run) + 1, sees=min(m.sees for m in run),
                                                   C=run[0].channels)))
    return out


def folded(changes: list[Finding]) -> list[Finding]:
    """The G-worth-changing suggestions as one finding, a line, so that they never bury a finding that matters."""
    if not changes:
        return []
    rows = tuple(sorted({r for f in changes for r in f.rows}))
    return [Finding("groups", rows, say("diag.groups_folded", items=Joined(say("finding.join"),
                                                                          tuple(f.short or f.said for f in changes))))]


def diagnose(report: Report, flow=None) -> list[Finding]:
    """All findings, consequence first: groups that never mix, then a GDC that fixes the input size, then the G
    worth changing, folded into one line; a network with none of the first two says so. With the graph's channel
    flow (flow.trace), groups that never mix are traced; without it, guessed from adjacent layers."""
    mixing = never_mixing(flow) if flow is not None else no_shuffle(report)
    serious = mixing + fixed_input(report)
    healthy = [] if serious else [Finding("healthy", (), say("diag.healthy"))]
    return serious + healthy + folded(group_changes(report))
