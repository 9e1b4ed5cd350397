"""The numbers view of a small layer: kernel n's input channels with their values, the cells one output reads,
and kernel n's weights (the terms themselves come from gconv.terms)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..connectivity import inputs_of
from ..i18n import t
from ..spec import ConvSpec
from ..terms import Cell, receptive_field
from .style import PALETTE, base_layout

MAX_CHANNELS = 8  # the view is for layers this small (and H, W ≤ MAX_SIZE): every number stays legible
MAX_SIZE = 8


def small_enough(spec: ConvSpec) -> bool:
    """True when every number of the layer fits the numbers view."""
    return spec.C <= MAX_CHANNELS and spec.H <= MAX_SIZE and spec.W <= MAX_SIZE


def numbers_figure(spec: ConvSpec, x: np.ndarray, weight: np.ndarray, cell: Cell) -> go.Figure:
    """Top: kernel n's C/G input channels, padded cells grey, the cells y[n, i, j] reads outlined. Bottom: the
    weights of kernel n, one Kh×Kw block per channel. Values are written in the cells."""
    reads = inputs_of(spec, cell.n)
    (ph, pw), (kh, kw) = spec.padding_hw, spec.kernel_size
    cols = len(reads)
    fig = make_subplots(rows=2, cols=cols, vertical_spacing=0.12, horizontal_spacing=0.03,
                        subplot_titles=[t("fign.input_channel", c=c) for c in reads] +
                                       [t("fign.weight", n=cell.n, k=c - reads.start, c=c) for c in reads])
    field = receptive_field(spec, cell.i, cell.j)
    for k, c in enumerate(reads, start=1):
        padded = np.full((spec.H + 2 * ph, spec.W + 2 * pw), np.nan)
        padded[ph:ph + spec.H, pw:pw + spec.W] = x[c]
        text = np.where(np.isnan(padded), "0", np.nan_to_num(padded).astype(int).astype(str))
        fig.add_trace(go.Heatmap(z=np.nan_to_num(padded, nan=-1), x=np.arange(-pw, spec.W + pw),
                                 y=np.arange(-ph, spec.H + ph), text=text, texttemplate="%{text}",
                                 colorscale=[[0, "#eeeeee"], [0.2, "#f7fbff"], [1, "#6baed6"]], zmin=-1, zmax=4,
                                 showscale=False, xgap=1, ygap=1,
                                 hovertemplate=f"x[{c}, %{{y}}, %{{x}}] = %{{text}}<extra></extra>"), row=1, col=k)
        fig.add_trace(go.Scatter(x=[at[1] for _, at, _ in field], y=[at[0] for _, at, _ in field], mode="markers",
                                 marker=dict(symbol="square-open", size=22, color=PALETTE[5], line=dict(width=3)),
                                 hoverinfo="skip", showlegend=k == 1,
                                 name=t("fign.reads", n=cell.n, i=cell.i, j=cell.j)), row=1, col=k)
        w = weight[cell.n, c - reads.start]
        fig.add_trace(go.Heatmap(z=w, text=w.astype(int).astype(str), texttemplate="%{text}", zmin=-2, zmax=2,
                                 colorscale="RdBu", showscale=False, xgap=1, ygap=1,
                                 hovertemplate=f"weight[{cell.n}, {c - reads.start}, %{{y}}, %{{x}}] = %{{text}}"
                                               "<extra></extra>"), row=2, col=k)
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_annotations(font_size=11)
    base_layout(fig, t("fign.title", n=cell.n, i=cell.i, j=cell.j, count=len(reads), kh=kh, kw=kw),
                height=260 + 40 * (spec.H + 2 * ph))
    fig.update_layout(legend=dict(orientation="h", y=-0.05), margin=dict(t=110))
    return fig
