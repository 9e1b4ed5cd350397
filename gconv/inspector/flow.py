"""Channel flow through a real graph: which input channels of an earlier grouped conv each output channel of a later
one can see, traced op by op (convs with their groups, Split/Slice/Gather, Concat, the Reshape–Transpose–Reshape
shuffle, elementwise ops, pooling, Gemm/MatMul), never guessed from layer names.

Each tensor carries a boolean array D of shape (*channel axes, R): D[c, r] is True when channel c of the tensor
can depend on reference channel r. The reference channels are the graph input's and each grouped conv's input
channels, side by side, so one pass traces them all. Spatial axes are not tracked: a channel counts as depending
on another when any of its positions can.

A grouped conv here has 1 < G < C. Depthwise convs (G = C) are channel-wise, like BatchNorm or ReLU: they keep
channels apart by design and never decide whether groups mix, so they are traced through but are not rows.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod

import numpy as np

from ..errors import ONNXError
from ..i18n import say
from .channels import assumed_label, step
from .tensor import MAX_CELLS, Tensor, Untraceable, all_of
from .graph import Graph


@dataclass(frozen=True)
class Mixing:
    """One grouped conv: how much of its reference's input channels its output channels see."""

    name: str  # the conv node's name
    row: int  # its row in the report's layers
    G: int
    reference: str  # the nearest grouped conv upstream, or "" for the graph input
    reference_row: int | None
    channels: int  # the reference's input channels
    share: float  # connected (reference input channel, output channel) pairs ÷ all pairs
    sees: int  # the fewest reference input channels one output channel sees
    # every grouped conv upstream that it reads from: (its name, its row, its input channels, the fewest of them one
    # output channel here sees); how a stack is judged by whether its groups ever mix, not pair by pair
    reach: tuple[tuple[str, int | None, int, int], ...] = ()

    @property
    def mixes(self) -> bool:
        """Whether each output channel sees every input channel of its reference (the pair alone)."""
        return self.sees == self.channels

    def sees_all_of(self, name: str) -> bool:
        return any(ref == name and sees == channels for ref, _, channels, sees in self.reach)


@dataclass(frozen=True)
class Flow:
    """The grouped convs of a network in graph order, and the ops traced as mixing everything (not understood)."""

    rows: list[Mixing]
    assumed: tuple[str, ...]  # "Op (node)" of each node traced as mixing: every output channel sees every input

    def apart(self) -> list[list[Mixing]]:
        """Stacks whose groups never mix: runs of grouped convs, each reading the one before, that do not let an
        output channel see all of the previous grouped conv's input channels, and after which no later grouped conv
        of the same chain does either. A pair that does not mix is no fault when the stack mixes further on: a
        ShuffleNet v1 unit's last grouped conv and the next unit's first keep groups apart, and the shuffle before
        the next grouped conv mixes them."""
        chains, chain = [], []
        for m in self.rows:  # chains: each row reading the one before
            if chain and m.reference == chain[-1].name:
                chain.append(m)
            else:
                chains.append(chain)
                chain = [m]
        chains.append(chain)
        runs = []
        for chain in chains:
            current = []
            for i, m in enumerate(chain):
                never = m.reference and not m.mixes and not any(
                    later.sees_all_of(m.reference) for later in chain[i + 1:])
                if never and (not current or current[-1].name == m.reference):
                    current.append(m)
                else:
                    if current:
                        runs.append(current)
                    current = [m] if never else []
            if current:
                runs.append(current)
        return runs

    def apart_rows(self) -> set[int]:
        """The rows of the grouped convs in a stack that never mixes."""
        return {m.row for run in self.apart() for m in run}


def renamed(flow: Flow, names: list[str]) -> Flow:
    """The flow with each row (and its reference) named as the report's layers are (names[row])."""
    def name(row, default):
        return names[row] if row is not None and 0 <= row < len(names) else default
    rows = [replace(m, name=name(m.row, m.name), reference=name(m.reference_row, m.reference),
                    reach=tuple((name(row, ref), row, c, sees) for ref, row, c, sees in m.reach)) for m in flow.rows]
    return Flow(rows, flow.assumed)


def _grouped(node, graph: Graph) -> int | None:
    """G of a 2-D Conv with 1 < G < C, else None."""
    if node.op_type != "Conv":
        return None
    w = graph.weights.get(node.input[1])
    attrs = {a.name: a.i for a in node.attribute if a.name == "group"}
    G = attrs.get("group", 1)
    if w is None or len(w) != 4:
        return None
    C = w[1] * G
    return G if 1 < G < C else None


