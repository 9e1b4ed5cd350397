"""Figures of which input channels each output channel reads: bipartite diagram, weight mask, reachability."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..connectivity import channel_groups, edges, group_inputs, group_of, input_groups, inputs_of, mask, \
    output_groups, shuffle_permutation
from ..cost import kernel_sparsity
from ..i18n import t
from ..spec import ConvSpec
from .style import ZERO, base_layout, built_once, group_colour, rgba

MAX_EDGES = 2000  # above this many edges (or 256 channels a side) the diagram draws group blocks
MAX_NODES = 256
MAX_CELLS = 256  # heatmaps are binned to at most this many rows and columns
MAX_CLICK_TARGETS = 512
MAX_BANDS = 128
X_IN, X_KERNEL, X_KERNEL_END, X_OUT = 0.0, 0.62, 0.78, 1.0


def aggregated(spec: ConvSpec) -> bool:
    """True when the diagram draws group blocks instead of single edges."""
    return edges(spec) > MAX_EDGES or max(spec.C, spec.N) > MAX_NODES


def _kernel_text(spec: ConvSpec) -> str:
    kh, kw = spec.kernel_size
    return f"{spec.in_per_group}×{kh}×{kw}"


def _rects(x0: float, x1: float, y0, y1) -> tuple[np.ndarray, np.ndarray]:
    """Closed rectangles as one scatter path, NaN between them (plotly draws NaN as a gap)."""
    y0, y1 = np.atleast_1d(y0).astype(float), np.atleast_1d(y1).astype(float)
    gap = np.full_like(y0, np.nan)
    xs = np.column_stack([np.full_like(y0, x0), np.full_like(y0, x1), np.full_like(y0, x1),
                          np.full_like(y0, x0), np.full_like(y0, x0), gap])
    ys = np.column_stack([y0, y0, y1, y1, y0, gap])
    return xs.ravel(), ys.ravel()


def _segments(x0, y0, x1, y1) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (x0, y0)–(x1, y1) as one scatter path, NaN between them."""
    x0, y0, x1, y1 = (a.ravel() for a in np.broadcast_arrays(*(np.asarray(v, float) for v in (x0, y0, x1, y1))))
    gap = np.full(y0.shape, np.nan)
    return np.column_stack([x0, x1, gap]).ravel(), np.column_stack([y0, y1, gap]).ravel()


def _by_colour(groups: np.ndarray) -> dict[str, np.ndarray]:
    """Indices per palette colour, so each colour is one trace whatever G is."""
    colours = np.array([group_colour(int(g)) for g in range(int(groups.max()) + 1)])[groups]
    return {c: np.flatnonzero(colours == c) for c in dict.fromkeys(colours.tolist())}


def _labels(fig: go.Figure, x, y, text: list[str], size: int, colour=None) -> None:
    """Many text labels as one scatter trace (plotly draws one annotation per DOM node, far slower)."""
    y = np.asarray(y, dtype=float)
    fig.add_trace(go.Scatter(x=np.broadcast_to(np.asarray(x, dtype=float), y.shape), y=y, text=text,
                             mode="text", textfont=dict(size=size, color=colour), hoverinfo="skip",
                             showlegend=False))


def _click_targets(fig: go.Figure, spec: ConvSpec, x: float) -> None:
    """Near-invisible markers on the kernels: Streamlit reports clicks on them with customdata = n."""
    n = np.unique(np.linspace(0, spec.N - 1, min(spec.N, MAX_CLICK_TARGETS)).round().astype(int))
    g = output_groups(spec)[n]
    reads = [inputs_of(spec, int(k)) for k in n]
    lo, hi = [r.start for r in reads], [r.stop - 1 for r in reads]
    fig.add_trace(go.Scatter(
        x=np.full(len(n), x), y=(n + 0.5) / spec.N, mode="markers", customdata=n, name=t("fig.kernel_targets"),
        marker=dict(symbol="square", size=max(6, min(24, 600 // max(len(n), 1))), opacity=0.01,
                    line=dict(width=0)),
        hovertemplate=[t("fig.kernel_hover", k=k, g=gg, shape=_kernel_text(spec), first=a, last=b) + "<extra></extra>"
                       for k, gg, a, b in zip(n, g, lo, hi)],
        showlegend=False))


def _selected(fig: go.Figure, spec: ConvSpec, n: int, exact: bool) -> None:
    """Kernel n's own edges (or its group's wedge) drawn over the faded diagram."""
    g = group_of(spec, n)
    reads = inputs_of(spec, n)
    a, b = reads.start, reads.stop
    yn = (n + 0.5) / spec.N
    colour = group_colour(g)
    if exact:
        xs, ys = _segments(X_IN, (np.arange(a, b) + 0.5) / spec.C, X_KERNEL, yn)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=3),
                                 name=t("fig.kernel_reads", n=n, first=a, last=b - 1), hoverinfo="skip"))
    else:
        fig.add_trace(go.Scatter(x=[X_IN, X_KERNEL, X_IN, X_IN], y=[a / spec.C, yn, b / spec.C, a / spec.C],
                                 fill="toself", mode="lines", fillcolor=rgba(colour, 0.55),
                                 line=dict(color=colour, width=2), hoverinfo="skip",
                                 name=t("fig.kernel_reads", n=n, first=a, last=b - 1)))
    fig.add_trace(go.Scatter(x=[X_OUT], y=[yn], mode="markers", marker=dict(size=14, color=colour, line=dict(width=2, color="#444")),
                             showlegend=False, hoverinfo="skip"))


