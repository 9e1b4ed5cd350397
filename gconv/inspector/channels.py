"""How each ONNX operator moves channel dependencies: one step of the channel-flow trace (flow.py).

A Tensor is D, a boolean array (*channel axes, R): D[c, r] is True when channel c can depend on reference channel
r; positions are not tracked. step(node, ...) gives a node's output Tensors from its inputs'; an operator it does
not know is traced as mixing every channel, and named in assumed.
"""
from __future__ import annotations

from math import prod

import numpy as np

from .graph import Graph, attributes, slice_args, split_sizes

MAX_CELLS = 64_000_000  # booleans one tensor's D may hold when a reshape mixes channels with positions
CHANNEL_WISE = {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu",
                "Celu", "Gelu", "Erf", "Softplus", "Softsign", "Mish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Floor",
                "Ceil", "Round", "Reciprocal", "Not", "Sign", "Cast", "Identity", "Dropout", "BatchNormalization",
                "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
                "GlobalLpPool", "Resize", "Upsample", "Pad", "MaxUnpool", "Trilu", "IsNaN", "IsInf"}
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "Greater",
               "And", "Or", "Xor", "Mod", "BitShift", "LessOrEqual", "GreaterOrEqual"}
RESHAPES = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand"}


class Untraceable(Exception):
    """This node's effect on channels cannot be decided from what the graph states (a shape or an attribute it
    leaves unknown or inconsistent): the flow traces it as mixing every channel and names it. Any other exception
    in a rule is a bug, and surfaces."""


class Tensor:
    """D for one tensor, and the sizes of its position axes (not tracked: D covers its channel axes only)."""

    __slots__ = ("d", "space")

    def __init__(self, d: np.ndarray, space: tuple[int, ...]):
        self.d, self.space = d, space

    @property
    def chan(self) -> tuple[int, ...]:
        return self.d.shape[:-1]

    def everything(self) -> np.ndarray:
        """One row: every reference channel any channel of this tensor sees."""
        return self.d.reshape(-1, self.d.shape[-1]).any(axis=0)


def assumed_label(node) -> str:
    """How an op traced as mixing is named in the report: its type and its node."""
    return f"{node.op_type} ({node.name or node.output[0]})"


def _const(graph: Graph, name: str) -> np.ndarray | None:
    return graph.values.get(name)