def channel_reach(graph: Graph, source: str, target: str) -> np.ndarray:
    """Bool matrix (channels of target, channels of source): True where target channel n can depend on source
    channel c, traced through the graph (source: a 4-D tensor, such as the graph input)."""
    C = (graph.shape(source) or [0, 0])[1]
    tensors, _ = _walk(graph, {source: [(0, C)]}, C, lambda node, tensors: None, keep={target})
    t = tensors.get(target)
    channels = (graph.shape(target) or [0, 1])[1]
    return np.zeros((channels, C), bool) if t is None else t.d.reshape(-1, C)


def _walk(graph: Graph, columns_of: dict, width: int, visit, keep=frozenset()) -> tuple[dict, set]:
    """Every tensor's D, node by node in graph order: reference columns injected where their tensor appears;
    visit(node, tensors) after each node."""
    tensors: dict[str, Tensor] = {}
    assumed: set[str] = set()

    def inject(name: str) -> None:
        for start, C in columns_of.get(name, []):
            t = tensors.get(name)
            if t is None or prod(t.chan) != C:
                shape = graph.shape(name) or [1, C]
                t = Tensor(np.zeros((C, width), bool), tuple(shape[2:]))
                tensors[name] = t
            flat = t.d.reshape(C, width)
            flat[np.arange(C), start + np.arange(C)] = True

    last_use = {name: i for i, node in enumerate(graph.nodes) for name in node.input}
    for name in graph.inputs:
        inject(name)
    for i, node in enumerate(graph.nodes):
        try:
            outs = step(node, graph, tensors, width, assumed)
        except Untraceable:  # said by the rule: this node cannot be decided here, so it is traced as mixing
            assumed.add(assumed_label(node))
            outs = [all_of([t for t in (tensors.get(n) for n in node.input) if t is not None], graph.shape(o), width)
                    for o in node.output]
        for name, t in zip(node.output, outs):
            if t is not None:
                tensors[name] = t
        visit(node, tensors)  # before a later conv's columns start at these outputs: a conv never sees its successor
        for name in node.output:  # an output that depends on nothing traced yet can still be a reference
            inject(name)
        for name in node.input:  # a tensor no later node reads is dropped, so memory follows the live tensors
            if last_use.get(name) == i and name not in graph.outputs and name not in keep:
                tensors.pop(name, None)
    return tensors, assumed


def trace(graph: Graph, report_nodes: list) -> Flow:
    """The mixing of every grouped conv in graph (report_nodes: the report's rows as nodes, for row numbers)."""
    rows_of = {id(n): i for i, n in enumerate(report_nodes)}
    # reference columns: the graph input, then every grouped conv's input
    refs, width = [], 0
    first = graph.inputs[0] if graph.inputs else None
    in_shape = graph.shape(first) if first else None
    if in_shape and len(in_shape) >= 2 and in_shape[1]:
        refs.append(("", first, width, in_shape[1]))
        width += in_shape[1]
    grouped = [(n, _grouped(n, graph)) for n in graph.nodes]
    for n, G in grouped:
        if G:
            C = graph.weights[n.input[1]][1] * G
            refs.append((n.name or n.output[0], n.input[0], width, C))
            width += C
    columns_of = {}
    for name, tensor, start, C in refs:
        columns_of.setdefault(tensor, []).append((start, C))
    width = max(width, 1)
    widest = max([s[1] for s in graph.shapes.values() if s and len(s) > 1 and s[1]] or [1])
    if width * widest > MAX_CELLS:
        raise ONNXError(say("err.flow_too_big", columns=f"{width:,}", channels=f"{widest:,}"))
    rows, last_ref = [], {}
    groups = {id(n): G for n, G in grouped}

    def visit(node, tensors) -> None:
        G = groups.get(id(node))
        if G and node.output[0] in tensors:
            seen = tensors[node.output[0]].d.reshape(-1, width)
            own = node.name or node.output[0]
            # the nearest grouped conv upstream: the last, in graph order, whose input channels reach this output
            upstream = [(name, s, C) for name, _, s, C in refs if name and name != own and seen[:, s:s + C].any()]
            if upstream:
                ref_name, start, C = upstream[-1]
            elif refs and not refs[0][0]:  # no grouped conv upstream: measured against the graph input
                ref_name, start, C = "", refs[0][2], refs[0][3]
            else:
                ref_name, start, C = "", 0, 0
            block = seen[:, start:start + C] if C else np.ones((seen.shape[0], 1), bool)
            reference_row = last_ref.get(ref_name)
            row = rows_of.get(id(node), -1)
            reach = tuple((name, last_ref.get(name), c, int(seen[:, s:s + c].sum(axis=1).min()))
                          for name, s, c in upstream)
            rows.append(Mixing(node.name or node.output[0], row, G, ref_name, reference_row, max(C, 1),
                               float(block.mean()), int(block.sum(axis=1).min()), reach))
            last_ref[node.name or node.output[0]] = row

    _, assumed = _walk(graph, columns_of, width, visit)
    return Flow(rows, tuple(sorted(assumed)))


