"""What the channel-flow trace carries for one tensor, and the three forms it moves between.

A Tensor is D, a boolean array (*axes, R): D[..., r] is True when that element can depend on reference channel r.
Its axes are the tensor's axes from `first` on: from axis 1 (the batch is implicit: samples never mix) up to
the position axes it leaves untracked (`space`: an element counts as depending on what any of its positions
does). Three forms:
- an image: D over the channel axis only, positions untracked (every conv's input and output);
- full: D over every axis but the batch (tokens, heads, patches: what a reshape moves channels into);
- whole: D over every axis, the batch too (first = 0), where an op folds the batch into another axis, as
  MobileViT's unfold does (B·C·nh, ph, nw, pw).
"""
from __future__ import annotations

from math import prod

import numpy as np

MAX_CELLS = 64_000_000  # booleans one tensor's D may hold once positions become tracked axes


class Untraceable(Exception):
    """This node's effect on channels cannot be decided from what the graph states (a shape or an attribute it
    leaves unknown or inconsistent, or a tensor too large to track position by position): the flow traces it as
    mixing every channel and names it. Any other exception in a rule is a bug, and surfaces."""


class Tensor:
    """D for one tensor, the sizes of its untracked position axes, and the tensor axis D's first axis stands for."""

    __slots__ = ("d", "space", "first")

    def __init__(self, d: np.ndarray, space: tuple[int, ...], first: int = 1):
        self.d, self.space, self.first = d, tuple(space), first

    @property
    def chan(self) -> tuple[int, ...]:
        """The sizes of D's tracked axes (the channel axis, and for the full and whole forms every other)."""
        return self.d.shape[:-1]

    @property
    def rank(self) -> int:
        return self.first + len(self.chan) + len(self.space)

    def axis(self, a: int) -> int | None:
        """D's axis for tensor axis a (negative counts from the end), or None for the implicit batch or a position."""
        a %= self.rank
        return a - self.first if self.first <= a < self.first + len(self.chan) else None

    def everything(self) -> np.ndarray:
        """One row: every reference channel any element of this tensor sees."""
        return self.d.reshape(-1, self.d.shape[-1]).any(axis=0)


def whole(x: Tensor, shape) -> np.ndarray:
    """D over every axis of the tensor (shape: its shape as the graph states it), the batch included; a
    read-only view where it repeats what D holds."""
    width = x.d.shape[-1]
    if x.first == 0:
        return x.d
    if not shape or None in shape or len(shape) != x.rank or tuple(shape[1:]) != x.chan + x.space:
        raise Untraceable  # the graph states a shape that is not the one this tensor was traced with
    if prod(shape) * width > MAX_CELLS:
        raise Untraceable
    d = x.d.reshape(x.chan + (1,) * len(x.space) + (width,))
    return np.broadcast_to(d[None], tuple(shape) + (width,))


def tidy(d: np.ndarray, shape) -> Tensor:
    """The Tensor of a whole D (shape: the tensor's): a batch of 1 is dropped again, and a 4-D tensor becomes an
    image (N, C, H, W), a channel seeing what any of its positions sees."""
    width = d.shape[-1]
    if tuple(d.shape[:-1]) != tuple(shape):
        raise Untraceable  # the op's output, as the graph states it, is not what the op makes of its input
    if shape[0] != 1:
        return Tensor(np.ascontiguousarray(d), (), first=0)
    d = d[0]
    if len(shape) == 4:
        return Tensor(d.reshape(shape[1], -1, width).any(axis=1), tuple(shape[2:]))
    return Tensor(np.ascontiguousarray(d), ())


def image(x: Tensor) -> Tensor:
    """The tensor as an image: D over the channel axis (axis 1) only, every other axis a position."""
    if x.first == 0:
        raise Untraceable  # the batch is folded into axis 0: no axis holds the channels alone
    if len(x.chan) == 1:
        return x
    width = x.d.shape[-1]
    return Tensor(x.d.reshape(x.chan[0], -1, width).any(axis=1), x.chan[1:] + x.space)


def all_of(live: list, shape, width: int) -> Tensor:
    """Every element sees every reference channel any input sees (an op the tracer cannot follow)."""
    row = np.zeros(width, bool)
    for t in live:
        row |= t.everything()
    if shape and len(shape) > 1 and shape[0] not in (1, None) and None not in shape:  # the batch is folded in
        return Tensor(np.broadcast_to(row, tuple(shape) + (width,)), (), first=0)
    channels = shape[1] if shape and len(shape) > 1 and shape[1] else 1
    return Tensor(np.broadcast_to(row, (channels, width)).copy(), tuple(shape[2:]) if shape else ())
