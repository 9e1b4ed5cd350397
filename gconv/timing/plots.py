"""Figures of measured kernel timings: time over G with MACs on a second axis, the roofline, and a paper's
experiment replayed here. A row marked unstable is drawn as a hollow grey point, never as a solid one."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .options import varies_groups
from ..i18n import t
from ..plots.style import PALETTE, base_layout
from .roofline import Peaks

SYMBOLS = ["circle", "diamond", "square", "triangle-up", "x", "star", "cross", "hexagon"]


def _unstable_trace(xs: list, ys: list, rows: list[dict], name: str | None = None, **kwargs) -> go.Scatter:
    """The unstable rows' points, hollow and grey, each with its reason on hover."""
    return go.Scatter(x=xs, y=ys, mode="markers", name=name or t("figt.unstable"),
                      marker=dict(color="#999", size=12, symbol="circle-open", line=dict(width=2)),
                      hovertext=[str(r["note"]) for r in rows], hovertemplate="%{hovertext}<extra>" + t("figt.unstable_short") + "</extra>",
                      **kwargs)


def groups_figure(rows: list[dict]) -> go.Figure:
    """Median time (with IQR bars) of the native grouped conv at every G, and its MACs on a second axis;
    the line joins the stable points only."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    gs = [r["G"] for r in rows]
    solid = [r for r in rows if not r["unstable"]]
    fig.add_trace(go.Scatter(x=[r["G"] for r in solid], y=[r["median_ms"] for r in solid],
                             name=t("figt.measured"), mode="lines+markers",
                             marker=dict(color=PALETTE[0], size=9),
                             error_y=dict(type="data", array=[r["iqr_ms"] / 2 for r in solid], visible=True),
                             hovertemplate="G=%{x}: %{y:.4f} ms<extra></extra>"), secondary_y=False)
    shaky = [r for r in rows if r["unstable"]]
    if shaky:
        fig.add_trace(_unstable_trace([r["G"] for r in shaky], [r["median_ms"] for r in shaky], shaky),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=gs, y=[r["macs"] for r in rows], name=t("figt.macs"), mode="lines+markers",
                             marker=dict(color=PALETTE[1], size=8, symbol="diamond"), line=dict(dash="dot"),
                             hovertemplate="G=%{x}: %{y:,} MACs<extra></extra>"), secondary_y=True)
    base_layout(fig, t("figt.groups_title"), height=420)
    fig.update_xaxes(type="log", title=t("figc.groups_axis"), tickvals=gs, ticktext=[str(g) for g in gs])
    fig.update_yaxes(type="log", title=t("figt.time_axis"), secondary_y=False)
    fig.update_yaxes(type="log", title=t("figt.macs_axis"), tickformat="~s", secondary_y=True, showgrid=False)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return fig


def roofline_figure(rows: list[dict], peaks: list[Peaks]) -> go.Figure:
    """Attainable FLOP/s vs arithmetic intensity (log-log) for each peak, each measured kernel a point."""
    fig = go.Figure()
    lo = min([r["intensity"] for r in rows] + [0.05]) / 2
    hi = max([r["intensity"] for r in rows] + [p.ridge for p in peaks]) * 4
    xs = np.geomspace(lo, hi, 200)
    for i, p in enumerate(peaks):
        fig.add_trace(go.Scatter(x=xs, y=np.minimum(p.flops, xs * p.bandwidth) / 1e9, mode="lines",
                                 name=t("figt.roof", source=p.source), line=dict(color="#666", dash="solid" if i == 0 else "dash"),
                                 hovertemplate="%{x:.2f} FLOP/B → %{y:,.0f} GFLOP/s<extra></extra>"))
    for i, r in enumerate(rows):
        if r["unstable"]:
            fig.add_trace(_unstable_trace([r["intensity"]], [r["gflops"]], [r],
                                          name=f"{r['case']} (G={r['G']}), {t('figt.unstable_short')}"))
            continue
        fig.add_trace(go.Scatter(x=[r["intensity"]], y=[r["gflops"]], mode="markers", name=f"{r['case']} (G={r['G']})",
                                 marker=dict(size=12, color=PALETTE[i % len(PALETTE)],
                                             symbol=SYMBOLS[i % len(SYMBOLS)], line=dict(width=1, color="#333")),
                                 hovertemplate=t("figt.point_hover", case=r["case"], ms=f"{r['median_ms']:.4f}")
                                 + "<extra></extra>"))
    base_layout(fig, t("figt.roofline_title"), height=480)
    fig.update_xaxes(type="log", title=t("figt.intensity_axis"))
    fig.update_yaxes(type="log", title=t("figt.gflops_axis"))
    fig.update_layout(legend=dict(orientation="v", x=1.02, y=1, font=dict(size=10)))
    return fig


def replication_figure(result) -> go.Figure:
    """A paper's experiment: relative speed per row here, beside the paper's GPU and ARM series (first row = 1)."""
    rows = result.rows
    labels = [r["setting"] for r in rows]
    fig = go.Figure()
    for key, name, colour, symbol in (("paper_gpu", t("figt.paper_gpu"), PALETTE[1], "diamond"),
                                      ("paper_arm", t("figt.paper_arm"), PALETTE[2], "square")):
        fig.add_trace(go.Scatter(x=labels, y=[r[key] for r in rows], name=name, mode="lines+markers",
                                 line=dict(color=colour, dash="dot"), marker=dict(color=colour, symbol=symbol, size=9),
                                 hovertemplate="%{x}: %{y:.2f}×<extra>" + name + "</extra>"))
    solid = [r for r in rows if not r["unstable"]]
    fig.add_trace(go.Scatter(x=[r["setting"] for r in solid], y=[r["relative_speed"] for r in solid],
                             name=t("figt.here"), mode="lines+markers", line=dict(color=PALETTE[0], width=3),
                             marker=dict(color=PALETTE[0], size=11),
                             hovertemplate=t("figt.here_hover") + "<extra></extra>"))
    shaky = [r for r in rows if r["unstable"]]
    if shaky:
        fig.add_trace(_unstable_trace([r["setting"] for r in shaky], [r["relative_speed"] for r in shaky], shaky))
    axis = t("figt.g2_axis") if varies_groups(result.name) else t("figt.g1_axis")
    base_layout(fig, f"{result.title}<br><sup>{t('figt.replication_sub', batch=result.config.batch)}</sup>", height=420)
    fig.update_xaxes(title=axis, type="category")
    fig.update_yaxes(title=t("figt.relative_axis"), rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return fig
