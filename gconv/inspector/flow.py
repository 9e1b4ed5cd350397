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
from .graph import Graph

MAX_CELLS = 64_000_000  # booleans one tensor's D may hold when a reshape mixes channels with positions
CHANNEL_WISE = {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu",
                "Celu", "Gelu", "Erf", "Softplus", "Softsign", "Mish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Floor",
                "Ceil", "Round", "Reciprocal", "Not", "Sign", "Cast", "Identity", "Dropout", "BatchNormalization",
                "InstanceNormalization", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
                "GlobalLpPool", "Resize", "Upsample", "Pad", "MaxUnpool", "Trilu", "IsNaN", "IsInf"}
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "Greater",
               "And", "Or", "Xor", "Mod", "BitShift", "LessOrEqual", "GreaterOrEqual"}
RESHAPES = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand"}


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

    @property
    def mixes(self) -> bool:
        return self.sees == self.channels


@dataclass(frozen=True)
class Flow:
    """The grouped convs of a network in graph order, and the ops traced as mixing everything (not understood)."""

    rows: list[Mixing]
    assumed: tuple[str, ...]  # op types the tracer did not know: every output channel sees every input channel

    def apart(self) -> list[list[Mixing]]:
        """Stacks whose groups never mix: runs of grouped convs, each reading the one before, none of which lets an
        output channel see all of the previous grouped conv's input channels."""
        runs, current = [], []
        for m in self.rows:
            if m.reference and not m.mixes and (not current or current[-1].name == m.reference):
                current.append(m)
            else:
                if current:
                    runs.append(current)
                current = [m] if m.reference and not m.mixes else []
        return runs + ([current] if current else [])


def renamed(flow: Flow, names: list[str]) -> Flow:
    """The flow with each row (and its reference) named as the report's layers are (names[row])."""
    def name(row, default):
        return names[row] if row is not None and 0 <= row < len(names) else default
    rows = [replace(m, name=name(m.row, m.name), reference=name(m.reference_row, m.reference)) for m in flow.rows]
    return Flow(rows, flow.assumed)


class _Tensor:
    """D for one tensor, with how many leading non-batch axes are channels (the rest are positions)."""

    __slots__ = ("d", "space")

    def __init__(self, d: np.ndarray, space: tuple[int, ...]):
        self.d, self.space = d, space

    @property
    def chan(self) -> tuple[int, ...]:
        return self.d.shape[:-1]

    def everything(self) -> np.ndarray:
        """One row: every reference channel any channel of this tensor sees."""
        return self.d.reshape(-1, self.d.shape[-1]).any(axis=0)


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