@built_once
def bipartite(spec: ConvSpec, selected: int | None = None) -> go.Figure:
    """Inputs → kernels → outputs, edges coloured and labelled by group; group blocks when aggregated(spec)."""
    fig = go.Figure()
    exact = not aggregated(spec)
    gin, gout = input_groups(spec), output_groups(spec)
    yin = (np.arange(spec.C) + 0.5) / spec.C
    yout = (np.arange(spec.N) + 0.5) / spec.N
    fade = selected is not None
    label_groups = spec.G <= 7  # one legend entry per colour while colours are not yet reused
    if exact:
        # One trace per palette colour (not per group): trace count, not edge count, is what slows the browser.
        pairs_n, pairs_c = np.nonzero(mask(spec))  # every edge: output n reads input c
        for colour, gs in _by_colour(np.arange(spec.G)).items():
            edge = np.isin(gout[pairs_n], gs)
            xs, ys = _segments(X_IN, yin[pairs_c[edge]], X_KERNEL, yout[pairs_n[edge]])
            name = t("fig.group", g=gs[0]) if len(gs) == 1 else t("fig.groups", gs=", ".join(map(str, gs[:4])) + (
                "…" if len(gs) > 4 else ""))
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines", hoverinfo="skip", name=name, showlegend=label_groups and not fade,
                line=dict(color=rgba(colour, 0.22) if fade else colour, width=1.2)))
        for colour, idx in _by_colour(gin).items():
            fig.add_trace(go.Scatter(
                x=np.full(len(idx), X_IN), y=yin[idx], mode="markers+text" if spec.C <= 32 else "markers",
                text=[f"x{c} " for c in idx], textposition="middle left", showlegend=False,
                marker=dict(size=10 if spec.C <= 64 else 5, color=colour),
                hovertemplate=[t("fig.input_hover", c=c, g=gin[c]) + "<extra></extra>" for c in idx]))
        kh = 0.8 / spec.N
        for colour, idx in _by_colour(gout).items():
            xs, ys = _rects(X_KERNEL, X_KERNEL_END, yout[idx] - kh / 2, yout[idx] + kh / 2)
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", fillcolor=rgba(colour, 0.35),
                                     line=dict(color=colour, width=1), hoverinfo="skip", showlegend=False))
        xs, ys = _segments(X_KERNEL_END, yout, X_OUT, yout)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#888", width=1), hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(
            x=np.full(spec.N, X_OUT), y=yout, mode="markers+text" if spec.N <= 32 else "markers",
            text=[f" y{n}" for n in range(spec.N)], textposition="middle right", showlegend=False,
            marker=dict(size=10 if spec.N <= 64 else 5, color=[group_colour(g) for g in gout]),
            hovertemplate=[t("fig.output_hover", n=n, g=gout[n]) + "<extra></extra>" for n in range(spec.N)]))
        if spec.N <= 24:
            _labels(fig, (X_KERNEL + X_KERNEL_END) / 2, yout, [_kernel_text(spec)] * spec.N, size=10)
    else:
        # Above MAX_BANDS groups a band would be thinner than a pixel: each band then stands for a run of
        # consecutive groups (still block diagonal: a band's inputs feed only that band's kernels).
        bands = min(spec.G, MAX_BANDS)
        bounds = np.linspace(0, 1, bands + 1)
        for colour, gs in _by_colour(np.arange(bands)).items():
            lo, hi = bounds[gs], bounds[gs + 1]
            pad = 0.15 / bands
            xs, ys = _rects(X_IN, X_KERNEL, lo + pad, hi - pad)
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", hoverinfo="skip",
                                     fillcolor=rgba(colour, 0.2 if fade else 0.45), line=dict(width=0),
                                     showlegend=False))
            columns = [_rects(x0, x1, lo + pad, hi - pad) for x0, x1 in
                       ((X_IN - 0.04, X_IN), (X_KERNEL, X_KERNEL_END), (X_OUT - 0.02, X_OUT + 0.02))]
            fig.add_trace(go.Scatter(x=np.concatenate([c[0] for c in columns]),
                                     y=np.concatenate([c[1] for c in columns]), fill="toself", mode="lines",
                                     fillcolor=colour, line=dict(width=0), hoverinfo="skip", showlegend=False))
        if spec.G <= 16:
            g = np.arange(spec.G)
            _labels(fig, (X_IN + X_KERNEL) / 2, (g + 0.5) / spec.G,
                    [t("fig.band", g=i, first=group_inputs(spec, i).start, last=group_inputs(spec, i).stop - 1,
                       per=spec.out_per_group, shape=_kernel_text(spec)) for i in g], size=11)
    if label_groups or (exact and spec.G <= 32):
        g = np.arange(spec.G)
        _labels(fig, X_IN - 0.09, (g + 0.5) / spec.G, [f"g{i}" for i in g], size=12,
                colour=[group_colour(i) for i in g])
    _click_targets(fig, spec, (X_KERNEL + X_KERNEL_END) / 2)
    if selected is not None:
        _selected(fig, spec, selected, exact)
    _labels(fig, [X_IN, (X_KERNEL + X_KERNEL_END) / 2, X_OUT], [-0.05] * 3,
            [f"<b>{t('fig.inputs', C=spec.C)}</b>", f"<b>{t('fig.kernels', N=spec.N)}</b>",
             f"<b>{t('fig.outputs', N=spec.N)}</b>"], size=12)
    count = edges(spec)
    mode = (t("fig.every_edge", count=f"{count:,}") if exact else
            t("fig.blocks", count=f"{count:,}") +
            (t("fig.band_groups", per=spec.G // MAX_BANDS) if spec.G > MAX_BANDS else ""))
    title = t("fig.bipartite_title", C=spec.C, N=spec.N, shape=_kernel_text(spec), G=spec.G) + f"<br><sup>{mode}</sup>"
    base_layout(fig, title, height=int(min(900, max(380, 26 * max(spec.C, spec.N)))) if exact else 560)
    fig.update_xaxes(visible=False, range=[-0.18, 1.14], fixedrange=True)
    fig.update_yaxes(visible=False, range=[1.02, -0.08], fixedrange=True)
    fig.update_layout(legend=dict(orientation="h", y=-0.02), clickmode="event+select", dragmode=False)
    return fig


def binned(matrix: np.ndarray, max_cells: int = MAX_CELLS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fraction of True per bin, row starts, col starts) with at most max_cells bins a side."""
    rows = np.unique(np.linspace(0, matrix.shape[0], min(matrix.shape[0], max_cells) + 1).astype(int))[:-1]
    cols = np.unique(np.linspace(0, matrix.shape[1], min(matrix.shape[1], max_cells) + 1).astype(int))[:-1]
    if len(rows) == matrix.shape[0] and len(cols) == matrix.shape[1]:
        return matrix.astype(np.float32), rows, cols
    counts = np.add.reduceat(np.add.reduceat(matrix.astype(np.uint32), rows, axis=0), cols, axis=1)
    sizes = np.outer(np.diff(np.append(rows, matrix.shape[0])), np.diff(np.append(cols, matrix.shape[1])))
    return (counts / sizes).astype(np.float32), rows, cols


def _matrix_figure(matrix: np.ndarray, title: str, colour: str, group_lines: tuple[int, int] | None,
                   row_label: str, col_label: str) -> go.Figure:
    z, rows, cols = binned(matrix)
    exact = z.shape == matrix.shape
    hover = (t("fig.matrix_hover", row=row_label, col=col_label) + "<extra></extra>" if exact else
             t("fig.matrix_hover_binned", row=row_label, col=col_label) + "<extra></extra>")
    fig = go.Figure(go.Heatmap(z=z, x=cols, y=rows, zmin=0, zmax=1, colorscale=[[0, ZERO], [1, colour]],
                               showscale=False, hovertemplate=hover, xgap=1 if len(cols) <= 64 else 0,
                               ygap=1 if len(rows) <= 64 else 0))
    if group_lines:
        G, _ = group_lines
        if 1 < G <= 64:
            # Group boundaries as one dotted trace (64 add_vline calls would cost ~0.5 s).
            N, C = matrix.shape
            g = np.arange(1, G)
            xv, yv = _segments(g * C / G - 0.5, -0.5, g * C / G - 0.5, N - 0.5)
            yh, xh = _segments(g * N / G - 0.5, -0.5, g * N / G - 0.5, C - 0.5)
            fig.add_trace(go.Scatter(x=np.concatenate([xv, xh]), y=np.concatenate([yv, yh]), mode="lines",
                                     line=dict(color="#888", width=1, dash="dot"), hoverinfo="skip",
                                     showlegend=False, name=t("fig.group_boundaries")))
    if not exact:
        title = title.replace("<br><sup>", "<br><sup>" + t("fig.binned", rows=len(rows), cols=len(cols)) + " · ", 1)
    base_layout(fig, title, height=560)
    fig.update_layout(margin=dict(t=90))
    fig.update_xaxes(side="top", constrain="domain")
    fig.update_yaxes( autorange="reversed", scaleanchor="x" if
                     0.25 < matrix.shape[0] / matrix.shape[1] < 4 else None)
    return fig


@built_once
def mask_figure(spec: ConvSpec) -> go.Figure:
    """The N×C weight mask (block diagonal), titled with the per-kernel structured sparsity."""
    sparsity = kernel_sparsity(spec)
    title = t("fig.mask_title", N=f"{spec.N:,}", C=f"{spec.C:,}", nonzero=f"{sparsity.nonzero:,}",
              zeros=f"{sparsity.zeros:,}", sparsity=f"{1 - sparsity.kept:.0%}")
    return _matrix_figure(mask(spec), title, group_colour(0), (spec.G, spec.G), t("fig.output"), t("fig.input"))


@built_once
def reachability_figure(reach: np.ndarray, title: str) -> go.Figure:
    """Which inputs of the first layer reach each output of the last layer."""
    return _matrix_figure(reach, title, group_colour(2), None, t("fig.last_output"), t("fig.first_input"))


@built_once
def shuffle_figure(C: int, G: int) -> go.Figure:
    """ShuffleNet's channel shuffle between two grouped layers as a permutation diagram: channel perm[i] of the
    layer before becomes channel i of the layer after (reshape (G, C/G) → transpose → flatten); each line has
    the colour of the group it leaves, so every group of the next layer is seen to draw from every group."""
    perm, groups = shuffle_permutation(C, G), channel_groups(C, G)
    before = (np.arange(C) + 0.5) / C
    src_group = groups[perm]
    fig = go.Figure()
    for colour, idx in _by_colour(src_group).items():
        xs, ys = _segments(0.0, before[perm[idx]], 1.0, before[idx])
        gs = sorted(set(src_group[idx].tolist()))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=1.5), hoverinfo="skip",
                                 name=t("fig.from_group", g=gs[0]) if len(gs) == 1 else t("fig.from_groups", gs=", ".join(
                                     map(str, gs[:4])) + ("…" if len(gs) > 4 else "")), showlegend=G <= 7))
    for x in (0.0, 1.0):  # both sides: channel c sits in group c // (C/G)
        fig.add_trace(go.Scatter(x=np.full(C, x), y=before, mode="markers", showlegend=False,
                                 marker=dict(size=8 if C <= 64 else 4, color=[group_colour(int(g)) for g in groups]),
                                 hovertemplate=[t("fig.channel_hover", c=c, g=g) + "<extra></extra>" for c, g in
                                                zip(range(C), groups)]))
    if C <= 32:
        _labels(fig, -0.06, before, [f"{c}" for c in range(C)], size=10)
        _labels(fig, 1.06, before, [f"{c}" for c in range(C)], size=10)
    _labels(fig, [0.0, 1.0], [-0.06] * 2, [f"<b>{t('fig.layer1_outputs')}</b>", f"<b>{t('fig.layer2_inputs')}</b>"],
            size=12)
    base_layout(fig, t("fig.shuffle_title", C=C, G=G, per=C // G),
                height=int(min(700, max(320, 14 * C))))
    fig.update_xaxes(visible=False, range=[-0.2, 1.2], fixedrange=True)
    fig.update_yaxes(visible=False, range=[1.02, -0.1], fixedrange=True)
    fig.update_layout(legend=dict(orientation="h", y=-0.02), dragmode=False)
    return fig
