"""How each ONNX operator moves channel dependencies: one step of the channel-flow trace (flow.py).

step(node, ...) gives a node's output Tensors (tensor.py) from its inputs'. Ops that move elements between axes
live in axes.py. An operator this does not know is traced as mixing every channel, and named in assumed.
"""
from __future__ import annotations

import numpy as np

from .axes import matmul, picked, rearranged
from .graph import Graph, attributes
from .tensor import Tensor, Untraceable, all_of, image, tidy, whole

# keep every element's shape: D is kept as it is, whatever its form
CHANNEL_WISE = {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu",
                "Celu", "Gelu", "Erf", "Softplus", "Softsign", "Mish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Floor",
                "Ceil", "Round", "Reciprocal", "Not", "Sign", "Cast", "Identity", "Dropout", "BatchNormalization",
                "Trilu", "IsNaN", "IsInf"}
# act on positions, each channel apart: D of the image is kept, its positions change
POSITIONAL = {"MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "Resize",
              "Upsample", "Pad", "MaxUnpool"}
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "Greater",
               "And", "Or", "Xor", "Mod", "BitShift", "LessOrEqual", "GreaterOrEqual"}
RESHAPES = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand", "Transpose"}
REDUCES = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceL2", "ReduceL1", "ReduceLogSumExp", "Softmax",
           "LogSoftmax"}


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
    if ins[0] is None and op not in ELEMENTWISE and op not in ("Concat", "MatMul"):  # a constant with a traced side
        return [all_of(live, graph.shape(o), width) for o in node.output]
    attrs = attributes(node)

    def attr(name, default=None):
        return attrs.get(name, default)

    if op in ("Conv", "ConvTranspose"):
        return [_conv(op, image(ins[0]), node, graph, attr("group", 1), out_shape, width)]
    if op == "MatMul" and len(node.input) == 2:
        return [matmul(ins, node, graph)]
    if op == "Gemm" and ins[1] is None:
        w = graph.weights.get(node.input[1]) or list(np.shape(_const(graph, node.input[1])))
        features = out_shape[-1] if out_shape and out_shape[-1] else (w[0] if attr("transB", 0) else w[-1])
        return [Tensor(np.broadcast_to(ins[0].everything(), (features, width)).copy(), ())]
    if op in CHANNEL_WISE:  # the same shape out: D as it is
        x = ins[0]
        space = tuple(out_shape[x.first + len(x.chan):]) if out_shape else x.space
        return [Tensor(x.d, space, x.first)] + [None] * (len(node.output) - 1)
    if op in POSITIONAL:
        x = image(ins[0])
        if op == "Pad":
            pads = _const(graph, node.input[1]) if len(node.input) > 1 else np.array(attr("pads", []))
            rank = len(out_shape or [])
            if pads is None or len(pads) != 2 * rank:
                raise Untraceable  # pads the graph leaves unknown, or not two per axis
            if int(pads[1]) or int(pads[1 + rank]):  # padded channels: constants, but not each its own channel
                return [all_of(live, out_shape, width)]
        space = tuple(out_shape[2:]) if out_shape else x.space
        return [Tensor(x.d, space)] + [None] * (len(node.output) - 1)
    if op in ("DepthToSpace", "SpaceToDepth"):
        x, b = image(ins[0]), attr("blocksize")
        d = x.d
        if op == "SpaceToDepth":  # output channel (i·b + j)·C + c is input channel c at offset (i, j)
            out = np.tile(d, (b * b, 1))
        else:  # output channel c gathers its b² input channels: DCR (i·b + j)·C' + c, CRD c·b² + i·b + j
            C = d.shape[0] // (b * b)
            dcr = attr("mode", b"DCR") in (b"DCR", "DCR")
            out = (d.reshape(b * b, C, width) if dcr else d.reshape(C, b * b, width).swapaxes(0, 1)).any(axis=0)
        return [Tensor(out, tuple((out_shape or [0, 0])[2:]))]
    if op in ("InstanceNormalization", "LayerNormalization", "GroupNormalization"):
        return [_normalized(op, ins[0], width, attr)] + [None] * (len(node.output) - 1)
    if op == "LRN":
        size, x = attr("size"), image(ins[0])
        half = (size - 1) // 2
        out = np.zeros_like(x.d)
        for c in range(x.d.shape[0]):
            out[c] = x.d[max(0, c - half):c + size - half].any(axis=0)
        return [Tensor(out, x.space)]
    if op in ELEMENTWISE:
        return [_elementwise(ins, node, graph, live, out_shape, width)]
    if op in RESHAPES:
        return [rearranged(op, ins[0], node, graph, attr)]
    if op in ("Split", "Slice", "Gather", "Concat"):
        return picked(node, op, ins, graph, width, attr) or [all_of(live, out_shape, width)] * len(node.output)
    if op in REDUCES:
        return [_reduced(op, ins[0], node, graph, out_shape, attr)]
    assumed.add(assumed_label(node))
    return [all_of(live, graph.shape(o), width) for o in node.output]


