"""Which input channels each output channel reads, for one layer and through a stack of layers."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .spec import ConvSpec, Kind, SpecError
from .i18n import say


def channel_groups(C: int, G: int) -> np.ndarray:
    """Group index of each of C channels split into G contiguous groups: channel c is in group c // (C/G).

    >>> channel_groups(6, 3).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    if G < 1 or C % G:
        raise SpecError(say("err.split_groups", G=G, C=C))
    return np.arange(C) // (C // G)


def input_groups(spec: ConvSpec) -> np.ndarray:
    """Group index of every input channel, shape (C,): channel c is in group c // (C/G)."""
    return channel_groups(spec.C, spec.G)


def output_groups(spec: ConvSpec) -> np.ndarray:
    """Group index of every output channel (kernel), shape (N,): kernel n is in group n // (N/G)."""
    return channel_groups(spec.N, spec.G)


def mask(spec: ConvSpec) -> np.ndarray:
    """N×C bool matrix, True where output n reads input c (they share a group): block diagonal.

    >>> mask(ConvSpec(C=4, N=2, G=2, K=1, H=1, W=1)).astype(int).tolist()
    [[1, 1, 0, 0], [0, 0, 1, 1]]
    """
    # Writing the G diagonal blocks of a zeroed (G, N/G, G, C/G) view touches each byte once: < 1 ms at 4096².
    blocks = np.zeros((spec.G, spec.out_per_group, spec.G, spec.in_per_group), dtype=bool)
    g = np.arange(spec.G)
    blocks[g, :, g, :] = True
    return blocks.reshape(spec.N, spec.C)


def group_of(spec: ConvSpec, n: int) -> int:
    """The group of output channel (kernel) n: group_of(ConvSpec(C=8, N=12, G=4, K=1, H=1, W=1), 5) == 1."""
    if not 0 <= n < spec.N:
        raise SpecError(say("err.output_channel", n=n, last=spec.N - 1))
    return n // spec.out_per_group


def step_kernel(spec: ConvSpec, n: int, step: int, by_group: bool = False) -> int:
    """The kernel step kernels away from n, or step groups away (landing on that group's first kernel), kept
    within 0..N−1: step_kernel(ConvSpec(C=8, N=12, G=4, K=1, H=1, W=1), 5, 1, by_group=True) == 6."""
    group_of(spec, n)  # n must exist
    if by_group:
        g = min(max(group_of(spec, n) + step, 0), spec.G - 1)
        return g * spec.out_per_group
    return min(max(n + step, 0), spec.N - 1)


def group_inputs(spec: ConvSpec, g: int) -> range:
    """The input channels of group g: one contiguous run of C/G channels."""
    if not 0 <= g < spec.G:
        raise SpecError(say("err.group_index", g=g, last=spec.G - 1))
    return range(g * spec.in_per_group, (g + 1) * spec.in_per_group)


def edges(spec: ConvSpec) -> int:
    """(output, input) channel pairs connected: N·C/G, the True cells of mask(spec)."""
    return spec.N * spec.in_per_group


def inputs_of(spec: ConvSpec, n: int) -> range:
    """The input channels kernel n reads: its group's run of C/G channels.

    >>> inputs_of(ConvSpec(C=8, N=12, G=4, K=3, H=6, W=6), 5)
    range(2, 4)
    """
    return group_inputs(spec, group_of(spec, n))


