"""How the ops that move elements between axes are traced: reshapes, transposes, Expand, MatMul, and the ops that
pick or join along an axis (Split, Slice, Gather, Concat).

An image keeps its channel axis where a reshape only regroups channels (ShuffleNet's view–transpose–view); when
channels move into tokens, heads or patches, D tracks every axis (tensor.py's full and whole forms), so attention's
q @ kᵀ, a token-wise Linear and MobileViT's unfold/fold are traced by what they do to each element.
"""
from __future__ import annotations

from math import prod

import numpy as np

from .graph import Graph, attributes, slice_args, split_sizes
from .tensor import Tensor, Untraceable, tidy, whole


def _known(shape) -> bool:
    return bool(shape) and None not in shape


def rearranged(op: str, x: Tensor, node, graph: Graph, attr) -> Tensor:
    """Reshape, Flatten, Squeeze, Unsqueeze, Transpose and Expand."""
    in_shape, out_shape = graph.shape(node.input[0]), graph.shape(node.output[0])
    if not _known(out_shape):
        raise Untraceable
    width = x.d.shape[-1]
    if op == "Transpose":
        perm = list(attr("perm", list(reversed(range(x.rank)))))
        if sorted(perm) != list(range(x.rank)):
            raise Untraceable  # not a permutation of the axes this tensor has
        k = len(x.chan)
        if x.first == 1 and perm[0] == 0 and sorted(perm[1:1 + k]) == list(range(1, 1 + k)):  # channel axes only
            axes = [p - 1 for p in perm[1:1 + k]] + [k]
            return Tensor(np.ascontiguousarray(x.d.transpose(axes)), tuple(out_shape[1 + k:]))
        return tidy(whole(x, in_shape).transpose(perm + [len(perm)]), out_shape)
    if op == "Expand":
        d = whole(x, in_shape)
        try:
            return tidy(np.broadcast_to(d, tuple(np.broadcast_shapes(d.shape[:-1], tuple(out_shape)))
                                        + (width,)), out_shape)
        except ValueError:
            raise Untraceable from None  # shapes the graph states that do not broadcast
    body = tuple(out_shape[1:])
    if x.first == 1 and out_shape[0] == 1:
        lead = len(body) - len(x.space)
        if x.space and lead > 0 and body[lead:] == x.space and prod(body[:lead]) == prod(x.chan):
            return Tensor(x.d.reshape(body[:lead] + (width,)), x.space)  # channels regrouped, positions kept
        if not x.space and prod(body) == prod(x.chan):
            return tidy(x.d.reshape((1,) + body + (width,)), out_shape)
    if _known(in_shape) and prod(in_shape) != prod(out_shape):
        raise Untraceable  # the graph states an output size that is not its input's, rearranged
    return tidy(whole(x, in_shape).reshape(tuple(out_shape) + (width,)), out_shape)


def matmul(ins: list, node, graph: Graph) -> Tensor:
    """MatMul: out[..., i, j] sums a[..., i, k]·b[..., k, j] over k, so it depends on row i of a and column j of b.
    A constant side (a weight) adds nothing; a contraction over a position axis keeps D as it is."""
    a, b = ins[0], ins[1]
    out_shape = graph.shape(node.output[0])
    if not _known(out_shape) or len(out_shape) < 2:
        raise Untraceable
    if b is None and a.first == 1 and a.space:  # x @ W over the last position axis: channels stay apart
        return Tensor(a.d.copy(), tuple(out_shape[1 + len(a.chan):]))
    width = (a or b).d.shape[-1]
    out = np.zeros(tuple(out_shape) + (width,), bool)
    for t, name, k in ((a, node.input[0], -2), (b, node.input[1], -3)):
        if t is None:
            continue
        shape = graph.shape(name)
        if not _known(shape) or len(shape) < 2:
            raise Untraceable  # a vector side: rare, and its axes cannot be lined up from the graph alone
        d = whole(t, shape).any(axis=k, keepdims=True)
        try:
            out |= d
        except ValueError:
            raise Untraceable from None
    return tidy(out, out_shape)


def picked(node, op, ins, graph: Graph, width: int, attr) -> list | None:
    """Split, Slice, Gather and Concat: on a tracked axis, elements of D are picked or joined; on a position axis, D
    is kept; None when the batch axis itself is cut (traced as mixing)."""
    out_shape = graph.shape(node.output[0])
    if op == "Concat":
        return _concat(node, ins, graph, attr, width)
    x = ins[0]
    if x is None:
        return None
    k = len(x.chan)
    rank = x.rank
    if op == "Gather":
        idx = graph.values.get(node.input[1])
        axis = attr("axis", 0) % rank
        if idx is None or x.axis(axis) is None and axis < x.first:
            return None
        if x.axis(axis) is None:
            return [Tensor(x.d, tuple((out_shape or [])[1 + k:]))]
        d = np.take(x.d, idx, axis=x.axis(axis))
        return [tidy(d, out_shape) if x.first == 0 else Tensor(d, x.space)]
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
            if a < x.first:
                return None
            if x.axis(a) is not None:
                index[x.axis(a)] = slice(int(s), int(e), int(st))
        d = np.ascontiguousarray(x.d[tuple(index)])
        return [tidy(d, out_shape) if x.first == 0 else Tensor(d, tuple((out_shape or [])[1 + k:]))]
    if op == "Split":
        axis = attr("axis", 0) % rank
        if axis < x.first:
            return None
        if x.axis(axis) is None:
            return [Tensor(x.d, tuple((graph.shape(o) or [])[1 + k:])) for o in node.output]
        sizes = split_sizes(node, attributes(node), [None] + [graph.values.get(i) for i in node.input[1:2] if i],
                            x.d.shape[x.axis(axis)])
        parts = np.split(x.d, np.cumsum(sizes)[:-1], axis=x.axis(axis))
        if x.first == 0:
            return [tidy(p, graph.shape(o)) for p, o in zip(parts, node.output)]
        return [Tensor(np.ascontiguousarray(p), x.space) for p in parts]
    return None


def _concat(node, ins, graph: Graph, attr, width: int) -> list | None:
    shapes = [graph.shape(i) for i in node.input]
    out_shape = graph.shape(node.output[0])
    live = [t for t in ins if t is not None]
    if not isinstance(attr("axis"), int):
        raise Untraceable
    first = live[0]
    axis = attr("axis") % first.rank
    k = len(first.chan)
    if all(t.first == 1 and len(t.chan) == k and t.space == first.space for t in live):  # images, or tokens alike
        if 1 <= axis <= k and all(_known(s) for s in shapes):
            parts = [t.d if t is not None else np.zeros(tuple(s[1:1 + k]) + (width,), bool) for t, s in zip(ins, shapes)]
            if all(p.shape[:axis - 1] + p.shape[axis:] == first.d.shape[:axis - 1] + first.d.shape[axis:] for p in parts):
                return [Tensor(np.concatenate(parts, axis=axis - 1), first.space)]
        if axis > k and all(t.d.shape == first.d.shape for t in live):  # along a position axis: each sees both
            return [Tensor(np.logical_or.reduce([t.d for t in live]), tuple((out_shape or [])[1 + k:]))]
    if not all(_known(s) for s in shapes) or not _known(out_shape):
        return None
    parts = [whole(t, s) if t is not None else np.zeros(tuple(s) + (width,), bool) for t, s in zip(ins, shapes)]
    try:
        return [tidy(np.concatenate(parts, axis=axis), out_shape)]
    except ValueError:
        raise Untraceable from None