def _conv(op: str, x: Tensor, node, graph: Graph, G, out_shape, width: int) -> Tensor:
    """A conv's output channel n sees every channel of its group's input: group n // (N/G)."""
    w = graph.weights.get(node.input[1]) if len(node.input) > 1 else None
    if w is None:
        return all_of([x], out_shape, width)
    if not isinstance(G, int) or G < 1 or len(w) < 2:
        raise Untraceable  # a conv the report does not list (1-D, 3-D) with a group it cannot run with
    N = w[0] if op == "Conv" else w[1] * G
    d = x.d
    C = d.shape[0]
    if C % G:
        d = np.broadcast_to(x.everything(), (G, width))
        C = G
    per_group = d.reshape(G, C // G, width).any(axis=1)
    return Tensor(np.repeat(per_group, N // G, axis=0), tuple((out_shape or [0, 0])[2:]))


def _elementwise(ins, node, graph: Graph, live, out_shape, width: int) -> Tensor:
    """Each output element sees what the input elements broadcast onto it see."""
    if all(t.first == 1 for t in live):
        target = max(live, key=lambda t: len(t.chan))
        d = np.zeros(target.d.shape, bool)
        try:
            for t in live:
                d |= np.broadcast_to(t.d, target.d.shape) if t.d.ndim == target.d.ndim else np.broadcast_to(
                    t.everything(), target.d.shape)
        except ValueError:
            return _elementwise_whole(ins, node, graph, live, out_shape, width)
        space = tuple(out_shape[1 + len(target.chan):]) if out_shape else target.space
        return Tensor(d, space)
    return _elementwise_whole(ins, node, graph, live, out_shape, width)


def _elementwise_whole(ins, node, graph: Graph, live, out_shape, width: int) -> Tensor:
    if not out_shape or None in out_shape:
        return all_of(live, out_shape, width)
    out = np.zeros(tuple(out_shape) + (width,), bool)
    for t, name in zip(ins, node.input):
        if t is not None:
            try:
                out |= whole(t, graph.shape(name))
            except ValueError:
                raise Untraceable from None  # shapes the graph states that do not broadcast
    return tidy(out, out_shape)


def _reduced(op: str, x: Tensor, node, graph: Graph, out_shape, attr) -> Tensor:
    """A reduction joins what it reduces over; Softmax couples its axis and keeps the shape."""
    rank = x.rank
    if op in ("Softmax", "LogSoftmax"):
        axes = [attr("axis", -1) % rank]
    else:
        values = _const(graph, node.input[1]) if len(node.input) > 1 and node.input[1] else None
        axes = attr("axes") or (list(values) if values is not None else list(range(1, rank)))
        axes = [int(a) % rank for a in axes]
    tracked = tuple(x.axis(a) for a in axes if x.axis(a) is not None)
    d = x.d
    keep = op in ("Softmax", "LogSoftmax") or bool(attr("keepdims", 1))
    if tracked:
        d = d.any(axis=tracked, keepdims=True)
        d = np.broadcast_to(d, x.d.shape) if op in ("Softmax", "LogSoftmax") else d
        if not keep:
            d = d.squeeze(axis=tracked)
    if x.first == 0:
        return tidy(np.ascontiguousarray(d), out_shape)
    space = tuple(out_shape[d.ndim:]) if out_shape else ()
    return Tensor(np.ascontiguousarray(d), space)


def _normalized(op: str, x: Tensor, width: int, attr) -> Tensor:
    """A normalization couples what its statistics are taken over: the positions of each channel (instance), the
    trailing axes from `axis` on (layer), or each group of channels (group)."""
    if op == "GroupNormalization":
        x = image(x)
        G = attr("num_groups")
        d = x.d.reshape(G, -1, width).any(axis=1, keepdims=True)
        return Tensor(np.broadcast_to(d, (G, x.d.shape[0] // G, width)).reshape(x.d.shape).copy(), x.space)
    rank = x.rank
    axes = range(2, rank) if op == "InstanceNormalization" else range(attr("axis", -1) % rank, rank)
    tracked = tuple(x.axis(a) for a in axes if x.axis(a) is not None)
    if not tracked:
        return x
    return Tensor(np.broadcast_to(x.d.any(axis=tracked, keepdims=True), x.d.shape).copy(), x.space, x.first)