def shuffle_permutation(C: int, G: int) -> np.ndarray:
    """ShuffleNet channel shuffle as an index: shuffled = x[perm] (reshape (G, C/G), transpose, flatten).

    >>> shuffle_permutation(6, 3).tolist()
    [0, 2, 4, 1, 3, 5]
    """
    if G < 1 or C % G:
        raise SpecError(say("err.shuffle_divide", G=G, C=C))
    return np.arange(C).reshape(G, C // G).T.reshape(-1)


def shuffle_matrix(C: int, G: int) -> np.ndarray:
    """C×C bool permutation matrix P of the shuffle: (P @ x)[i] = x[perm[i]]."""
    P = np.zeros((C, C), dtype=bool)
    P[np.arange(C), shuffle_permutation(C, G)] = True
    return P


def apply_layer(spec: ConvSpec, reach: np.ndarray) -> np.ndarray:
    """Reachability through one more layer: output n sees what any input of its group sees.

    Exact boolean product mask(spec) @ reach, done as an OR over each group's contiguous rows:
    O(C·C0) instead of a C·N·C0 matrix product.
    """
    per_group = reach.reshape(spec.G, spec.in_per_group, reach.shape[1]).any(axis=1)
    return np.repeat(per_group, spec.out_per_group, axis=0)


def check_stack(specs: Sequence[ConvSpec]) -> None:
    """Raise SpecError unless each layer's C equals the previous layer's N."""
    if not specs:
        raise SpecError(say("err.empty_stack"))
    for i, (a, b) in enumerate(zip(specs, specs[1:]), start=1):
        if b.C != a.N:
            raise SpecError(say("err.stack_mismatch", later=i + 1, C=b.C, earlier=i, N=a.N))


def reachability(specs: Sequence[ConvSpec], shuffle: bool = False) -> np.ndarray:
    """N_last×C_first bool matrix: True where input c of layer 1 can influence output n of the last layer.

    With shuffle=True, a channel shuffle with the previous layer's G sits between consecutive layers.
    """
    check_stack(specs)
    reach = mask(specs[0])
    for prev, spec in zip(specs, specs[1:]):
        if shuffle:
            reach = reach[shuffle_permutation(prev.N, prev.G)]
        reach = apply_layer(spec, reach)
    return reach


def follow_up_stack(spec: ConvSpec, layers: int) -> list[ConvSpec]:
    """spec, then layers − 1 pointwise convs N→N with the same G: the stack the connectivity view traces.

    1×1 on a 1×1 map because reachability depends on channels and groups only.
    """
    if layers < 1:
        raise SpecError(say("err.stack_layers", layers=layers))
    follow = ConvSpec(C=spec.N, N=spec.N, G=spec.G, K=1, H=1, W=1)
    return [spec] + [follow] * (layers - 1)


def shuffle_mixes(spec: ConvSpec) -> bool:
    """Whether a channel shuffle after spec changes which groups the next layer reads: only a grouped layer
    (1 < G < C) with more than one output per group has channels to send to other groups."""
    return spec.kind is Kind.GROUPED and spec.out_per_group > 1


def fraction_reached(reach: np.ndarray) -> float:
    """Share of (output, input) pairs connected: 1/G for one grouped layer, 1.0 once groups mix fully."""
    return float(reach.mean())


def svg(spec: ConvSpec, size: int = 240) -> str:
    """The connectivity as an inline SVG (outputs down, inputs across; a cell is filled where output n reads input
    c): groups show as blocks. More than 64 channels a side are drawn in bands, each shaded by its share."""
    m = mask(spec).astype(float)
    for axis in (0, 1):  # bands: at most 64 cells a side
        n = m.shape[axis]
        width = -(-n // 64)
        if width > 1:
            pad = width * -(-n // width) - n
            m = np.moveaxis(m, axis, 0)
            m = np.concatenate([m, np.zeros((pad,) + m.shape[1:])]) if pad else m
            m = np.moveaxis(m.reshape(-1, width, *m.shape[1:]).mean(axis=1), 0, axis)
    rows, cols = m.shape
    cell = size / max(rows, cols)
    rects = "".join(f'<rect x="{c * cell:.1f}" y="{r * cell:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                    f'fill="#0072b2" fill-opacity="{m[r, c]:.2f}"/>' for r in range(rows) for c in range(cols)
                    if m[r, c] > 0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * cell:.0f}" height="{rows * cell:.0f}">'
            f'<rect width="100%" height="100%" fill="#f4f4f4"/>{rects}</svg>')