def step(node, graph: Graph, tensors: dict, width: int, assumed: set) -> list:
    """The output tensors' D of one node (None for outputs that depend on no reference channel)."""
    op = node.op_type
    ins = [tensors.get(i) if i else None for i in node.input]
    live = [t for t in ins if t is not None]
    if not live:
        return [None] * len(node.output)
    out_shape = graph.shape(node.output[0])
    if ins[0] is None and op not in ELEMENTWISE and op != "Concat":  # a constant input with a traced side input
        return [all_of(live, graph.shape(o), width) for o in node.output]
    attrs = attributes(node)

    def attr(name, default=None):
        return attrs.get(name, default)

    if op in ("Conv", "ConvTranspose"):
        x = ins[0]
        G = attr("group", 1)
        w = graph.weights.get(node.input[1]) if len(node.input) > 1 else None
        if x is None or w is None:
            return [all_of(live, out_shape, width)]
        if not isinstance(G, int) or G < 1 or len(w) < 2:
            raise Untraceable  # a conv the report does not list (1-D, 3-D) with a group it cannot run with
        N = w[0] if op == "Conv" else w[1] * G
        d = x.d.reshape(-1, width)
        C = d.shape[0]
        if C % G:
            d = np.broadcast_to(x.everything(), (G, width)).copy()
            C = G
        per_group = d.reshape(G, C // G, width).any(axis=1)
        return [Tensor(np.repeat(per_group, N // G, axis=0), tuple((out_shape or [0, 0])[2:]))]
    if op in ("Gemm", "MatMul") and len(node.input) > 1 and ins[1] is None:
        w = graph.weights.get(node.input[1]) or list(np.shape(_const(graph, node.input[1])))
        x = ins[0]
        if op == "MatMul" and out_shape and len(out_shape) > 2 and x is not None and x.space:
            return [Tensor(x.d.copy(), tuple(out_shape[1 + len(x.chan):]))]  # contracts a position axis
        features = out_shape[-1] if out_shape and out_shape[-1] else (w[0] if attr("transB", 0) else w[-1])
        return [Tensor(np.broadcast_to(x.everything(), (features, width)).copy(), ())]
    if op in CHANNEL_WISE:
        x = ins[0]
        if op == "Pad":
            pads = _const(graph, node.input[1]) if len(node.input) > 1 else np.array(attr("pads", []))
            rank = len(out_shape or [])
            if pads is None or any(int(pads[a]) or int(pads[a + rank]) for a in range(1, 1 + len(x.chan))):
                return [all_of(live, out_shape, width)]
        space = tuple(out_shape[1 + len(x.chan):]) if out_shape else x.space
        return [Tensor(x.d, space)] + [None] * (len(node.output) - 1)
    if op in ("DepthToSpace", "SpaceToDepth") and len(ins[0].chan) == 1:
        x, b = ins[0], attr("blocksize")
        d = x.d.reshape(-1, width)
        if op == "SpaceToDepth":  # output channel (i·b + j)·C + c is input channel c at offset (i, j)
            out = np.tile(d, (b * b, 1))
        else:  # output channel c gathers its b² input channels: DCR (i·b + j)·C' + c, CRD c·b² + i·b + j
            C = d.shape[0] // (b * b)
            blocks = d.reshape(b * b, C, width) if attr("mode", b"DCR") in (b"DCR", "DCR") else d.reshape(C, b * b,
                                                                                                      width).swapaxes(0, 1)
            out = blocks.any(axis=0)
        return [Tensor(out, tuple((out_shape or [0, 0])[2:]))]
    if op in ("InstanceNormalization", "LayerNormalization", "GroupNormalization"):
        return [_normalized(op, ins[0], width, attr)] + [None] * (len(node.output) - 1)
    if op == "LRN":
        size, x = attr("size"), ins[0]
        d = x.d.reshape(-1, width)
        half = (size - 1) // 2
        out = np.zeros_like(d)
        for c in range(d.shape[0]):
            out[c] = d[max(0, c - half):c + size - half].any(axis=0)
        return [Tensor(out.reshape(x.d.shape), x.space)]
    if op in ELEMENTWISE:
        target = max(live, key=lambda t: len(t.chan))
        try:
            d = np.zeros(target.d.shape, bool)
            for t in live:
                d |= np.broadcast_to(t.d, target.d.shape) if t.d.ndim == target.d.ndim else np.broadcast_to(
                    t.everything(), target.d.shape)
        except ValueError:
            return [all_of(live, out_shape, width)]
        space = tuple(out_shape[1 + len(target.chan):]) if out_shape else target.space
        return [Tensor(d, space)]
    if op in RESHAPES or op == "Transpose":
        x = ins[0]
        if out_shape is None or None in out_shape:
            return [all_of(live, out_shape, width)]
        if op == "Transpose":
            perm = list(attr("perm", list(reversed(range(1 + len(x.chan) + len(x.space))))))
            if sorted(perm) != list(range(1 + len(x.chan) + len(x.space))) or perm[0] != 0:
                raise Untraceable  # not a permutation of the axes this tensor has, or one that moves the batch
            k = len(x.chan)
            if perm[0] == 0 and sorted(perm[1:1 + k]) == list(range(1, 1 + k)):
                axes = [p - 1 for p in perm[1:1 + k]] + [k]
                return [Tensor(np.ascontiguousarray(x.d.transpose(axes)), tuple(out_shape[1 + k:]))]
            return [_full(x, out_shape, width, perm)]
        body = tuple(out_shape[1:])
        if x.space and body[len(body) - len(x.space):] == x.space and prod(body[:len(body) - len(x.space)]) == prod(
                x.chan):
            chan = body[:len(body) - len(x.space)]
            return [Tensor(x.d.reshape(chan + (width,)), x.space)]
        if not x.space and prod(body) == prod(x.chan):
            return [_image(x.d.reshape(body + (width,)), out_shape, width)]
        return [_full(x, out_shape, width)]
    if op in ("Split", "Slice", "Gather", "Concat"):
        return _index(node, op, ins, graph, out_shape, width, attr) or [all_of(live, out_shape, width)] * len(
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
        return [Tensor(np.ascontiguousarray(d), space)]
    assumed.add(assumed_label(node))
    return [all_of(live, graph.shape(o), width) for o in node.output]


def _normalized(op: str, x: Tensor, width: int, attr) -> Tensor:
    """A normalization couples what its statistics are taken over: the positions of each channel (instance), the
    trailing axes from `axis` on (layer), or each group of channels (group)."""
    k = len(x.chan)
    rank = 1 + k + len(x.space)
    if op == "GroupNormalization":
        G = attr("num_groups")
        d = x.d.reshape(G, -1, width).any(axis=1, keepdims=True)
        return Tensor(np.broadcast_to(d, (G, x.d.size // width // G, width)).reshape(x.d.shape).copy(), x.space)
    axes = range(2, rank) if op == "InstanceNormalization" else range(attr("axis", -1) % rank, rank)
    chan_axes = tuple(a - 1 for a in axes if 1 <= a <= k)
    if not chan_axes:
        return Tensor(x.d, x.space)
    return Tensor(np.broadcast_to(x.d.any(axis=chan_axes, keepdims=True), x.d.shape).copy(), x.space)


def all_of(live: list, shape, width: int) -> Tensor:
    """Every channel sees every reference channel any input sees (an op the tracer cannot follow)."""
    row = np.zeros(width, bool)
    for t in live:
        row |= t.everything()
    channels = shape[1] if shape and len(shape) > 1 and shape[1] else 1
    return Tensor(np.broadcast_to(row, (channels, width)).copy(), tuple(shape[2:]) if shape else ())


def _full(x: Tensor, out_shape, width: int, perm=None) -> Tensor:
    """D over every axis (positions too), rearranged as the op does; all positions become channel axes."""
    cells = prod(x.chan) * prod(x.space) * width
    if prod(out_shape[1:]) != prod(x.chan) * prod(x.space):
        raise Untraceable  # the graph states an output size that is not its input's, rearranged
    if cells > MAX_CELLS:
        return all_of([x], out_shape, width)
    expanded = np.broadcast_to(x.d.reshape(x.chan + (1,) * len(x.space) + (width,)), x.chan + x.space + (width,))
    if perm is not None:
        expanded = expanded.transpose([p - 1 for p in perm[1:]] + [len(perm) - 1])
    return _image(np.ascontiguousarray(expanded).reshape(tuple(out_shape[1:]) + (width,)), out_shape, width)


def _image(d: np.ndarray, out_shape, width: int) -> Tensor:
    """D over every axis of a tensor; an image again (N, C, H, W) gets its positions back: a channel sees what
    any of its positions sees."""
    if len(out_shape) == 4:
        return Tensor(d.reshape(out_shape[1], -1, width).any(axis=1), tuple(out_shape[2:]))
    return Tensor(d, ())


def _index(node, op, ins, graph: Graph, out_shape, width: int, attr) -> list | None:
    """Split, Slice, Gather and Concat, on a channel axis (rows of D are picked) or a position axis (D kept)."""
    x = ins[0]
    if op == "Concat":
        shapes = [graph.shape(i) for i in node.input]
        live = [t for t in ins if t is not None]
        k = len(live[0].chan)
        rank = 1 + k + len(live[0].space)
        if not isinstance(attr("axis"), int):
            raise Untraceable
        axis = attr("axis") % rank
        if 1 <= axis <= k and all(s and None not in s for s in shapes):
            parts = [t.d if t is not None else np.zeros(tuple(s[1:1 + k]) + (width,), bool)
                     for t, s in zip(ins, shapes)]
            try:
                return [Tensor(np.concatenate(parts, axis=axis - 1), live[0].space)]
            except ValueError:
                return None
        return [Tensor(np.logical_or.reduce([np.broadcast_to(t.d, live[0].d.shape) for t in live]), tuple(
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
            return [Tensor(x.d, tuple((out_shape or [])[1 + k:]))]
        d = np.take(x.d, idx, axis=axis - 1)
        return [Tensor(d, x.space)]
    if op == "Slice":
        args = slice_args(attributes(node), [None] + [graph.values.get(i) if i else None for i in node.input[1:]],
                          graph.opset)
        if args is None:
            return None
        starts, ends, axes, steps = args
        axes = list(range(len(starts))) if axes is None else [a % rank for a in axes]
        steps = steps or [1] * len(starts)
        index = [slice(None)] * (k + 1)
        for s, e, a, st in zip(starts, ends, axes, steps):
            if a == 0:
                return None
            if a <= k:
                index[a - 1] = slice(int(s), int(e), int(st))
        return [Tensor(np.ascontiguousarray(x.d[tuple(index)]), tuple((out_shape or [])[1 + k:]))]
    if op == "Split":
        axis = attr("axis", 0) % rank
        if axis == 0:
            return None
        if axis > k:
            return [Tensor(x.d, tuple((graph.shape(o) or [])[1 + k:])) for o in node.output]
        sizes = split_sizes(node, attributes(node), [None] + [graph.values.get(i) for i in node.input[1:2] if i],
                            x.d.shape[axis - 1])
        edges = np.cumsum(sizes)[:-1]
        return [Tensor(np.ascontiguousarray(p), x.space) for p in np.split(x.d, edges, axis=axis - 1)]
    return None
