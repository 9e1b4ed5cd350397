"""A graph is refused when it could never run: a cycle, a tensor nothing produces, a Conv whose weight does not fit its
input. Each refusal names the node, and what was expected and found.

A graph that onnx's shape inference accepts can still be one of these (inference in non-strict mode leaves what it
cannot check unknown), and a report of such a graph would be a report of nothing that exists.
"""
from __future__ import annotations

from collections import deque

from ..errors import ONNXError
from ..i18n import say
from ..text import Outside, outside


def _label(node) -> Outside:
    """The node's name (its first output's, when it has none), as outside text: a page shows it, never renders it."""
    return outside(node.name or (node.output[0] if node.output else node.op_type), quote=True)


def in_order(model) -> list:
    """The graph's nodes in an order that runs (the file's own order when it already does); ONNXError for a cycle
    or for a tensor that no node, input or initializer produces."""
    nodes = list(model.graph.node)
    known = {v.name for v in model.graph.input} | {t.name for t in model.graph.initializer}
    producer = {}
    for i, node in enumerate(nodes):
        for out in node.output:
            if out:
                producer.setdefault(out, i)
    readers: list[list[int]] = [[] for _ in nodes]
    waits = [0] * len(nodes)
    for i, node in enumerate(nodes):
        for name in {x for x in node.input if x}:
            if name in known and name not in producer:
                continue
            if name not in producer:
                raise ONNXError(say("err.graph_undefined", name=_label(node), op=outside(node.op_type), tensor=outside(name, quote=True)))
            readers[producer[name]].append(i)
            waits[i] += 1
    if all(producer.get(x, -1) < i for i, n in enumerate(nodes) for x in n.input if x in producer):
        return nodes  # already in an order that runs: the common case costs no reordering
    ready = deque(i for i, w in enumerate(waits) if w == 0)
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in readers[i]:
            waits[j] -= 1
            if waits[j] == 0:
                ready.append(j)
    if len(order) < len(nodes):
        stuck = next(i for i, w in enumerate(waits) if w > 0)
        raise ONNXError(say("err.graph_cycle", name=_label(nodes[stuck]), op=outside(nodes[stuck].op_type),
                            count=len(nodes) - len(order)))
    return [nodes[i] for i in order]


def conv_fits(node, weight: list[int], group: int, in_shape, pads, dilation) -> None:
    """ONNXError unless the Conv's weight (N, C/G, kh, kw) and group fit its input: C/G·G equals the input's
    channels, and the dilated kernel fits the padded input (its attributes passed conv_attributes)."""
    N, cg, kh, kw = weight
    name = _label(node)
    channels = in_shape[1] if in_shape and len(in_shape) == 4 else None
    if channels is not None and cg * group != channels:
        raise ONNXError(say("err.conv_channels", name=name, cg=cg, G=group, expected=cg * group, found=channels))
    if in_shape and len(in_shape) == 4 and None not in in_shape[2:] and min(pads) >= 0:
        for axis, (size, k, d, before, after) in enumerate(zip(in_shape[2:], (kh, kw), dilation, pads[:2], pads[2:])):
            reach = d * (k - 1) + 1
            if reach > size + before + after:
                raise ONNXError(say("err.conv_kernel", name=name, axis="HW"[axis], reach=reach, k=k, d=d,
                                    padded=size + before + after))


def conv_attributes(node, a: dict, weight: list[int]) -> None:
    """ONNXError unless a 2-D Conv's attributes are ones it can run with, for its weight (N, C/G, kh, kw): a group
    ≥ 1 that divides N, two strides and two dilations ≥ 1, four pads ≥ 0, a kernel_shape (when given) equal to the
    weight's."""
    N, kernel = weight[0], weight[2:]
    group = a.get("group", 1)  # a file's attribute may hold another type than the operator's (a float, a string)
    if not isinstance(group, int) or group < 1 or N % group:
        raise ONNXError(say("err.conv_group_n", name=_label(node), G=group, N=N))
    for attr, count, least in (("strides", 2, 1), ("dilations", 2, 1), ("pads", 4, 0)):
        if attr in a:
            values = list(a[attr]) if isinstance(a[attr], (list, tuple)) else [a[attr]]
            if len(values) != count or any(not isinstance(v, int) or v < least for v in values):
                raise ONNXError(say("err.conv_attribute", name=_label(node), attr=attr, found=values, count=count,
                                    least=least))
    shape = a.get("kernel_shape", list(kernel))
    if not isinstance(shape, (list, tuple)) or list(shape) != list(kernel):
        raise ONNXError(say("err.conv_kernel_shape", name=_label(node), found=shape,
                            kernel=list(kernel)))