def _split(shape: list[int], space_rank: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    body = tuple(shape[1:])
    k = max(len(body) - space_rank, 0)
    return body[:k], body[k:]


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
    tensors: dict[str, _Tensor] = {}
    assumed: set[str] = set()

    def inject(name: str) -> None:
        for start, C in columns_of.get(name, []):
            t = tensors.get(name)
            if t is None or prod(t.chan) != C:
                shape = graph.shape(name) or [1, C]
                t = _Tensor(np.zeros((C, width), bool), tuple(shape[2:]))
                tensors[name] = t
            flat = t.d.reshape(C, width)
            flat[np.arange(C), start + np.arange(C)] = True

    last_use = {name: i for i, node in enumerate(graph.nodes) for name in node.input}
    for name in graph.inputs:
        inject(name)
    for i, node in enumerate(graph.nodes):
        try:
            outs = _node(node, graph, tensors, width, assumed)
        except (ValueError, IndexError, TypeError, KeyError):  # a node this tracer cannot read: assume it mixes
            assumed.add(node.op_type)
            outs = [_all([t for t in (tensors.get(n) for n in node.input) if t is not None], graph.shape(o), width)
                    for o in node.output]
        for name, t in zip(node.output, outs):
            if t is not None:
                tensors[name] = t
                inject(name)
        visit(node, tensors)
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
            upstream = [(s, C, r) for r, (_, tensor, s, C) in enumerate(refs)
                        if r > 0 and refs[r][0] != (node.name or node.output[0]) and seen[:, s:s + C].any()]
            ref_name, start, C = "", 0, refs[0][3] if refs and refs[0][0] == "" else 0
            if upstream:
                start, C, r = upstream[-1]
                ref_name = refs[r][0]
            block = seen[:, start:start + C] if C else np.ones((seen.shape[0], 1), bool)
            reference_row = last_ref.get(ref_name)
            row = rows_of.get(id(node), -1)
            rows.append(Mixing(node.name or node.output[0], row, G, ref_name, reference_row, max(C, 1),
                               float(block.mean()), int(block.sum(axis=1).min())))
            last_ref[node.name or node.output[0]] = row

    _, assumed = _walk(graph, columns_of, width, visit)
    return Flow(rows, tuple(sorted(assumed)))


def _const(graph: Graph, name: str) -> np.ndarray | None:
    return graph.values.get(name)


def _node(node, graph: Graph, tensors: dict, width: int, assumed: set) -> list:
    """The output tensors' D of one node (None for outputs that depend on no reference channel)."""
    op = node.op_type
    ins = [tensors.get(i) if i else None for i in node.input]
    live = [t for t in ins if t is not None]
    if not live:
        return [None] * len(node.output)
    out_shape = graph.shape(node.output[0])
    attrs = {a.name: a for a in node.attribute}

    def attr(name, default=None):
        import onnx

        return onnx.helper.get_attribute_value(attrs[name]) if name in attrs else default

    if op in ("Conv", "ConvTranspose"):
        x = ins[0]
        G = attr("group", 1)
        w = graph.weights.get(node.input[1]) if len(node.input) > 1 else None
        if x is None or w is None:
            return [_all(live, out_shape, width)]
        N = w[0] if op == "Conv" else w[1] * G
        d = x.d.reshape(-1, width)
        C = d.shape[0]
        if C % G:
            d = np.broadcast_to(x.everything(), (G, width)).copy()
            C = G
        per_group = d.reshape(G, C // G, width).any(axis=1)
        return [_Tensor(np.repeat(per_group, N // G, axis=0), tuple((out_shape or [0, 0])[2:]))]
    if op in ("Gemm", "MatMul") and len(node.input) > 1 and ins[1] is None:
        w = graph.weights.get(node.input[1]) or list(np.shape(_const(graph, node.input[1])))
        x = ins[0]
        if op == "MatMul" and out_shape and len(out_shape) > 2 and x is not None and x.space:
            return [_Tensor(x.d.copy(), tuple(out_shape[1 + len(x.chan):]))]  # contracts a position axis
        features = out_shape[-1] if out_shape and out_shape[-1] else (w[0] if attr("transB", 0) else w[-1])
        return [_Tensor(np.broadcast_to(x.everything(), (features, width)).copy(), ())]
    if op in CHANNEL_WISE:
        x = ins[0]
        if op == "Pad":
            pads = _const(graph, node.input[1]) if len(node.input) > 1 else np.array(attr("pads", []))
            rank = len(out_shape or [])
            if pads is None or any(int(pads[a]) or int(pads[a + rank]) for a in range(1, 1 + len(x.chan))):
                return [_all(live, out_shape, width)]
        space = tuple(out_shape[1 + len(x.chan):]) if out_shape else x.space
        return [_Tensor(x.d, space)] + [None] * (len(node.output) - 1)
    if op == "LRN":
        size, x = attr("size"), ins[0]
        d = x.d.reshape(-1, width)
        half = (size - 1) // 2
        out = np.zeros_like(d)
        for c in range(d.shape[0]):
            out[c] = d[max(0, c - half):c + size - half].any(axis=0)
        return [_Tensor(out.reshape(x.d.shape), x.space)]
    if op in ELEMENTWISE:
        target = max(live, key=lambda t: len(t.chan))
        try:
            d = np.zeros(target.d.shape, bool)
            for t in live:
                d |= np.broadcast_to(t.d, target.d.shape) if t.d.ndim == target.d.ndim else np.broadcast_to(
                    t.everything(), target.d.shape)
        except ValueError:
            return [_all(live, out_shape, width)]
        space = tuple(out_shape[1 + len(target.chan):]) if out_shape else target.space
        return [_Tensor(d, space)]
    if op in RESHAPES or op == "Transpose":
        x = ins[0]
        if out_shape is None or None in out_shape:
            return [_all(live, out_shape, width)]
        if op == "Transpose":
            perm = list(attr("perm", list(reversed(range(1 + len(x.chan) + len(x.space))))))
            k = len(x.chan)
            if perm[0] == 0 and sorted(perm[1:1 + k]) == list(range(1, 1 + k)):
                axes = [p - 1 for p in perm[1:1 + k]] + [k]
                return [_Tensor(np.ascontiguousarray(x.d.transpose(axes)), tuple(out_shape[1 + k:]))]
            return [_full(x, out_shape, width, perm)]
        body = tuple(out_shape[1:])
        if x.space and body[len(body) - len(x.space):] == x.space and prod(body[:len(body) - len(x.space)]) == prod(
                x.chan):
            chan = body[:len(body) - len(x.space)]
            return [_Tensor(x.d.reshape(chan + (width,)), x.space)]
        if not x.space and prod(body) == prod(x.chan):
            return [_Tensor(x.d.reshape(body + (width,)), ())]
        return [_full(x, out_shape, width)]
    if op in ("Split", "Slice", "Gather", "Concat"):
        return _index(node, op, ins, graph, out_shape, width, attr) or [_all(live, out_shape, width)] * len(
            node.output)
    if op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceL2", "ReduceL1", "ReduceLogSumExp",
              "Softmax", "LogSoftmax"):
        x = ins[0]
        rank = 1 + len(x.chan) + len(x.space)
        if op in ("Softmax", "LogSoftmax"):
            axes = [attr("axis", -1) % rank]
        else:
            axes = attr("axes") or (list(_const(graph, node.input[1])) if len(node.input) > 1 and _const(
                graph, node.input[1]) is not None else list(range(1, rank)))
            axes = [int(a) % rank for a in axes]
        chan_axes = [a - 1 for a in axes if 1 <= a <= len(x.chan)]
        d = x.d
        if chan_axes:
            d = np.broadcast_to(d.any(axis=tuple(chan_axes), keepdims=True), d.shape) if op in (
                "Softmax", "LogSoftmax") else d.any(axis=tuple(chan_axes), keepdims=bool(attr("keepdims", 1)))
        space = tuple(out_shape[1 + d.ndim - 1:]) if out_shape else ()
        return [_Tensor(np.ascontiguousarray(d), space)]
    assumed.add(op)
    return [_all(live, graph.shape(o), width) for o in node.output]


def _all(live: list, shape, width: int) -> _Tensor:
    """Every channel sees every reference channel any input sees (an op the tracer cannot follow)."""
    row = np.zeros(width, bool)
    for t in live:
        row |= t.everything()
    channels = shape[1] if shape and len(shape) > 1 and shape[1] else 1
    return _Tensor(np.broadcast_to(row, (channels, width)).copy(), tuple(shape[2:]) if shape else ())


def _full(x: _Tensor, out_shape, width: int, perm=None) -> _Tensor:
    """D over every axis (positions too), rearranged as the op does; all positions become channel axes."""
    cells = prod(x.chan) * prod(x.space) * width
    if cells > MAX_CELLS:
        return _all([x], out_shape, width)
    expanded = np.broadcast_to(x.d.reshape(x.chan + (1,) * len(x.space) + (width,)), x.chan + x.space + (width,))
    if perm is not None:
        expanded = expanded.transpose([p - 1 for p in perm[1:]] + [len(perm) - 1])
    return _Tensor(np.ascontiguousarray(expanded).reshape(tuple(out_shape[1:]) + (width,)), ())


def _index(node, op, ins, graph: Graph, out_shape, width: int, attr) -> list | None:
    """Split, Slice, Gather and Concat, on a channel axis (rows of D are picked) or a position axis (D kept)."""
    x = ins[0]
    if op == "Concat":
        shapes = [graph.shape(i) for i in node.input]
        live = [t for t in ins if t is not None]
        k = len(live[0].chan)
        rank = 1 + k + len(live[0].space)
        axis = attr("axis") % rank
        if 1 <= axis <= k and all(s and None not in s for s in shapes):
            parts = [t.d if t is not None else np.zeros(tuple(s[1:1 + k]) + (width,), bool)
                     for t, s in zip(ins, shapes)]
            try:
                return [_Tensor(np.concatenate(parts, axis=axis - 1), live[0].space)]
            except ValueError:
                return None
        return [_Tensor(np.logical_or.reduce([np.broadcast_to(t.d, live[0].d.shape) for t in live]), tuple(
            (out_shape or [])[1 + k:]))] if all(t.d.shape == live[0].d.shape for t in live) else None
    if x is None:
        return None
    k = len(x.chan)
    rank = 1 + k + len(x.space)
    if op == "Gather":
        idx = graph.values.get(node.input[1])
        axis = attr("axis", 0) % rank
        if idx is None or axis == 0:
            return None
        if axis > k:
            return [_Tensor(x.d, tuple((out_shape or [])[1 + k:]))]
        d = np.take(x.d, idx, axis=axis - 1)
        return [_Tensor(d, x.space)]
    if op == "Slice":
        vals = [graph.values.get(i) if i else None for i in node.input[1:]]
        if graph.opset < 10:
            starts, ends, axes, steps = attr("starts"), attr("ends"), attr("axes"), None
        else:
            if vals[0] is None or vals[1] is None:
                return None
            starts, ends = vals[0].tolist(), vals[1].tolist()
            axes = vals[2].tolist() if len(vals) > 2 and vals[2] is not None else None
            steps = vals[3].tolist() if len(vals) > 3 and vals[3] is not None else None
        axes = list(range(len(starts))) if axes is None else [a % rank for a in axes]
        steps = steps or [1] * len(starts)
        index = [slice(None)] * (k + 1)
        for s, e, a, st in zip(starts, ends, axes, steps):
            if a == 0:
                return None
            if a <= k:
                index[a - 1] = slice(int(s), int(e), int(st))
        return [_Tensor(np.ascontiguousarray(x.d[tuple(index)]), tuple((out_shape or [])[1 + k:]))]
    if op == "Split":
        axis = attr("axis", 0) % rank
        if axis == 0:
            return None
        if axis > k:
            return [_Tensor(x.d, tuple((graph.shape(o) or [])[1 + k:])) for o in node.output]
        sizes = graph.values.get(node.input[1]) if len(node.input) > 1 and node.input[1] else attr("split")
        length = x.d.shape[axis - 1]
        if sizes is None:
            parts = attr("num_outputs", len(node.output))
            size = -(-length // parts)
            sizes = [min(size, length - i * size) for i in range(parts)]
        edges = np.cumsum([int(s) for s in sizes])[:-1]
        return [_Tensor(np.ascontiguousarray(p), x.space) for p in np.split(x.d, edges, axis=axis - 1)]
    return None
