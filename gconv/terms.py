"""One output cell of a conv, term by term: the multiply-adds that make y[n, i, j], over kernel n's group only.

For small layers the numbers view shows them all; the sum is the value torch computes at that cell.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .connectivity import inputs_of
from .errors import SpecError
from .spec import ConvSpec, Pair
from .i18n import say


@dataclass(frozen=True)
class Term:
    """One multiply-add: input channel c at position `at` (None where the tap falls on padding) times a weight."""

    c: int  # input channel, in kernel n's group
    tap: Pair  # (row, column) in the kernel
    at: Pair | None  # (row, column) of the input read; None: a padded cell, whose value is 0
    x: float
    w: float

    @property
    def product(self) -> float:
        return self.x * self.w


@dataclass(frozen=True)
class Cell:
    """Output y[n, i, j] as its terms and bias."""

    n: int
    i: int
    j: int
    terms: tuple[Term, ...]
    bias: float

    @property
    def total(self) -> float:
        """Σ x·w over the terms, plus the bias: the conv's output at this cell."""
        return float(sum(t.product for t in self.terms) + self.bias)

    def by_channel(self) -> dict[int, tuple[tuple[Term, ...], float]]:
        """The terms grouped by input channel, in the kernel's order, each with its channel's partial sum."""
        groups: dict[int, list[Term]] = {}
        for term in self.terms:
            groups.setdefault(term.c, []).append(term)
        return {c: (tuple(terms), float(sum(t.product for t in terms))) for c, terms in groups.items()}


def sample_values(spec: ConvSpec, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Small whole numbers a student can add up: inputs (C, H, W) in 0..4, weights (N, C/G, Kh, Kw) in −2..2,
    bias (N,) in −2..2 when the layer has one. float32, so torch computes them exactly."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, spec.in_shape).astype(np.float32)
    w = rng.integers(-2, 3, spec.weight_shape).astype(np.float32)
    b = rng.integers(-2, 3, spec.N).astype(np.float32) if spec.bias else None
    return x, w, b


def receptive_fields(spec: ConvSpec, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """Input positions read by every output (a, b), a in rows, b in cols (row by row), for every kernel tap (row
    by row): position = out·stride − padding + tap·dilation. Returns positions (P, Kh·Kw, 2) and inside (P, Kh·Kw),
    False where a tap falls on the padding around the input.

    >>> pos, inside = receptive_fields(ConvSpec(C=1, N=1, G=1, K=3, H=4, W=4, padding=1, dilation=2), [0], [1])
    >>> pos[0, :3].tolist(), inside[0, :3].tolist()
    ([[-1, 0], [-1, 2], [-1, 4]], [False, False, False])
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = spec.kernel_size, spec.stride_hw, spec.padding_hw, spec.dilation_hw
    a, b = (m.ravel() for m in np.meshgrid(np.asarray(rows), np.asarray(cols), indexing="ij"))
    ta, tb = (m.ravel() for m in np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij"))
    r = a[:, None] * sh - ph + ta[None] * dh
    s = b[:, None] * sw - pw + tb[None] * dw
    return np.stack([r, s], -1), (r >= 0) & (r < spec.H) & (s >= 0) & (s < spec.W)


def receptive_field(spec: ConvSpec, i: int, j: int) -> list[tuple[Pair, Pair, bool]]:
    """(tap, input position, inside) for every kernel tap of output (i, j), as in receptive_fields."""
    pos, inside = receptive_fields(spec, [i], [j])
    kw = spec.kernel_size[1]
    return [((t // kw, t % kw), (int(p[0]), int(p[1])), bool(ok)) for t, (p, ok) in enumerate(zip(pos[0], inside[0]))]


def cell_terms(spec: ConvSpec, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, n: int, i: int,
               j: int) -> Cell:
    """Every multiply-add of output y[n, i, j]: kernel n's C/G channels × its Kh·Kw taps.

    >>> s = ConvSpec(C=2, N=2, G=2, K=1, H=1, W=1)
    >>> cell = cell_terms(s, np.array([[[3.0]], [[5.0]]]), np.array([[[[2.0]]], [[[-1.0]]]]), None, 1, 0, 0)
    >>> [(t.c, t.x, t.w) for t in cell.terms], cell.total
    ([(1, 5.0, -1.0)], -5.0)
    """
    Ho, Wo = spec.out_hw
    if not (0 <= i < Ho and 0 <= j < Wo):
        raise SpecError(say("err.output_cell", i=i, j=j, Ho=Ho, Wo=Wo, last_row=Ho - 1, last_col=Wo - 1))
    reads, field = inputs_of(spec, n), receptive_field(spec, i, j)
    group_start = reads.start  # weight[n] holds only its group's channels, from here on
    terms = tuple(Term(c, tap, at if inside else None, float(x[c, at[0], at[1]]) if inside else 0.0,
                       float(weight[n, c - group_start, tap[0], tap[1]]))
                  for c in reads for tap, at, inside in field)
    return Cell(n, i, j, terms, float(bias[n]) if bias is not None else 0.0)
