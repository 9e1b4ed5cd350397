"""Figures of where a network's parameters and MACs go, by layer kind and layer by layer."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import t
from ..plots.style import PALETTE, base_layout
from ..spec import Kind
from ..text import outside, plotly
from .report import Report

KIND_COLOURS = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(Kind)}


def by_kind_figure(report: Report) -> go.Figure:
    """Two horizontal bars of shares: params and MACs per layer kind, labelled with percentages."""
    kinds = report.by_kind()
    order = [k for k in Kind if k in kinds]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("figi.share_params"), t("figi.share_macs")),
                        shared_yaxes=True, horizontal_spacing=0.04)
    total_p = sum(v["params"] for v in kinds.values()) or 1
    total_m = sum(v["macs"] for v in kinds.values()) or 1
    for col, key, total in ((1, "params", total_p), (2, "macs", total_m)):
        shares = [kinds[k][key] / total for k in order]
        fig.add_trace(go.Bar(y=[t(f"kind_short.{k.value}") for k in order], x=shares, orientation="h", marker_color=[KIND_COLOURS[k] for k in order],
                             text=[f"{s:.1%}" for s in shares], textposition="auto", showlegend=False,
                             customdata=[[kinds[k][key], kinds[k]["layers"]] for k in order],
                             hovertemplate=t("figi.kind_hover") + "<extra></extra>"), row=1, col=col)
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    base_layout(fig, t("figi.by_kind_title", model=outside(report.model)), height=320)
    return fig


def layers_figure(report: Report, selected: int | None = None) -> go.Figure:
    """MACs of every layer in order, coloured by kind; the selected layer outlined."""
    fig = go.Figure()
    idx = list(range(len(report.layers)))
    for kind in Kind:
        rows = [i for i in idx if report.layers[i].kind is kind]
        if rows:
            fig.add_trace(go.Bar(x=rows, y=[report.layers[i].macs for i in rows], name=t(f"kind_short.{kind.value}"),
                                 marker_color=KIND_COLOURS[kind],
                                 marker_line=dict(width=[3 if i == selected else 0 for i in rows], color="#222"),
                                 customdata=[[plotly(outside(report.layers[i].name)), report.layers[i].params] for i in rows],
                                 hovertemplate=t("figi.layer_hover") + "<extra></extra>"))
    base_layout(fig, t("figi.layers_title"), height=300)
    fig.update_layout(barmode="overlay", bargap=0.1, legend=dict(orientation="h", y=-0.3))
    fig.update_xaxes(title=t("figi.layer_axis"))
    fig.update_yaxes(title="MACs", tickformat="~s")
    return fig


def flow_figure(flow, selected: int | None = None) -> go.Figure:
    """The share of connected (input channel of the previous grouped conv, output channel) pairs of every grouped
    conv, in graph order: green where the groups mix, red where they stay apart. customdata ends with the row."""
    fig = go.Figure(go.Scatter(x=[m.row for m in flow.rows], y=[m.share for m in flow.rows], mode="lines",
                               line=dict(color="#bbb", width=1), hoverinfo="skip", showlegend=False))
    apart = flow.apart_rows()  # judged by the stack, as the diagnostics judge it
    for mixes, colour, label in ((True, PALETTE[2], t("figi.flow_mixes")), (False, "#c0392b", t("figi.flow_apart"))):
        rows = [m for m in flow.rows if (m.row not in apart) == mixes]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[m.row for m in rows], y=[m.share for m in rows], mode="markers", name=label,
            marker=dict(size=[16 if m.row == selected else 11 for m in rows], color=colour,
                        line=dict(width=[3 if m.row == selected else 1 for m in rows], color="#222")),
            customdata=[[plotly(outside(m.name)), m.G, m.sees, m.channels,
                        plotly(outside(m.reference)) if m.reference else t("figi.flow_input"), m.row] for m in rows],
            hovertemplate=t("figi.flow_hover") + "<extra></extra>"))
    base_layout(fig, t("figi.flow_title"), height=340)
    fig.update_layout(legend=dict(orientation="h", y=-0.3))
    fig.update_xaxes(title=t("figi.flow_layer_axis"), tickvals=[m.row for m in flow.rows],
                     ticktext=[f"#{m.row} {plotly(outside(m.name, 18, tail=True))}" for m in flow.rows], tickangle=-30 if len(flow.rows) > 6 else 0)
    fig.update_yaxes(title=t("figi.flow_axis"), tickformat=".0%", range=[0, 1.08])
    return fig


MAX_CELLS_DRAWN = 128  # rows or columns of a reach heatmap drawn one per channel; past it, channels go in bands


def _bands(matrix: np.ndarray, axis: int) -> tuple[np.ndarray, int]:
    """The matrix with channels along axis averaged into at most MAX_CELLS_DRAWN bands, and the band width."""
    n = matrix.shape[axis]
    width = -(-n // MAX_CELLS_DRAWN)
    if width == 1:
        return matrix.astype(float), 1
    pad = width * -(-n // width) - n
    m = np.moveaxis(matrix.astype(float), axis, 0)
    m = np.concatenate([m, np.full((pad,) + m.shape[1:], np.nan)]) if pad else m
    return np.moveaxis(np.nanmean(m.reshape(-1, width, *m.shape[1:]), axis=1), 0, axis), width


def reach_figure(reach: np.ndarray, a: str, b: str) -> go.Figure:
    """Which input channels of layer a each output channel of layer b can depend on: a heatmap (groups show as
    blocks, a shuffle as its permutation); many channels are averaged into bands, as the Connectivity page does."""
    z, rows = _bands(reach, 0)
    z, cols = _bands(z, 1)
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(z.shape[1]) * cols, y=np.arange(z.shape[0]) * rows,  # channels
                               zmin=0, zmax=1, colorscale=[[0, "#f4f4f4"], [1, PALETTE[0]]], showscale=False,
                               hovertemplate=t("figi.reach_hover") + "<extra></extra>"))
    base_layout(fig, t("figi.reach_title", a=outside(a), b=outside(b), sees=int(reach.sum(axis=1).min()),
                       C=reach.shape[1]), height=420)
    fig.update_xaxes(title=plotly(t("figi.reach_x", a=outside(a)) + (t("figi.bands", n=cols) if cols > 1 else "")))
    fig.update_yaxes(title=plotly(t("figi.reach_y", b=outside(b)) + (t("figi.bands", n=rows) if rows > 1 else "")),
                     autorange="reversed")
    return fig
