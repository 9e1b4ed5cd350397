"""One pipeline from a network to what the inspector says of it: report, channel flow, findings (and reachability
between any two layers), for the CLI, the page and a notebook alike.

In a notebook, in torchinfo's conventions (input_size includes the batch):

    >>> import torch.nn as nn, gconv
    >>> net = nn.Sequential(nn.Conv2d(8, 8, 1, groups=4), nn.Conv2d(8, 8, 1, groups=4))
    >>> s = gconv.summary(net, input_size=(1, 8, 4, 4))
    >>> [f.topic for f in s.findings][:1], s.reach("0", "1").sum(axis=1).tolist()
    (['no-shuffle'], [2, 2, 2, 2, 2, 2, 2, 2])
    >>> s.layer("1").G
    4
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from ..errors import GConvError
from ..i18n import say
from ..spec import ConvSpec
from ..text import outside
from .diagnose import Finding, diagnose
from .report import Report


@dataclass
class Summary:
    """A network as the inspector sees it: its layers, the channel flow (or why it is missing) and the findings."""

    report: Report
    flow: object | None  # flow.Flow, or None with flow_error saying why
    flow_error: GConvError | None = None
    graph: object | None = field(default=None, repr=False)  # graph.Graph, when this process read it (for reach)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self):
        if not self.findings:
            self.findings = diagnose(self.report, self.flow)

    def row(self, name: str) -> int:
        """The row of the layer named name; GConvError naming some valid ones."""
        names = [layer.name for layer in self.report.layers]
        if name not in names:
            some = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
            raise GConvError(say("err.no_layer", name=outside(name, quote=True), valid=outside(some, 400)))
        return names.index(name)

    def layer(self, name: str) -> ConvSpec:
        """The ConvSpec of the layer named name (a linear layer is its 1×1 conv)."""
        return self.report.layers[self.row(name)].spec

    def reach(self, a: str, b: str) -> np.ndarray:
        """Bool (output channels of layer b × input channels of layer a): True where an output channel of b can
        depend on an input channel of a, traced through the real graph by the flow's tracer."""
        from .flow import channel_reach
        from .onnx_reader import report_nodes

        if self.graph is None:
            raise GConvError(say("err.no_graph_reach"))
        nodes = report_nodes(self.graph)
        ra, rb = self.row(a), self.row(b)
        return channel_reach(self.graph, nodes[ra].input[0], nodes[rb].output[0])

    def reach_figure(self, a: str, b: str):
        """reach(a, b) drawn: groups show as blocks, a shuffle as its permutation (a plotly Figure)."""
        from .plots import reach_figure

        return reach_figure(self.reach(a, b), a, b)

    def as_dict(self) -> dict:
        """The JSON the CLI prints: the report, the flow (or its error) and the findings."""
        out = self.report.as_dict()
        flow = self.flow
        if self.flow_error is not None:
            out["channel_flow_error"] = str(self.flow_error)
        out["diagnostics"] = [{"topic": f.topic, "rows": list(f.rows), "message": f.message} for f in self.findings]
        apart = flow.apart_rows() if flow else set()  # "mixes": the stack's groups mix before it ends
        out["channel_flow"] = [{"layer": m.name, "row": m.row, "G": m.G, "reference": m.reference or "input",
                                "reference_row": m.reference_row, "channels": m.channels, "share": m.share,
                                "sees": m.sees, "mixes": m.row not in apart} for m in (flow.rows if flow else [])]
        out["channel_flow_assumed"] = list(flow.assumed) if flow else []
        return out

    def to_pandas(self):
        """One row per conv or linear layer."""
        import pandas as pd

        return pd.DataFrame([{"layer": layer.name, "kind": layer.kind.value, "C": layer.C, "N": layer.N,
                              "G": layer.G, "kernel": tuple(layer.kernel), "stride": tuple(layer.stride),
                              "padding": tuple(layer.padding), "in": tuple(layer.in_hw), "out": tuple(layer.out_hw),
                              "params": layer.params, "MACs": layer.macs} for layer in self.report.layers])

    def __str__(self) -> str:
        return table_text(self.as_dict())

    def _repr_html_(self) -> str:
        d = self.as_dict()
        e = html.escape  # names are the network's: text, never markup
        head = "".join(f"<th>{h}</th>" for h in ("#", "layer", "kind", "C", "N", "G", "kernel", "in", "out",
                                                    "params", "MACs"))
        rows = "".join(
            f"<tr><td>{i}</td><td>{e(r['name'])}</td><td>{e(r['kind'])}</td><td>{r['C']}</td><td>{r['N']}</td>"
            f"<td>{r['G']}</td><td>{r['kernel'][0]}×{r['kernel'][1]}</td><td>{r['in_hw'][0]}×{r['in_hw'][1]}</td>"
            f"<td>{r['out_hw'][0]}×{r['out_hw'][1]}</td><td>{r['params']:,}</td><td>{r['macs']:,}</td></tr>"
            for i, r in enumerate(d["layers"]))
        findings = "".join(f"<li>{e(f['message'])}</li>" for f in d["diagnostics"])
        return (f"<div><b>{e(d['model'])}</b> at {d['input_size'][0]}×{d['input_size'][1]}: "
                f"{d['total_params']:,} params, {d['total_macs']:,} MACs per sample"
                f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><ul>{findings}</ul></div>")


def table_text(report: dict) -> str:
    """The inspector's table as text (the CLI prints it; a Summary is it)."""
    lines = [f"{report['model']} at {report['input_size'][0]}×{report['input_size'][1]}",
             f"{'#':>3} {'layer':<28} {'kind':<20} {'C':>5} {'N':>5} {'G':>4} {'kernel':>7} {'stride':>6} "
             f"{'pad':>5} {'in':>9} {'out':>9} {'params':>12} {'MACs':>15}"]
    for i, r in enumerate(report["layers"]):
        k, s, p = r["kernel"], r["stride"], r["padding"]
        lines.append(f"{i:>3} {r['name'][:28]:<28} {r['kind']:<20} {r['C']:>5} {r['N']:>5} {r['G']:>4} "
                     f"{k[0]}×{k[1]:<5} {s[0]}×{s[1]:<4} {p[0]}×{p[1]:<3} {r['in_hw'][0]:>4}×{r['in_hw'][1]:<4} "
                     f"{r['out_hw'][0]:>4}×{r['out_hw'][1]:<4} {r['params']:>12,} {r['macs']:>15,}")
    lines.append(f"total params {report['total_params']:,} (numel of every parameter)")
    lines.append(f"total MACs   {report['total_macs']:,} per sample (conv and linear layers)")
    if report.get("skipped"):
        lines.append(f"left out (not 2-D convs, not in the totals): {', '.join(report['skipped'])}")
    if report.get("channel_flow_error"):
        lines.append(f"channel flow not traced: {report['channel_flow_error']}")
    elif report.get("channel_flow"):
        lines.append("channel flow (traced through the graph): share of (input channel of the previous grouped conv, "
                     "output channel) pairs connected")
        for m in report["channel_flow"]:
            lines.append(f"{m['row']:>3} {m['layer'][:40]:<40} G={m['G']:<4} {m['share']:>6.0%} of "
                         f"{m['reference'][:40]}: each output sees ≥ {m['sees']} of {m['channels']}"
                         + ("" if m["mixes"] else "  (groups apart)"))
    if report.get("channel_flow_assumed"):
        lines.append(f"traced as mixing every channel: {', '.join(report['channel_flow_assumed'])}")
    lines += [f"- {f['message']}" for f in report["diagnostics"]]
    return "\n".join(lines)


def of_graph(graph, name: str = "model.onnx", report: Report | None = None, names: list[str] | None = None) -> Summary:
    """The summary of a graph read in this process (a trusted file, or a model exported here)."""
    from .flow import renamed, trace
    from .onnx_reader import read_onnx, report_nodes

    report = report if report is not None else read_onnx(b"", name, graph)
    try:
        flow = trace(graph, report_nodes(graph))
        if names is not None:
            flow = renamed(flow, names)
        return Summary(report, flow, graph=graph)
    except GConvError as e:  # the layers still show; the flow says why it is missing
        return Summary(report, None, e, graph=graph)


def of_file(path: str, limits=None) -> Summary:
    """The summary of an .onnx file, read in the bounded reader process (limits: the user's own machine's,
    by default: any size)."""
    import os

    from .bounded import local_limits, reader

    limits = limits or local_limits(os.path.getsize(path))
    return of_reader(*reader(limits).read(str(path), os.path.basename(path)))


def of_reader(report: Report, flow) -> Summary:
    """The summary of what the bounded reader sends back: the report, and the flow or the GConvError saying why it
    is missing (the CLI's files and the page's uploads alike)."""
    if isinstance(flow, GConvError):
        return Summary(report, None, flow)
    return Summary(report, flow)


def of_zoo(name: str) -> Summary:
    """The summary of a zoo network at its default input size."""
    from . import zoo

    return summary(zoo.build(name), input_size=(1, 3, *zoo.INPUT_SIZES[name]), name=name)


def summary(model, input_size=None, input_data=None, device=None, dtype=None, name: str = "model") -> Summary:
    """What the inspector says of a torch model, in one call: its conv and linear layers as they run on a dummy
    input (input_size, batch included, as torchinfo takes it; or input_data, a tensor or a tuple of them), the
    channel flow traced through its ONNX export, and the findings. The dummy input follows the model's device and
    dtype unless device= or dtype= say otherwise; device="meta" counts a model of any size without allocating it
    (the flow then says why it is missing)."""
    import torch

    from .hooks import inspect_and_export, inspect_inputs
    from .onnx_reader import read_graph

    first = next(iter(model.parameters()), None)
    device = device or (first.device if first is not None else "cpu")
    dtype = dtype or (first.dtype if first is not None and first.is_floating_point() else torch.float32)
    if input_data is None:
        if input_size is None or len(input_size) != 4 or not all(isinstance(d, int) and d > 0 for d in input_size):
            raise GConvError(say("err.input_size", got=outside(repr(input_size), 60)))
        input_data = torch.zeros(*input_size, device=device, dtype=dtype)
    inputs = input_data if isinstance(input_data, tuple) else (input_data,)
    if str(inputs[0].device) == "meta":  # counted without allocating anything; a graph needs real tensors
        return Summary(inspect_inputs(model, inputs, name), None, GConvError(say("err.flow_meta")))
    report, data = inspect_and_export(model, inputs, name)
    if isinstance(data, GConvError):
        return Summary(report, None, data)
    graph = read_graph(data, 2**62, inputs=len(inputs))
    return of_graph(graph, name, report, [layer.name for layer in report.layers])
